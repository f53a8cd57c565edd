import type { Logger } from '@sluice/platform';
import { ScmRateLimitedError } from '@sluice/scm';
import { GitRepoUnusableError } from '../domain/errors';
import { isActive, sameRepo, trackedRepo, type StatusFields, type SyncStatus } from '../domain/model';
import { decide, retargeted, statusAfter, type ObservedStatus, type Outcome, type PreviousCommit, type PreviousWrite, type ReconcileInput } from '../domain/reconcile';
import { keyString, type CommitStatusKey, type CommitStatusRecord, type CommitStatusStore, type ResolvedRepo, type ScmStatusProviders, type SyncedEventSink } from './ports';
import type { ProcessResult } from './work-queue';
import { driftDetected, rateLimited, reconcileDuration, scmWrites } from './metrics';

export interface ReconcilerOptions {
  /** How long a CommitStatus whose GitRepo is unusable waits before it is tried again. Default 60 s. */
  stalledRetryMs?: number;
  now?: () => Date;
}

/** Thrown to have the work queue retry with backoff (after the status recorded the failure). */
export class ReconcileFailedError extends Error {
  override readonly name = 'ReconcileFailedError';
}

/**
 * Reconciles one CommitStatus: resolve its GitRepo, read what the SCM holds, decide, settle
 * the commits the resource moved away from (their final phase, or a cancel of what never
 * reached one), write when needed, record the outcome in status. The same code for the
 * Kubernetes and the PostgreSQL store.
 */
export class Reconciler {
  private readonly stalledRetryMs: number;
  private readonly now: () => Date;

  constructor(
    private readonly store: CommitStatusStore,
    private readonly providers: ScmStatusProviders,
    private readonly events: SyncedEventSink | null,
    private readonly log: Logger,
    opts: ReconcilerOptions = {},
  ) {
    this.stalledRetryMs = opts.stalledRetryMs ?? 60_000;
    this.now = opts.now ?? (() => new Date());
  }

  async reconcile(key: CommitStatusKey): Promise<ProcessResult> {
    const end = reconcileDuration.startTimer();
    try {
      const result = await this.reconcileOnce(key);
      end({ result: result?.requeueAfterMs !== undefined ? 'requeued' : 'done' });
      return result;
    } catch (err) {
      end({ result: 'error' });
      throw err;
    }
  }

  private async reconcileOnce(key: CommitStatusKey): Promise<ProcessResult> {
    const record = await this.store.get(key);
    if (!record) return;
    const log = this.log.child({ commitStatus: keyString(key), generation: record.generation });

    let repo: ResolvedRepo;
    try {
      repo = await this.store.resolveGitRepo(key.namespace, record.spec.gitRepoRef.name);
    } catch (err) {
      if (!(err instanceof GitRepoUnusableError)) throw err;
      log.warn({ err: err.message }, 'commit status stalled: GitRepo unusable');
      await this.recordFailure(record, err.message);
      return { requeueAfterMs: this.stalledRetryMs };
    }

    const desired: StatusFields = { name: record.spec.name, description: record.spec.description, phase: record.spec.phase, url: record.spec.url };
    const provider = this.providers.forRepo(repo);
    const target = { repo, sha: record.spec.sha };
    const sameTarget = record.status?.sha === record.spec.sha && trackedRepo(record.status) !== null && sameRepo(trackedRepo(record.status)!, repo.identity);
    const known = sameTarget ? record.status?.provider : undefined;

    let observed: ObservedStatus | null;
    try {
      observed = await provider.read(target, desired, known);
    } catch (err) {
      return this.failedBeforeDeciding(record, err, log);
    }

    const specPrevious = await this.specPrevious(record, repo, log);
    const input: ReconcileInput = { spec: record.spec, generation: record.generation, repo: repo.identity, previous: record.status, observed, specPrevious };
    const decision = decide(input);

    for (const settle of decision.settlePrevious) {
      const limited = await this.settlePrevious(record, settle, log);
      if (limited) return this.failedBeforeDeciding(record, limited, log);
    }

    let outcome: Outcome = { kind: 'unchanged' };
    if (decision.write) {
      try {
        const written = await provider.write(target, desired, observed, known);
        scmWrites.inc({ provider: repo.identity.provider, reason: decision.write });
        outcome = { kind: 'written', observed: written };
        log.info({ repo: repo.identity.fullName, sha: record.spec.sha, name: desired.name, phase: desired.phase, reason: decision.write }, 'commit status written');
      } catch (err) {
        outcome = { kind: 'failed', message: describe(err) };
        log.warn({ repo: repo.identity.fullName, sha: record.spec.sha, err: describe(err) }, 'commit status write failed');
        const status = statusAfter(input, decision, outcome, this.now());
        await this.store.writeStatus(key, status);
        await this.emit(record.status, status, repo);
        if (err instanceof ScmRateLimitedError) return this.limited(err);
        throw new ReconcileFailedError(describe(err), { cause: err });
      }
    } else if (decision.drift) {
      driftDetected.inc({ provider: repo.identity.provider });
      log.warn({ repo: repo.identity.fullName, sha: record.spec.sha, drift: decision.drift }, 'commit status drift');
    }

    const status = statusAfter(input, decision, outcome, this.now());
    if (!sameStatus(record.status, status)) {
      await this.store.writeStatus(key, status);
      await this.emit(record.status, status, repo);
    }
    return;
  }

  /**
   * `spec.previous` on its repository, when it is needed: the resource moved (or was never
   * synced). Its GitRepo is the spec's unless it names another one; an unusable one is logged
   * and the previous commit left alone.
   */
  private async specPrevious(record: CommitStatusRecord, repo: ResolvedRepo, log: Logger): Promise<PreviousCommit | null> {
    const p = record.spec.previous;
    if (!p) return null;
    if (record.status?.sha && !retargeted({ spec: record.spec, repo: repo.identity, previous: record.status })) return null;
    let identity = repo.identity;
    const gitRepo = p.gitRepoRef?.name;
    if (gitRepo && gitRepo !== record.spec.gitRepoRef.name) {
      try {
        identity = (await this.store.resolveGitRepo(record.key.namespace, gitRepo)).identity;
      } catch (err) {
        if (!(err instanceof GitRepoUnusableError)) throw err;
        log.warn({ sha: p.sha, err: err.message }, 'cannot settle the previous commit: its GitRepo is unusable; moving on');
        return null;
      }
    }
    return { repo: identity, sha: p.sha, fields: { name: record.spec.name, description: p.description, phase: p.phase, url: p.url ?? null } };
  }

  /**
   * Best effort: a failure is logged and the new commit handled anyway — except while rate
   * limited, when nothing may be called. Read first: after a crash between this write and the
   * status write, the SCM already holds it and nothing is written again.
   */
  private async settlePrevious(record: CommitStatusRecord, settle: PreviousWrite, log: Logger): Promise<ScmRateLimitedError | null> {
    const what = settle.kind === 'final' ? "write the previous commit's final status" : 'cancel the previous commit status';
    const at = { repo: settle.repo.fullName, sha: settle.sha, name: settle.fields.name, phase: settle.fields.phase };
    try {
      const repo = await this.store.credentialsFor(record.key.namespace, settle.repo);
      if (!repo) {
        log.warn(at, `cannot ${what}: no credentials for its repository any more; moving on`);
        return null;
      }
      const provider = this.providers.forRepo(repo);
      const target = { repo, sha: settle.sha };
      const held = await provider.read(target, settle.fields, settle.ids);
      if (held?.matches) return null;
      // Cancel only what is still in progress there: never a final phase, nor a commit the SCM holds nothing for.
      if (settle.kind === 'cancel' && !isActive(held?.fields.phase)) return null;
      await provider.write(target, settle.fields, held, settle.ids);
      scmWrites.inc({ provider: settle.repo.provider, reason: settle.kind === 'final' ? 'final-previous' : 'cancel-previous' });
      log.info(at, settle.kind === 'final' ? 'previous commit status set to its final phase' : 'previous commit status canceled');
      await this.events?.synced({ repo: settle.repo, sha: settle.sha, name: settle.fields.name, phase: settle.fields.phase, isSynced: true, syncFailure: null });
    } catch (err) {
      if (err instanceof ScmRateLimitedError) return err;
      log.warn({ ...at, err: describe(err) }, `could not ${what}; moving on`);
    }
    return null;
  }

  /** Reading (or a rate-limited write on a previous commit) failed: keep tracking the previous target, record why, retry. */
  private async failedBeforeDeciding(record: CommitStatusRecord, err: unknown, log: Logger): Promise<ProcessResult> {
    log.warn({ err: describe(err) }, 'reading the SCM failed');
    await this.recordFailure(record, describe(err));
    if (err instanceof ScmRateLimitedError) return this.limited(err);
    throw new ReconcileFailedError(describe(err), { cause: err });
  }

  /** Comes back once the credentials' rate limit has passed (libs/scm sent nothing meanwhile). */
  private limited(err: ScmRateLimitedError): ProcessResult {
    rateLimited.inc({ status: String(err.status) });
    return { requeueAfterMs: Math.max(1, err.untilMs - Date.now()) };
  }

  private async recordFailure(record: CommitStatusRecord, message: string): Promise<void> {
    const previous = record.status;
    const status: SyncStatus = {
      ...(previous ?? { observedGeneration: 0 }),
      updatedAt: this.now().toISOString(),
      isSynced: false,
      syncFailure: { message },
    };
    if (previous?.syncFailure?.message === message && previous.isSynced === false) return;
    await this.store.writeStatus(record.key, status);
  }

  private async emit(before: SyncStatus | null, after: SyncStatus, repo: ResolvedRepo): Promise<void> {
    if (!this.events || !after.sha || !after.phase || !after.name) return;
    const changed =
      before?.sha !== after.sha || before.phase !== after.phase || before.isSynced !== after.isSynced || before.syncFailure?.message !== after.syncFailure?.message;
    if (!changed) return;
    await this.events.synced({ repo: repo.identity, sha: after.sha, name: after.name, phase: after.phase, isSynced: after.isSynced, syncFailure: after.syncFailure?.message ?? null });
  }
}

function describe(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** Equal but for updatedAt: no status write (and no watch event) for a reconcile that changed nothing. */
function sameStatus(a: SyncStatus | null, b: SyncStatus): boolean {
  if (!a) return false;
  const strip = ({ updatedAt: _u, ...rest }: SyncStatus) => rest;
  return JSON.stringify(sortKeys(strip(a))) === JSON.stringify(sortKeys(strip(b)));
}

function sortKeys(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(sortKeys);
  if (v && typeof v === 'object') return Object.fromEntries(Object.entries(v).filter(([, x]) => x !== undefined).sort(([a], [b]) => a.localeCompare(b)).map(([k, x]) => [k, sortKeys(x)]));
  return v;
}
