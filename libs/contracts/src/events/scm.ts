import { z } from 'zod';
import { commitSummary, repoFullName, repoRef, repoRefV1, sha } from './common';

/** Events on `sluice.scm.v1`, normalised from SCM webhooks by webhook-ingest (stream `repo-<owner/name>`). */

export const pushReceivedV1 = z.object({
  deliveryId: z.string().min(1),
  repo: repoRefV1,
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
  repo: repoRefV1,
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

/** How far one execution of a build has got: queued < in_progress < completed. */
export const buildProgress = z.enum(['queued', 'in_progress', 'completed']);
export type BuildProgress = z.infer<typeof buildProgress>;

/**
 * Which execution of a build a delivery reports, and when: GitHub does not order its
 * deliveries, so repo-sync orders them by these (a build's state only moves forward).
 * Timestamps are the SCM's own clock, ISO-8601 in UTC; null when the SCM gave none.
 */
export const buildRun = z.object({
  /** The SCM's id of this execution: the workflow run, check run, check suite or commit status; null when unknown. */
  id: z.number().int().nullable(),
  /** workflow_run's `run_attempt` (a re-run of the same run counts up); null for other sources. */
  attempt: z.number().int().positive().nullable(),
  progress: buildProgress,
  /** When this execution (attempt) began: `run_started_at`, a check run's `started_at`, a suite's or status's `created_at`. */
  startedAt: z.string().datetime().nullable(),
  /** The SCM's last change of what the delivery reports: `updated_at`, or a check run's `completed_at`/`started_at`. */
  updatedAt: z.string().datetime().nullable(),
});
export type BuildRun = z.infer<typeof buildRun>;

/** v2: `run` — which execution and how far, to order deliveries that arrive out of order. */
export const buildStartedV2 = buildStartedV1.extend({ run: buildRun });
/** v3: `run`, as in scm.build.started v2. */
export const buildCompletedV3 = buildCompletedV2.extend({ run: buildRun });

/** What an event written before `run` existed says about its run: nothing but how far it got. */
export function unorderedRun(progress: BuildProgress): BuildRun {
  return { id: null, attempt: null, progress, startedAt: null, updatedAt: null };
}

export const pullRequestChangedV1 = z.object({
  deliveryId: z.string().min(1),
  repo: repoRefV1,
  action: z.enum(['opened', 'synchronize', 'closed', 'reopened']),
  number: z.number().int().positive(),
  headSha: sha,
  headRef: z.string(),
  baseRef: z.string(),
  merged: z.boolean(),
});

export const refChangedV1 = z.object({
  deliveryId: z.string().min(1),
  repo: repoRefV1,
  refType: z.enum(['branch', 'tag']),
  ref: z.string().min(1),
});

/** v2 of the events that carry a repository: `repo.provider` (docs/architecture.md §2). */
export const pushReceivedV2 = pushReceivedV1.extend({ repo: repoRef });
export const buildStartedV3 = buildStartedV2.extend({ repo: repoRef });
export const buildCompletedV4 = buildCompletedV3.extend({ repo: repoRef });
export const pullRequestChangedV2 = pullRequestChangedV1.extend({ repo: repoRef });
export const refChangedV2 = refChangedV1.extend({ repo: repoRef });

/**
 * The provider renamed or transferred a repository (GitHub's `repository` event, actions
 * `renamed` and `transferred`): `repo` carries the new name, `previousFullName` the old one.
 */
export const repositoryRenamedV1 = z.object({
  deliveryId: z.string().min(1),
  repo: repoRef,
  previousFullName: repoFullName,
  action: z.enum(['renamed', 'transferred']),
});
