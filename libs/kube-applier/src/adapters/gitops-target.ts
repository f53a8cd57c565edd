import { GitOpsTargetError, gitOpsDeploysFromSettings } from '@sluice/gitops';
import { ScmAuthError, ScmNotFoundError, ScmRequestError, type GitHubSettings } from '@sluice/scm';
import type { GitOpsPort } from '../application/ports';

/**
 * GitOps targets through libs/gitops: GitHub's contents API with the process's clients, Argo CD when
 * `ARGOCD_URL` and `ARGOCD_TOKEN` are set, followed as long as a rollout may take. Null without
 * GitHub credentials.
 */
export function gitOpsPortOf(
  settings: GitHubSettings & { readonly ARGOCD_URL?: string; readonly ARGOCD_TOKEN?: string },
  follow: { readonly pollMs: number; readonly timeoutMs: number },
): GitOpsPort | null {
  const deploys = gitOpsDeploysFromSettings(settings, follow);
  if (!deploys) return null;
  return {
    commit: (target, write) => deploys.commit(target, write),
    verdict: (target, revision) => deploys.verdict(target, revision),
    valueAt: (target, ref) => deploys.valueAt(target, ref),
    isTerminal: (error) =>
      error instanceof GitOpsTargetError || error instanceof ScmAuthError || error instanceof ScmNotFoundError || (error instanceof ScmRequestError && !error.transient),
  };
}
