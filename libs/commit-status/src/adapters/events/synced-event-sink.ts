import { newEvent, repoPathProblem, repoStream } from '@sluice/contracts';
import { retryOnConcurrency, type EventStore } from '@sluice/event-store';
import type { Logger } from '@sluice/platform';
import type { SyncedEventSink } from '../../application/ports';

/**
 * `commit-status.synced` on `sluice.status.v1`, appended to the event store (the repository's
 * stream by name — `repoStream` without an id: commit-status knows repositories by name only) and published by the outbox relay. A GitLab
 * project in a subgroup (`group/subgroup/name`) is emitted like any other; a path its provider
 * cannot have (a GitHub or Bitbucket path that is not `owner/name`) is skipped, logged.
 */
export class EventStoreSyncedSink implements SyncedEventSink {
  constructor(
    private readonly store: EventStore,
    private readonly log: Logger,
  ) {}

  async synced(data: Parameters<SyncedEventSink['synced']>[0]): Promise<void> {
    const problem = repoPathProblem(data.repo.provider, data.repo.fullName);
    if (problem) {
      this.log.debug({ repo: data.repo.fullName, provider: data.repo.provider, problem }, 'commit-status.synced not emitted: not a repository path of its provider');
      return;
    }
    const event = newEvent('commit-status.synced', {
      repo: data.repo.fullName,
      sha: data.sha,
      name: data.name,
      phase: data.phase,
      provider: data.repo.provider,
      isSynced: data.isSynced,
      syncFailure: data.syncFailure === null ? null : data.syncFailure.slice(0, 2000),
    });
    // 'any' conflicts only with a concurrent append to the same stream: appended again.
    await retryOnConcurrency(() => this.store.append(repoStream({ provider: data.repo.provider, id: null, fullName: data.repo.fullName }), 'any', [event]));
  }
}
