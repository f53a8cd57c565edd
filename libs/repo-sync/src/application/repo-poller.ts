import type { ScmReader, ScmRepository } from '@sluice/scm';
import type { Transaction } from '@sluice/event-store';
import pLimit from 'p-limit';
import type { ScmProvider } from '@sluice/contracts';
import type { ScmReaderFor } from './config-reader';
import type { GlobalSync } from './global-sync';

/** A repository Sluice polls, and what the last poll and webhook left. */
export interface PollTarget {
  readonly fullName: string;
  /** Its provider (the catalogue's; for a repository it has not recorded, the provider of a config repository naming it). */
  readonly provider: ScmProvider;
  /** Null when the catalogue has not recorded it yet (an artifact repository no webhook came from). */
  readonly repo: ScmRepository | null;
  readonly etag: string | null;
  readonly polledAt: string | null;
  readonly lastWebhookAt: string | null;
}

/** The polls' own state (PgRepoPolls). */
export interface RepoPolls {
  /** Every config repository and artifact repository of the known configs, on every provider. */
  targets(): Promise<PollTarget[]>;
  polled(fullName: string, etag: string | null): Promise<void>;
  /** A webhook of the repository was applied (in its transaction): it is healthy, polled less often. */
  webhookSeen(m: Transaction, fullName: string): Promise<void>;
  /** Heads of the branches configs track in this (artifact) repository, moved since `since`, with no completed build yet: their builds may still come. */
  headsAwaitingBuilds(fullName: string, since: string): Promise<string[]>;
}

export interface RepoPollerOptions {
  readonly intervalMs: number;
  /** A repository with a webhook in the last `healthyWindowMs` is polled `healthyFactor` times less often. */
  readonly healthyFactor?: number;
  readonly healthyWindowMs?: number;
  /** How long after a head moved its builds are still looked for. */
  readonly buildWindowMs?: number;
  readonly concurrency?: number;
  /** The readers of GitLab's and Bitbucket's repositories; a provider without one is not polled (followed by webhook only). */
  readonly readers?: ScmReaderFor;
  readonly now?: () => number;
  readonly logger?: { info(obj: object, msg: string): void; warn(obj: object, msg: string): void; debug(obj: object, msg: string): void };
}

export interface PollPass {
  readonly polled: number;
  /** Answered "not modified": nothing read beyond the conditional request. */
  readonly unchanged: number;
  readonly synced: number;
  readonly failed: number;
}

/**
 * Git polling (docs/architecture.md §2, "Git polling"): each config and artifact repository is
 * polled at `intervalMs` — its branches with a conditional request (an unchanged repository costs
 * one 304 and no rate limit), and, when they moved or a recent head still waits for its build,
 * the same per-repository read and record as global sync, which produce the same events a webhook
 * would and nothing twice (a webhook arriving later finds the heads where they are). A
 * repository whose webhooks are healthy is polled `healthyFactor` times less often. For when
 * webhooks are lost and missed-webhook recovery cannot help (no App, no hook access). GitLab and
 * Bitbucket repositories are polled through their provider's reader, without a conditional
 * request (each poll reads the branch list); their builds (GitLab's pipelines, Bitbucket's build
 * statuses) are read like GitHub's, named as their webhooks name them, so a build polled and then
 * delivered is one build and one event.
 */
export class RepoPoller {
  /** When this poller started: a repository never polled is due one interval later. */
  private readonly startedAt: number;

  constructor(
    private readonly polls: RepoPolls,
    private readonly scm: ScmReader,
    private readonly sync: GlobalSync,
    private readonly options: RepoPollerOptions,
  ) {
    this.startedAt = this.now();
  }

  get intervalMs(): number {
    return this.options.intervalMs;
  }

  private now(): number {
    return this.options.now?.() ?? Date.now();
  }

  /** One pass over the repositories that are due. */
  async pass(): Promise<PollPass> {
    const counts = { polled: 0, unchanged: 0, synced: 0, failed: 0 };
    const limit = pLimit(this.options.concurrency ?? 4);
    const due = (await this.polls.targets()).filter((t) => this.isDue(t));
    await Promise.all(
      due.map((target) =>
        limit(async () => {
          counts.polled++;
          try {
            const outcome = await this.pollOne(target);
            counts[outcome]++;
          } catch (error) {
            counts.failed++;
            this.options.logger?.warn({ repo: target.fullName, err: (error as Error).message }, 'polling the repository failed; the next pass tries again');
          }
        }),
      ),
    );
    if (counts.polled > 0) this.options.logger?.debug({ ...counts }, 'poll pass');
    return counts;
  }

  private isDue(t: PollTarget): boolean {
    // Never polled: due one interval after this poller started (a start does not race the webhooks already on their way).
    const last = t.polledAt ? Date.parse(t.polledAt) : this.startedAt;
    const healthy = t.lastWebhookAt !== null && this.now() - Date.parse(t.lastWebhookAt) < (this.options.healthyWindowMs ?? 3_600_000);
    const interval = this.options.intervalMs * (healthy ? (this.options.healthyFactor ?? 4) : 1);
    return this.now() - last >= interval;
  }

  private async pollOne(target: PollTarget): Promise<'unchanged' | 'synced'> {
    const scm = target.provider === 'github' ? this.scm : (this.options.readers?.(target.provider) ?? null);
    if (!scm) {
      // No credentials for its provider: followed by webhook only.
      await this.polls.polled(target.fullName, null);
      return 'unchanged';
    }
    const answer = await scm.listBranchesIfChanged(target.fullName, target.repo ? target.etag : null);
    const since = new Date(this.now() - (this.options.buildWindowMs ?? 3_600_000)).toISOString();
    const awaiting = await this.polls.headsAwaitingBuilds(target.fullName, since);
    if (!answer.changed && awaiting.length === 0) {
      await this.polls.polled(target.fullName, target.etag);
      return 'unchanged';
    }
    const repo = target.repo ?? (await scm.getRepo(target.fullName));
    await this.sync.syncRepository(repo, {
      provider: target.provider,
      branches: answer.changed ? answer.branches : 'unchanged',
      buildsOf: awaiting,
      correlationId: `poll-${target.fullName}-${this.now()}`,
    });
    await this.polls.polled(target.fullName, answer.changed ? answer.etag : target.etag);
    this.options.logger?.info({ repo: target.fullName, moved: answer.changed, awaitingBuilds: awaiting.length }, 'polled: repository read and recorded');
    return 'synced';
  }
}
