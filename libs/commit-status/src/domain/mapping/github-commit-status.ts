import type { Phase } from '../model';
import { truncate, type StatusMapping } from './mapping';

/** `POST /repos/{owner}/{repo}/statuses/{sha}` (authenticated by a token). */
export interface CommitStatusPayload {
  readonly state: 'pending' | 'success' | 'failure' | 'error';
  readonly context: string;
  readonly description: string;
  readonly target_url: string | null;
}

/** GitHub keeps at most 140 characters of a status description. */
export const GITHUB_STATUS_DESCRIPTION_MAX = 140;
/** The statuses API has no "canceled": it is written as `error` with this prefix, and read back by it. */
export const CANCELED_PREFIX = 'Canceled';

const STATE: Record<Phase, CommitStatusPayload['state']> = {
  queued: 'pending',
  in_progress: 'pending',
  success: 'success',
  failure: 'failure',
  canceled: 'error',
};

function description(phase: Phase, text: string): string {
  if (phase !== 'canceled') return truncate(text, GITHUB_STATUS_DESCRIPTION_MAX);
  const withPrefix = text ? (text.startsWith(CANCELED_PREFIX) ? text : `${CANCELED_PREFIX}: ${text}`) : CANCELED_PREFIX;
  return truncate(withPrefix, GITHUB_STATUS_DESCRIPTION_MAX);
}

/**
 * GitHub commit statuses: `context` = name, state from the phase (queued and in_progress are
 * both `pending`; canceled is `error` with a description starting "Canceled"), description
 * cut to 140 characters, `target_url` = url.
 */
export const githubCommitStatusMapping: StatusMapping<CommitStatusPayload> = {
  label: 'GitHub commit status',
  toPayload(fields) {
    return { state: STATE[fields.phase], context: fields.name, description: description(fields.phase, fields.description), target_url: fields.url };
  },
  fromPayload(status) {
    const text = status.description ?? '';
    let phase: Phase;
    switch (status.state) {
      case 'success':
        phase = 'success';
        break;
      case 'failure':
        phase = 'failure';
        break;
      case 'error':
        phase = text.startsWith(CANCELED_PREFIX) ? 'canceled' : 'failure';
        break;
      default:
        phase = 'in_progress';
    }
    return { name: status.context, description: text, phase, url: status.target_url || null };
  },
  comparable(status) {
    return { state: status.state, context: status.context, description: status.description ?? '', target_url: status.target_url };
  },
};
