import type { GitHubCommitStatus, ScmClients } from '@sluice/scm';
import type { ProviderIds, StatusFields } from '../../domain/model';
import { differences, githubCommitStatusMapping } from '../../domain/mapping';
import type { ObservedStatus } from '../../domain/reconcile';
import type { ScmStatusProvider, StatusTarget } from '../../application/ports';
import { githubWritesFor } from './github-target';

/** Statuses are listed newest first; a context buried deeper than this is written again rather than searched for. */
const MAX_PAGES = 5;

/**
 * GitHub commit statuses (authenticated by a token). Every POST adds a status to the context
 * (GitHub keeps at most 1,000 per context and commit), which is why the reconciler posts only
 * when the latest status of the context differs from the spec.
 */
export class GitHubStatusesProvider implements ScmStatusProvider {
  constructor(private readonly clients: ScmClients) {}

  async read(target: StatusTarget, desired: StatusFields, _known: ProviderIds | undefined): Promise<ObservedStatus | null> {
    const { writes, ref } = githubWritesFor(this.clients, target.repo);
    for (let page = 1; page <= MAX_PAGES; page++) {
      const statuses = await writes.listCommitStatuses(ref, target.sha, page);
      const found = statuses.find((s) => s.context === desired.name);
      if (found) return observe(found, desired, target);
      if (statuses.length < 100) break;
    }
    return null;
  }

  async write(target: StatusTarget, desired: StatusFields): Promise<ObservedStatus> {
    const { writes, ref } = githubWritesFor(this.clients, target.repo);
    const p = githubCommitStatusMapping.toPayload(desired, { fullName: target.repo.identity.fullName, sha: target.sha });
    const written = await writes.createCommitStatus(ref, target.sha, { state: p.state, context: p.context, description: p.description, ...(p.target_url ? { target_url: p.target_url } : {}) });
    return observe(written, desired, target);
  }
}

function observe(s: GitHubCommitStatus, desired: StatusFields, target: StatusTarget): ObservedStatus {
  const status = { state: s.state as 'pending', context: s.context, description: s.description ?? '', target_url: s.target_url ?? null };
  const diff = differences(githubCommitStatusMapping, desired, { fullName: target.repo.identity.fullName, sha: target.sha }, status);
  return { fields: githubCommitStatusMapping.fromPayload(status), matches: diff.length === 0, differences: diff, ids: {} };
}
