import pLimit from 'p-limit';
import type { Transaction } from '@sluice/event-store';
import { deployUrl, evolveDeployStatus, statusNameOf, statusRepoOf, type DeployStatusEvent, type DeployStatusState } from '../domain/deploy-status';
import type { ProviderKind } from '../domain/model';
import type { CommitStatusStore, OwnedStatusInput } from './ports';

/** Each config's current deploy and the phase reported for it. */
export interface DeployStatusStateRepository {
  /** Loads and locks the config's state (in the consumer's transaction). */
  load(config: string, manager: Transaction): Promise<DeployStatusState | null>;
  /** Saves it; `ownedPending`: its CommitStatus is still to be written (after the commit). */
  save(state: DeployStatusState, manager: Transaction, options?: { ownedPending?: boolean; at?: string }): Promise<void>;
  /** The committed state and whether its CommitStatus is still to be written. */
  read(config: string, manager: Transaction): Promise<{ state: DeployStatusState; ownedPending: boolean } | null>;
  /** Clears the pending mark if the state is still `state`; false when a newer one committed meanwhile. */
  markOwnedWritten(state: DeployStatusState, manager: Transaction): Promise<boolean>;
  /** Configs whose CommitStatus is still to be written, oldest first. */
  pendingOwned(manager: Transaction, limit: number): Promise<string[]>;
}

/** Which provider a repository named `owner/name` lives on (as `sluice.repo.v1` announced it); GitHub when unknown. */
export interface RepoProviders {
  providerOf(fullName: string, manager: Transaction): Promise<ProviderKind>;
}

/** Optional mirror of deploys elsewhere (GitHub Deployments), recorded in the same transaction. */
export interface DeployMirror {
  record(state: DeployStatusState, url: string, manager: Transaction): Promise<void>;
}

/** A deploy event as the consumer gets it (`occurredAt`: the row's `updated_at`, so a rebuild writes the same). */
export type ReceivedDeployStatusEvent = DeployStatusEvent & { readonly occurredAt?: string };

/**
 * The config's next status state after `event`, saved: the projection of `deploy_statuses`, the
 * same in the live consumer and in a rebuild from the events commit-status kept (views.ts).
 */
export async function projectDeployStatus(
  event: ReceivedDeployStatusEvent,
  manager: Transaction,
  states: DeployStatusStateRepository,
  repoProviders: RepoProviders | null,
  options: { ownedPending: boolean },
): Promise<DeployStatusState | null> {
  const current = await states.load(event.data.config, manager);
  const artifactProvider = event.type === 'deploy.requested' && event.data.artifactRepo && repoProviders ? await repoProviders.providerOf(statusRepoOf(event.data), manager) : 'github';
  const next = evolveDeployStatus(current, event, artifactProvider);
  if (next) await states.save(next, manager, { ownedPending: options.ownedPending, at: event.occurredAt });
  return next;
}

export interface OwnedWriteLogger {
  warn(obj: object, msg: string): void;
}

/**
 * Sluice's own statuses: a deploy event moves the config's CommitStatus (`sluice-<config>`,
 * name `sluice/<config>`) to the deploy's commit and phase, with `spec.previous` the commit it
 * moved from and the last phase seen there. The reconciler takes it from there: the previous
 * commit gets its success or failure if the SCM does not hold it yet, and is canceled only if
 * its deploy never reached one.
 *
 * With the PostgreSQL store the CommitStatus is written in the consumer's transaction. With the
 * Kubernetes store it is an API server call, which must not hold a transaction open (an open
 * transaction holds back every outbox relay on the server): the transaction saves the state
 * marked `ownedPending`, and `writeOwned` writes the CommitStatus from the committed state
 * afterwards — right after the commit, and from `writePendingOwned` on start and periodically,
 * so a crash or a failed write between the commit and the write loses nothing.
 */
export class DeployStatusProjector {
  /** Owned writes in flight per config: one at a time per config in this process. */
  private readonly writing = new Map<string, Promise<void>>();
  /** And at most this many configs' writes at once (they are started in the background). */
  private readonly limit = pLimit(8);

  constructor(
    private readonly store: CommitStatusStore,
    private readonly states: DeployStatusStateRepository,
    private readonly publicUrl: string,
    private readonly mirror: DeployMirror | null = null,
    /** Queries outside any transaction (the data source's manager); needed for the Kubernetes store. */
    private readonly db: Transaction | null = null,
    /** Where an artifact repository lives; without it every artifact repository is GitHub's. */
    private readonly repoProviders: RepoProviders | null = null,
  ) {}

  async apply(event: ReceivedDeployStatusEvent, manager: Transaction): Promise<DeployStatusState | null> {
    const inTransaction = this.store.transactionalOwnedWrites;
    const next = await projectDeployStatus(event, manager, this.states, this.repoProviders, { ownedPending: !inTransaction });
    if (!next) return null;
    // GitHub Deployments mirror GitHub's repositories only.
    if ((next.provider ?? 'github') === 'github') await this.mirror?.record(next, deployUrl(this.publicUrl, next.deployId), manager);
    if (inTransaction) await this.store.upsertOwned(this.ownedInput(next), manager);
    return next;
  }

  /**
   * Writes the config's CommitStatus from its committed state, if it is pending. Correct with
   * several writers (a sweep, another replica): each ends with a write of a state that it then
   * finds still current (the conditional clear of the mark), so a writer's stale write that
   * lands late is followed by its own write of the newer state.
   */
  writeOwned(config: string): Promise<void> {
    // The PostgreSQL store wrote it in the consumer's transaction.
    return this.store.transactionalOwnedWrites ? Promise.resolve() : this.queueOwnedWrite(config);
  }

  private queueOwnedWrite(config: string): Promise<void> {
    const previous = this.writing.get(config) ?? Promise.resolve();
    const run = previous.catch(() => undefined).then(() => this.limit(() => this.writeOwnedNow(config)));
    this.writing.set(config, run);
    void run.catch(() => undefined).finally(() => {
      if (this.writing.get(config) === run) this.writing.delete(config);
    });
    return run;
  }

  /** Resolves once the owned writes in flight have ended (shutdown). */
  async settle(): Promise<void> {
    await Promise.allSettled([...this.writing.values()]);
  }

  /**
   * Writes every pending CommitStatus (on start and periodically); failures stay pending. With
   * the PostgreSQL store only a rebuild of the views marks a row pending (a state the log gave
   * that differs from the live one's).
   */
  async writePendingOwned(logger: OwnedWriteLogger): Promise<void> {
    for (const config of await this.states.pendingOwned(this.requireDb(), 100)) {
      await this.queueOwnedWrite(config).catch((err: unknown) =>
        logger.warn({ config, err: err instanceof Error ? err.message : String(err) }, 'CommitStatus write failed; retrying later'),
      );
    }
  }

  private async writeOwnedNow(config: string): Promise<void> {
    const db = this.requireDb();
    for (let attempt = 0; attempt < 10; attempt++) {
      const row = await this.states.read(config, db);
      // After a lost race (attempt > 0) write even when no longer pending: our last write may be stale.
      if (!row || (attempt === 0 && !row.ownedPending)) return;
      await this.store.upsertOwned(this.ownedInput(row.state));
      if (await this.states.markOwnedWritten(row.state, db)) return;
    }
    // Still moving: it stays pending for the next sweep.
  }

  private ownedInput(state: DeployStatusState): OwnedStatusInput {
    const url = deployUrl(this.publicUrl, state.deployId);
    const p = state.previous;
    return {
      config: state.config,
      repo: state.repo,
      provider: state.provider ?? 'github',
      sha: state.sha,
      fields: { name: statusNameOf(state.config), description: state.description, phase: state.phase, url },
      ...(p ? { previous: { repo: p.repo, provider: p.provider ?? 'github', sha: p.sha, fields: { description: p.description, phase: p.phase, url: deployUrl(this.publicUrl, p.deployId) } } } : {}),
    };
  }

  private requireDb(): Transaction {
    if (!this.db) throw new Error('DeployStatusProjector needs an entity manager outside transactions for a non-transactional store');
    return this.db;
  }
}
