import { z } from 'zod';

/**
 * The parts of GitLab webhook payloads Sluice reads (shapes from GitLab's webhook_events.md;
 * fixtures in libs/fake-scm/src/gitlab/fixtures). Everything else is ignored; URLs are only kept
 * as links for people, never followed.
 */

const sha = z.string().regex(/^[0-9a-f]{40}$/);

/** `project` of every payload: visibility 0 private, 10 internal, 20 public. */
export const projectPayload = z.object({
  id: z.number().int(),
  path_with_namespace: z.string().min(1),
  default_branch: z.string().min(1),
  visibility_level: z.number().int().nullish(),
  web_url: z.string().nullish(),
});

const commit = z.object({
  id: sha,
  message: z.string(),
  timestamp: z.string().nullish(),
  author: z.object({ name: z.string().nullish(), email: z.string().nullish() }).nullish(),
});
export type GitLabCommitPayload = z.output<typeof commit>;

/** `Push Hook` and `Tag Push Hook`. */
export const pushPayload = z.object({
  object_kind: z.enum(['push', 'tag_push']),
  ref: z.string().min(1),
  before: sha,
  after: sha,
  checkout_sha: sha.nullish(),
  user_username: z.string().nullish(),
  user_name: z.string().nullish(),
  project: projectPayload,
  commits: z.array(commit).default([]),
});

export const pipelinePayload = z.object({
  object_kind: z.literal('pipeline'),
  object_attributes: z.object({
    id: z.number().int().nullish(),
    name: z.string().nullish(),
    ref: z.string().nullish(),
    tag: z.boolean().nullish(),
    sha,
    status: z.string(),
    created_at: z.string().nullish(),
    finished_at: z.string().nullish(),
    url: z.string().nullish(),
  }),
  project: projectPayload,
});

export const mergeRequestPayload = z.object({
  object_kind: z.literal('merge_request'),
  project: projectPayload,
  object_attributes: z.object({
    iid: z.number().int().positive(),
    action: z.string().nullish(),
    source_branch: z.string().min(1),
    target_branch: z.string().min(1),
    /** Present on an `update` that brought new commits. */
    oldrev: sha.nullish(),
    last_commit: z.object({ id: sha }),
  }),
});
