import type { BuildProgress, BuildRun } from '@sluice/contracts';

export type BuildSource = 'workflow_run' | 'check_suite' | 'check_run' | 'status';

/** One report of a build: which source said it, about which execution, how far and when. */
export interface BuildObservation extends BuildRun {
  readonly source: BuildSource | null;
}

/**
 * Where a report stands against the build's recorded state. `newer`: record it (a later
 * attempt or run starts a new state, even from completed back to running). `stale`: an
 * older report GitHub delivered late; nothing may act on it.
 */
export type BuildOrder =
  | { readonly kind: 'newer'; readonly why: 'first' | 'new-attempt' | 'new-run' | 'progress' | 'later-update' | 'unordered' }
  | { readonly kind: 'stale'; readonly why: 'older-attempt' | 'older-run' | 'behind' | 'earlier-update' };

const RANK: Readonly<Record<BuildProgress, number>> = { queued: 0, in_progress: 1, completed: 2 };

/** Compares two instants; 0 when either is unknown (nothing can be said). */
function compareInstants(a: string | null, b: string | null): number {
  if (a === null || b === null) return 0;
  return Math.sign(Date.parse(a) - Date.parse(b));
}

const newer = (why: Extract<BuildOrder, { kind: 'newer' }>['why']): BuildOrder => ({ kind: 'newer', why });
const stale = (why: Extract<BuildOrder, { kind: 'stale' }>['why']): BuildOrder => ({ kind: 'stale', why });

/**
 * Orders a build report against the recorded one. GitHub does not order its deliveries,
 * so a build only moves forward:
 * - the same execution (same source and id): a higher `run_attempt` is a re-run and a new
 *   state, a lower one is stale; within one attempt, queued < in_progress < completed,
 *   then the SCM's `updatedAt`;
 * - another execution: one that began after the recorded state's last change is a new
 *   run (a re-run is a new check run, a new status); of one source, the one that began
 *   earlier is stale (ties: GitHub's ids grow);
 * - across sources of one build (a check suite and its check run) what is known is how
 *   far each got and when.
 * Reports with nothing to order them by (events written before `run` existed, global
 * sync's reads) never move a build back in progress, and otherwise replace it.
 */
export function orderBuildObservation(known: BuildObservation | null, incoming: BuildObservation): BuildOrder {
  if (known === null) return newer('first');
  const sameSource = known.source !== null && known.source === incoming.source;
  const bothIds = known.id !== null && incoming.id !== null;
  if (sameSource && bothIds && known.id === incoming.id) {
    if (known.attempt !== null && incoming.attempt !== null && known.attempt !== incoming.attempt) {
      return incoming.attempt > known.attempt ? newer('new-attempt') : stale('older-attempt');
    }
    return byProgress(known, incoming);
  }
  if (compareInstants(incoming.startedAt, known.updatedAt) > 0) return newer('new-run');
  if (sameSource && bothIds) {
    const started = compareInstants(incoming.startedAt, known.startedAt) || Math.sign(incoming.id! - known.id!);
    if (started < 0) return stale('older-run');
    // A later run of the same source that began before the last recorded change: it runs beside the recorded one.
    if (started > 0) return newer('new-run');
  }
  return byProgress(known, incoming);
}

function byProgress(known: BuildObservation, incoming: BuildObservation): BuildOrder {
  const progress = RANK[incoming.progress] - RANK[known.progress];
  if (progress > 0) return newer('progress');
  if (progress < 0) return stale('behind');
  const updated = compareInstants(incoming.updatedAt, known.updatedAt);
  if (updated < 0) return stale('earlier-update');
  return newer(updated > 0 ? 'later-update' : 'unordered');
}
