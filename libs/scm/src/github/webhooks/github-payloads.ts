import { z } from 'zod';

/**
 * The parts of GitHub webhook payloads Sluice reads (shapes from `@octokit/webhooks`'
 * schemas). Everything else in a payload is ignored; nothing here is ever followed as
 * a URL — `html_url`/`target_url` are only kept as links for people.
 */

const sha = z.string().regex(/^[0-9a-f]{40}$/);

export const repositoryPayload = z.object({
  id: z.number().int(),
  full_name: z.string().regex(/^[A-Za-z0-9_.-]+\/[A-Za-z0-9_.-]+$/),
  private: z.boolean(),
  default_branch: z.string().min(1),
});

const person = z.object({ name: z.string().nullish(), email: z.string().nullish() }).nullish();

export const pushCommitPayload = z.object({
  id: sha,
  message: z.string(),
  timestamp: z.string().nullish(),
  author: person,
});

export const pushPayload = z.object({
  ref: z.string().min(1),
  before: sha,
  after: sha,
  created: z.boolean(),
  deleted: z.boolean(),
  forced: z.boolean(),
  head_commit: pushCommitPayload.nullish(),
  commits: z.array(pushCommitPayload).default([]),
  pusher: z.object({ name: z.string().nullish() }).nullish(),
  repository: repositoryPayload,
});

const conclusion = z.string().nullish();
/** A GitHub id; large ones stay exact as numbers up to 2^53, far above any id GitHub has issued. */
const id = z.number().int().nullish();
/** A GitHub timestamp; one Sluice cannot read is left out of the ordering rather than failing the delivery. */
const timestamp = z.string().nullish();

export const workflowRunPayload = z.object({
  action: z.string(),
  workflow_run: z.object({
    id,
    run_attempt: z.number().int().positive().nullish(),
    run_started_at: timestamp,
    created_at: timestamp,
    updated_at: timestamp,
    name: z.string().nullish(),
    head_sha: sha,
    head_branch: z.string().nullish(),
    status: z.string().nullish(),
    conclusion,
    html_url: z.string().nullish(),
  }),
  workflow: z.object({ name: z.string().nullish() }).nullish(),
  repository: repositoryPayload,
});

export const checkSuitePayload = z.object({
  action: z.string(),
  check_suite: z.object({
    id,
    created_at: timestamp,
    updated_at: timestamp,
    head_sha: sha,
    head_branch: z.string().nullish(),
    status: z.string().nullish(),
    conclusion,
    app: z.object({ name: z.string().nullish(), slug: z.string().nullish() }).nullish(),
  }),
  repository: repositoryPayload,
});

export const checkRunPayload = z.object({
  action: z.string(),
  check_run: z.object({
    id,
    started_at: timestamp,
    completed_at: timestamp,
    name: z.string().min(1),
    head_sha: sha,
    status: z.string().nullish(),
    conclusion,
    html_url: z.string().nullish(),
    check_suite: z.object({ head_branch: z.string().nullish() }).nullish(),
  }),
  repository: repositoryPayload,
});

export const statusPayload = z.object({
  id,
  created_at: timestamp,
  updated_at: timestamp,
  sha,
  context: z.string().min(1),
  state: z.enum(['pending', 'success', 'failure', 'error']),
  target_url: z.string().nullish(),
  branches: z.array(z.object({ name: z.string() })).default([]),
  repository: repositoryPayload,
});

export const pullRequestPayload = z.object({
  action: z.string(),
  number: z.number().int().positive(),
  pull_request: z.object({
    merged: z.boolean().nullish(),
    head: z.object({ sha, ref: z.string() }),
    base: z.object({ ref: z.string() }),
  }),
  repository: repositoryPayload,
});

export const refPayload = z.object({
  ref: z.string().min(1),
  ref_type: z.string(),
  repository: repositoryPayload,
});

const login = z.object({ login: z.string().min(1) });

/** `repository` with action `renamed` (`changes.repository.name.from`) or `transferred` (`changes.owner.from.user|organization`). */
export const repositoryChangedPayload = z.object({
  action: z.string(),
  repository: repositoryPayload,
  changes: z
    .object({
      repository: z.object({ name: z.object({ from: z.string().min(1) }) }).optional(),
      owner: z.object({ from: z.object({ user: login.optional(), organization: login.optional() }) }).optional(),
    })
    .optional(),
});
