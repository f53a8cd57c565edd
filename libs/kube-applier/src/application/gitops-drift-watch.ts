import type { SluiceEventOf } from '@sluice/contracts';
import type { Transaction } from '@sluice/event-store';
import { deployIdOf } from '@sluice/gitops';
import type { DeployRecords, DriftReports, GitOpsDrift, GitOpsPort } from './ports';

export type BranchUpdated = SluiceEventOf<'repo.branch.updated'>;

/** What one push to a GitOps branch means: Sluice's own commit of a deploy, or drift of the targets on it. */
export interface PushSeen {
  readonly sluiceDeploy: string | null;
  readonly drifts: readonly GitOpsDrift[];
}

/**
 * Watches the GitOps repositories' pushes (docs/architecture.md §1 "GitOps target"). A push whose
 * head is Sluice's own commit (its `Sluice-Deploy-Id` trailer) is recorded for the deploy that made
 * it, which then has Argo CD sync that commit (`HandleDeployRequest`); any other push to a target's branch is read at its head (`prepare`, outside any transaction), and a
 * target whose value is no longer the tag Sluice wrote is reported as drift (`handle`, in the inbox
 * transaction): the config shows it until its next deploy writes the tag again. Nothing is ever
 * forwarded to Argo CD from a person's push.
 */
export class GitOpsDriftWatch {
  constructor(
    private readonly records: DeployRecords,
    private readonly gitops: GitOpsPort | null,
    private readonly reports: DriftReports,
  ) {}

  async prepare(event: BranchUpdated): Promise<PushSeen> {
    const d = event.data;
    if (!this.gitops) return { drifts: [], sluiceDeploy: null };
    const sluiceDeploy = deployIdOf(d.headCommit?.message ?? '');
    if (sluiceDeploy !== null) return { drifts: [], sluiceDeploy };
    const drifts: GitOpsDrift[] = [];
    for (const target of await this.records.gitOpsTargetsOn(d.repo, d.branch)) {
      const found = await this.gitops.valueAt(target, d.headSha);
      if (found === target.tag) continue;
      drifts.push({ config: target.config, repo: d.repo, branch: d.branch, sha: d.headSha, path: target.path, key: target.key, found, expected: target.tag, pusher: d.headCommit?.authorName ?? null });
    }
    return { drifts, sluiceDeploy: null };
  }

  async handle(event: BranchUpdated, manager: Transaction, seen: PushSeen): Promise<void> {
    // Sluice's own commit has arrived by webhook: the deploy that made it syncs Argo CD now.
    if (seen.sluiceDeploy) await this.records.gitOpsPushed(manager, seen.sluiceDeploy, event.data.headSha);
    for (const drift of seen.drifts) await this.reports.report(manager, drift, { correlationId: event.correlationId, causationId: event.id });
  }
}
