import { z } from 'zod';
import { commitSummary, repoRef, sha } from './common';

/** Events on `sluice.scm.v1`, normalised from SCM webhooks by webhook-ingest (stream `repo-<owner/name>`). */

export const pushReceivedV1 = z.object({
  deliveryId: z.string().min(1),
  repo: repoRef,
  ref: z.string().min(1),
  refType: z.enum(['branch', 'tag']),
  /** Branch or tag name without `refs/heads/` / `refs/tags/`. */
  name: z.string().min(1),
  before: sha,
  after: sha,
  created: z.boolean(),
  deleted: z.boolean(),
  forced: z.boolean(),
  headCommit: commitSummary.nullable(),
  commits: z.array(commitSummary),
  pusher: z.string().nullable(),
});

export const buildSource = z.enum(['workflow_run', 'check_suite', 'check_run', 'status']);

export const buildStartedV1 = z.object({
  deliveryId: z.string().min(1),
  repo: repoRef,
  sha,
  branch: z.string().nullable(),
  buildName: z.string().min(1),
  source: buildSource,
});

export const buildConclusion = z.enum([
  'success',
  'failure',
  'cancelled',
  'neutral',
  'skipped',
  'timed_out',
  'action_required',
  'stale',
  'error',
]);
export type BuildConclusion = z.infer<typeof buildConclusion>;

export const buildCompletedV1 = buildStartedV1.extend({ conclusion: buildConclusion });
/** v2 adds the build's web URL (null when the SCM gave none). */
export const buildCompletedV2 = buildCompletedV1.extend({ url: z.string().nullable() });

export const pullRequestChangedV1 = z.object({
  deliveryId: z.string().min(1),
  repo: repoRef,
  action: z.enum(['opened', 'synchronize', 'closed', 'reopened']),
  number: z.number().int().positive(),
  headSha: sha,
  headRef: z.string(),
  baseRef: z.string(),
  merged: z.boolean(),
});

export const refChangedV1 = z.object({
  deliveryId: z.string().min(1),
  repo: repoRef,
  refType: z.enum(['branch', 'tag']),
  ref: z.string().min(1),
});
