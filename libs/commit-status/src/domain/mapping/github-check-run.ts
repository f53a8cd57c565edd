import type { Phase } from '../model';
import type { StatusMapping } from './mapping';

/** The writable fields of a GitHub check run (`POST/PATCH /repos/{owner}/{repo}/check-runs`). */
export interface CheckRunPayload {
  readonly name: string;
  readonly status: 'queued' | 'in_progress' | 'completed';
  readonly conclusion: 'success' | 'failure' | 'cancelled' | null;
  readonly details_url: string | null;
  readonly output: { readonly title: string; readonly summary: string };
}

/** What GitHub may report for a check run (other apps and re-runs produce more values than we write). */
export interface ObservedCheckRun {
  readonly name: string;
  readonly status: string;
  readonly conclusion: string | null;
  readonly details_url: string | null;
  readonly output?: { readonly title?: string | null; readonly summary?: string | null } | null;
}

const STATUS: Record<Phase, CheckRunPayload['status']> = {
  queued: 'queued',
  in_progress: 'in_progress',
  success: 'completed',
  failure: 'completed',
  canceled: 'completed',
};
const CONCLUSION: Record<Phase, CheckRunPayload['conclusion']> = {
  queued: null,
  in_progress: null,
  success: 'success',
  failure: 'failure',
  canceled: 'cancelled',
};

export function checkRunPhase(status: string, conclusion: string | null): Phase {
  if (status === 'in_progress') return 'in_progress';
  if (status !== 'completed') return 'queued'; // queued, requested, waiting, pending
  switch (conclusion) {
    case 'success':
    case 'neutral':
    case 'skipped':
      return 'success';
    case 'cancelled':
    case 'stale':
      return 'canceled';
    default:
      return 'failure'; // failure, timed_out, action_required, startup_failure
  }
}

/**
 * GitHub check runs (authenticated as a GitHub App): `name` and `output.title` = name,
 * `output.summary` = description (the name when the description is empty: GitHub requires a
 * summary), status + conclusion from the phase, `details_url` = url.
 */
export const githubCheckRunMapping: StatusMapping<ObservedCheckRun, CheckRunPayload> = {
  label: 'GitHub check run',
  toPayload(fields) {
    return {
      name: fields.name,
      status: STATUS[fields.phase],
      conclusion: CONCLUSION[fields.phase],
      details_url: fields.url,
      output: { title: fields.name, summary: fields.description || fields.name },
    };
  },
  fromPayload(run) {
    return {
      name: run.name,
      description: run.output?.summary ?? '',
      phase: checkRunPhase(run.status, run.conclusion),
      url: run.details_url || null,
    };
  },
  comparable(run) {
    return {
      name: run.name,
      status: run.status,
      conclusion: run.status === 'completed' ? run.conclusion : null,
      details_url: run.details_url,
      'output.title': run.output?.title ?? null,
      'output.summary': run.output?.summary ?? null,
    };
  },
};
