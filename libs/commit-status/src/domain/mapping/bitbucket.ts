import { createHash } from 'node:crypto';
import type { Phase } from '../model';
import { truncate, type StatusMapping } from './mapping';

/** `POST /2.0/repositories/{workspace}/{repo}/commit/{sha}/statuses/build` body. */
export interface BitbucketStatusPayload {
  readonly key: string;
  readonly state: string;
  readonly name: string;
  readonly description: string;
  readonly url: string;
}

/** Bitbucket build-status keys are at most 40 characters. */
export const BITBUCKET_KEY_MAX = 40;

/** The build-status key of a CommitStatus name: the name itself, or a stable hash-suffixed cut when too long. */
export function bitbucketKey(name: string): string {
  if (name.length <= BITBUCKET_KEY_MAX) return name;
  const hash = createHash('sha256').update(name).digest('hex').slice(0, 8);
  return `${name.slice(0, BITBUCKET_KEY_MAX - 9)}-${hash}`;
}

const STATE: Record<Phase, string> = {
  queued: 'INPROGRESS',
  in_progress: 'INPROGRESS',
  success: 'SUCCESSFUL',
  failure: 'FAILED',
  canceled: 'STOPPED',
};

export function bitbucketPhase(state: string): Phase {
  switch (state) {
    case 'SUCCESSFUL':
      return 'success';
    case 'FAILED':
      return 'failure';
    case 'STOPPED':
      return 'canceled';
    default:
      return 'in_progress';
  }
}

/**
 * Bitbucket Cloud build statuses: `key` derived from the name (one status per key and commit),
 * `name` = name, state from the phase (queued and in_progress are both INPROGRESS), `url` = url
 * — required by Bitbucket, so the commit's page is linked when the spec has none.
 */
export const bitbucketStatusMapping: StatusMapping<BitbucketStatusPayload> = {
  label: 'Bitbucket build status',
  toPayload(fields, target) {
    return {
      key: bitbucketKey(fields.name),
      state: STATE[fields.phase],
      name: fields.name,
      description: truncate(fields.description, 255),
      url: fields.url ?? `https://bitbucket.org/${target.fullName}/commits/${target.sha}`,
    };
  },
  fromPayload(status) {
    return { name: status.name, description: status.description ?? '', phase: bitbucketPhase(status.state), url: status.url || null };
  },
  comparable(status) {
    return { key: status.key, state: status.state, name: status.name, description: status.description ?? '', url: status.url };
  },
};
