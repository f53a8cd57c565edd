import type { GitOpsTarget } from '@sluice/contracts';
import { ArgoCdAuthError, type ArgoSync } from './argo-sync';
import type { GitOpsWrite, GitOpsWriter } from './gitops-writer';

/** A GitOps deploy that cannot succeed (the file, the key, Argo CD's answer): its message. */
export type GitOpsVerdict = { readonly ok: true } | { readonly ok: false; readonly reason: string; readonly message: string };

/**
 * A deploy through a GitOps repository, in the two steps kube-applier reports: `commit` (the tag in
 * the file: `deploy.applied`), then `verdict` (Argo CD synced to that commit and Healthy:
 * `deploy.succeeded`; else `deploy.failed` with Argo's message). Without `argocd` in the target the
 * commit is the outcome. Both steps are idempotent, so a redelivered request redoes them safely.
 */
export class GitOpsDeploys {
  constructor(
    private readonly writer: GitOpsWriter,
    private readonly argo: ArgoSync | null,
  ) {}

  /** The commit holding the tag (made now, or found there); a `GitOpsTargetError` fails the deploy. */
  commit(target: GitOpsTarget, write: GitOpsWrite): Promise<{ readonly commitSha: string | null; readonly revision: string }> {
    return this.writer.write(target, write);
  }

  valueAt(target: Pick<GitOpsTarget, 'repo' | 'path' | 'key'>, ref: string): Promise<string | null> {
    return this.writer.valueAt(target, ref);
  }

  async verdict(target: GitOpsTarget, revision: string): Promise<GitOpsVerdict> {
    if (!target.argocd) return { ok: true };
    if (!this.argo) return { ok: false, reason: 'ArgoCdNotConfigured', message: `the config syncs Argo CD application ${target.argocd.app}, but Sluice has no Argo CD (set ARGOCD_URL and ARGOCD_TOKEN)` };
    try {
      const verdict = await this.argo.syncAndFollow(target.argocd.app, revision);
      return verdict.kind === 'succeeded' ? { ok: true } : { ok: false, reason: 'ArgoCdSyncFailed', message: verdict.kind === 'failed' ? verdict.message : 'pending' };
    } catch (error) {
      if (error instanceof ArgoCdAuthError) return { ok: false, reason: 'ArgoCdRefused', message: error.message };
      throw error;
    }
  }
}
