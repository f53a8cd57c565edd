import type { SluiceEventOf } from '@sluice/contracts';
import type { Transaction } from '@sluice/event-store';
import { deployIdOf } from '@sluice/gitops';
import type { DeployRecords, DriftReports, GitOpsDrift, GitOpsPort } from './ports';

export type BranchUpdated = SluiceEventOf<'repo.branch.updated'>;

/**
 * Watches the GitOps repositories' pushes (docs/architecture.md §1 "GitOps target"). A push whose
 * head is Sluice's own commit (its `Sluice-Deploy-Id` trailer) is the deploy that made it; any
 * other push to a target's branch is read at its head (`prepare`, outside any transaction), and a
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

  async prepare(event: BranchUpdated): Promise<GitOpsDrift[]> {
    const d = event.data;
    if (!this.gitops || deployIdOf(d.headCommit?.message ?? '') !== null) return [];
    const drifts: GitOpsDrift[] = [];
    for (const target of await this.records.gitOpsTargetsOn(d.repo, d.branch)) {
      const found = await this.gitops.valueAt(target, d.headSha);
      if (found === target.tag) continue;
      drifts.push({ config: target.config, repo: d.repo, branch: d.branch, sha: d.headSha, path: target.path, key: target.key, found, expected: target.tag, pusher: d.headCommit?.authorName ?? null });
    }
    return drifts;
  }

  async handle(event: BranchUpdated, manager: Transaction, drifts: readonly GitOpsDrift[]): Promise<void> {
    for (const drift of drifts) await this.reports.report(manager, drift, { correlationId: event.correlationId, causationId: event.id });
  }
}
