import {
  isActive,
  isFinal,
  sameRepo,
  trackedRepo,
  type CommitStatusSpec,
  type ProviderIds,
  type RepoIdentity,
  type StatusFields,
  type SyncStatus,
} from './model';

/** What the SCM holds for the spec's (repository, commit, name), as one provider read it. */
export interface ObservedStatus {
  /** The SCM's status in CommitStatus terms. */
  readonly fields: StatusFields;
  /** Whether the provider's fields equal what the spec renders to (decided on the provider's own fields). */
  readonly matches: boolean;
  /** `field: want X, SCM has Y` for each provider field that differs. */
  readonly differences: readonly string[];
  readonly ids: ProviderIds;
}

export interface ReconcileInput {
  readonly spec: CommitStatusSpec;
  /** metadata.generation: bumped by every spec change. */
  readonly generation: number;
  /** The repository the spec's GitRepo resolves to now. */
  readonly repo: RepoIdentity;
  /** The current status (what the SCM held at the last sync), null before the first. */
  readonly previous: SyncStatus | null;
  /** What the SCM holds now for the spec's target; null when it holds nothing. */
  readonly observed: ObservedStatus | null;
  /**
   * `spec.previous` with its repository resolved (absent or null: none, or its GitRepo is
   * unusable): the commit the spec moved away from and the last phase it reached there.
   */
  readonly specPrevious?: PreviousCommit | null;
}

/** The commit a spec replaced, on its repository, with the fields it last had (the name is the spec's). */
export interface PreviousCommit {
  readonly repo: RepoIdentity;
  readonly sha: string;
  readonly fields: StatusFields;
}

/**
 * A write on a commit the resource moved away from, made read-first (so repeating it after a
 * crash writes nothing):
 * - `final`: its deploy reached `success`/`failure` but the SCM may not hold it (the spec moved
 *   on before the reconciler wrote it) → written unless the SCM already holds exactly that;
 * - `cancel`: it never reached a final phase (a real supersede) → `canceled`, written only
 *   while the SCM holds `queued`/`in_progress` there.
 */
export interface PreviousWrite {
  readonly kind: 'final' | 'cancel';
  readonly repo: RepoIdentity;
  readonly sha: string;
  readonly fields: StatusFields;
  readonly ids: ProviderIds;
}

export type WriteReason = 'missing' | 'spec-changed';

export interface Decision {
  /** Writes on the commits the resource moved away from, before the spec's own (best effort: log and move on on failure). */
  readonly settlePrevious: readonly PreviousWrite[];
  /** Write the spec to the SCM, or leave the SCM alone. */
  readonly write: WriteReason | null;
  /** The SCM was changed by someone else since our last write: reported, never copied back, not overwritten. */
  readonly drift: string | null;
}

/** Whether the resource moved to another commit, repository or check name since the last sync. */
export function retargeted(input: Pick<ReconcileInput, 'spec' | 'repo' | 'previous'>): boolean {
  const { previous, spec, repo } = input;
  if (!previous?.sha) return false;
  const before = trackedRepo(previous);
  if (before && !sameRepo(before, repo)) return true;
  return previous.sha !== spec.sha || (previous.name !== undefined && previous.name !== spec.name);
}

const sameTarget = (a: { repo: RepoIdentity; sha: string }, b: { repo: RepoIdentity; sha: string }) => a.sha === b.sha && sameRepo(a.repo, b.repo);

/**
 * What to write on the commits the resource moved away from: the commit the status tracked
 * (what the SCM held at the last sync) and `spec.previous` (the commit the spec replaced, with
 * the last phase it reached — possibly never written, when the spec moved on under lag).
 * - The tracked commit: if `spec.previous` says it reached `success`/`failure`, that (unless
 *   the status already says the SCM holds it); else, if it was left `queued`/`in_progress`,
 *   `canceled`.
 * - `spec.previous` on another commit (the spec moved more than once, or before the first
 *   sync): its final phase, or a cancel of whatever the SCM holds in progress there.
 * Only when the resource moved (or was never synced): once the status tracks the spec's
 * commit, the commits before it were settled.
 */
export function settlePrevious(input: ReconcileInput): PreviousWrite[] {
  const { previous: status, spec, repo } = input;
  const moved = retargeted(input);
  const prior = input.specPrevious && !sameTarget(input.specPrevious, { repo, sha: spec.sha }) ? input.specPrevious : null;
  const writes: PreviousWrite[] = [];
  let priorIsTracked = false;
  if (moved && status?.sha) {
    const tracked = { repo: trackedRepo(status) ?? repo, sha: status.sha };
    const name = status.name ?? spec.name;
    const ids = status.provider ?? {};
    priorIsTracked = prior !== null && sameTarget(prior, tracked) && name === spec.name;
    if (priorIsTracked && isFinal(prior!.fields.phase)) {
      const f = prior!.fields;
      const held = status.phase === f.phase && (status.description ?? '') === f.description && (status.url ?? null) === f.url;
      if (!held) writes.push({ kind: 'final', ...tracked, fields: { ...f, name }, ids });
    } else if (isActive(status.phase)) {
      writes.push({ kind: 'cancel', ...tracked, fields: { name, description: status.description ?? '', phase: 'canceled', url: status.url ?? null }, ids });
    }
  }
  if (prior && !priorIsTracked && (moved || !status?.sha)) {
    const f = prior.fields;
    writes.push(
      isFinal(f.phase)
        ? { kind: 'final', repo: prior.repo, sha: prior.sha, fields: { ...f, name: spec.name }, ids: {} }
        : { kind: 'cancel', repo: prior.repo, sha: prior.sha, fields: { name: spec.name, description: f.description, phase: 'canceled', url: f.url }, ids: {} },
    );
  }
  return writes;
}

/**
 * The reconcile decision (level-triggered, uni-directional):
 * - The resource moved (sha, repository or name): the commits it left are settled first
 *   (`settlePrevious`) — a final phase they reached is written, one that never reached any
 *   and is still `queued`/`in_progress` in the SCM is canceled.
 * - The SCM already holds the spec → nothing to write (never a duplicate status; also how a
 *   write that succeeded before a crash is recognised).
 * - The SCM holds nothing for it → write.
 * - The SCM holds something else: if this generation of the spec was already written (or
 *   found) on this target, someone else changed it — drift, reported in status, not
 *   overwritten (no tug of war, and no status spent toward GitHub's 1,000 per context);
 *   otherwise the spec is new for this target → write.
 */
export function decide(input: ReconcileInput): Decision {
  const { previous, spec, observed, generation } = input;
  const moved = retargeted(input);
  const settle = settlePrevious(input);

  if (observed?.matches) return { settlePrevious: settle, write: null, drift: null };
  if (!observed) return { settlePrevious: settle, write: 'missing', drift: null };
  const alreadyWritten = !moved && previous !== null && previous.observedGeneration === generation && previous.sha === spec.sha;
  if (alreadyWritten) {
    return {
      settlePrevious: settle,
      write: null,
      drift: `drift: the commit status in the SCM was changed outside this CommitStatus and is not copied back (${observed.differences.join('; ')}); change the spec to write it again`,
    };
  }
  return { settlePrevious: settle, write: 'spec-changed', drift: null };
}

export type Outcome =
  /** The write succeeded; the SCM now holds `observed`. */
  | { readonly kind: 'written'; readonly observed: ObservedStatus }
  /** Nothing was written (in sync, or drift). */
  | { readonly kind: 'unchanged' }
  /** Reading or writing the SCM failed. */
  | { readonly kind: 'failed'; readonly message: string };

/**
 * The status to record after acting on a decision: what the SCM holds (the spec's fields when
 * the provider's fields match them), whether that matches, and why not.
 */
export function statusAfter(input: ReconcileInput, decision: Decision, outcome: Outcome, now: Date): SyncStatus {
  const { spec, repo, previous, generation } = input;
  const base = {
    updatedAt: now.toISOString(),
    repo: repo.fullName,
    scm: { provider: repo.provider, apiUrl: repo.apiUrl },
    sha: spec.sha,
  };
  const desired: StatusFields = { name: spec.name, description: spec.description, phase: spec.phase, url: spec.url };
  const held = (fields: StatusFields) => ({
    name: fields.name,
    description: fields.description,
    phase: fields.phase,
    ...(fields.url ? { url: fields.url } : {}),
  });
  const sameTarget = !retargeted(input);
  // Provider ids name *our* status object, to update it in place: a drifted object (someone
  // else's newer check run) must not replace them.
  const ownIds = sameTarget && previous?.provider && Object.keys(previous.provider).length > 0 ? previous.provider : undefined;
  switch (outcome.kind) {
    case 'written':
      return {
        ...base,
        observedGeneration: generation,
        isSynced: true,
        syncFailure: null,
        ...held(outcome.observed.matches ? desired : outcome.observed.fields),
        provider: outcome.observed.ids,
      };
    case 'unchanged': {
      const observed = input.observed;
      if (observed?.matches) {
        return { ...base, observedGeneration: generation, isSynced: true, syncFailure: null, ...held(desired), provider: observed.ids };
      }
      return {
        ...base,
        observedGeneration: generation,
        isSynced: false,
        syncFailure: { message: decision.drift ?? 'the SCM does not hold the spec' },
        ...(observed ? held(observed.fields) : {}),
        ...(ownIds ? { provider: ownIds } : {}),
      };
    }
    case 'failed': {
      const observed = input.observed;
      const keep = { ...(observed ? held(observed.fields) : {}), ...(ownIds ? { provider: ownIds } : {}) };
      return {
        ...base,
        // Not advanced: the spec of this generation has not reached the SCM yet.
        observedGeneration: sameTarget && previous ? previous.observedGeneration : 0,
        isSynced: false,
        syncFailure: { message: outcome.message },
        ...keep,
      };
    }
  }
}
