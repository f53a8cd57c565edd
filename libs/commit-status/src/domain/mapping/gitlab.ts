import type { Phase } from '../model';
import { truncate, type StatusMapping } from './mapping';

/** `POST /projects/:id/statuses/:sha` body (and the fields read back from the statuses list). */
export interface GitLabStatusPayload {
  readonly state: string;
  /** `name` and `context` carry the same value. */
  readonly name: string;
  readonly description: string;
  readonly target_url: string | null;
}

export const GITLAB_DESCRIPTION_MAX = 255;

const STATE: Record<Phase, string> = {
  queued: 'pending',
  in_progress: 'running',
  success: 'success',
  failure: 'failed',
  canceled: 'canceled',
};

export function gitlabPhase(state: string): Phase {
  switch (state) {
    case 'running':
      return 'in_progress';
    case 'success':
      return 'success';
    case 'failed':
      return 'failure';
    case 'canceled':
    case 'canceling':
    case 'skipped':
      return 'canceled';
    default:
      return 'queued'; // created, pending, waiting_for_resource, preparing, scheduled, manual
  }
}

/** GitLab commit statuses: `name`/`context` = name, `state` from the phase, description, `target_url` = url. */
export const gitlabStatusMapping: StatusMapping<GitLabStatusPayload> = {
  label: 'GitLab commit status',
  toPayload(fields) {
    return { state: STATE[fields.phase], name: fields.name, description: truncate(fields.description, GITLAB_DESCRIPTION_MAX), target_url: fields.url };
  },
  fromPayload(status) {
    return { name: status.name, description: status.description ?? '', phase: gitlabPhase(status.state), url: status.target_url || null };
  },
  comparable(status) {
    return { state: status.state, name: status.name, description: status.description ?? '', target_url: status.target_url };
  },
};
