import { z } from 'zod';
import { buildConclusion, buildRun, buildSource } from './scm';
import { commitSummary, deployConfigRoot, repoFullName, repoRef, repoRefV1, scmProvider, sha } from './common';

/** Events on `sluice.repo.v1`, emitted by repo-sync as its catalogue changes (stream `repo-<owner/name>`). */

export const repoUpsertedV1 = z.object({ repo: repoRefV1 });
/** v2: `repo.provider`. */
export const repoUpsertedV2 = z.object({ repo: repoRef });

/**
 * The catalogue's repository `(provider, id)` now has the name `to` (a rename or transfer, seen
 * in a webhook or by global sync). Every read model keyed by name follows it; configs that still
 * name `from` keep pointing at this repository.
 */
export const repoRenamedV1 = z.object({
  provider: scmProvider,
  id: z.number().int(),
  from: repoFullName,
  to: repoFullName,
});

export const branchUpdatedV1 = z.object({
  repo: repoFullName,
  defaultBranch: z.string().min(1),
  branch: z.string().min(1),
  headSha: sha,
  previousSha: sha.nullable(),
  headCommit: commitSummary.nullable(),
});

/**
 * v2: `forced` — the head moved to a commit that does not descend from `previousSha`
 * because GitHub reported the push as forced (a history rewrite); false for every
 * fast-forward and for heads set by global sync.
 */
export const branchUpdatedV2 = branchUpdatedV1.extend({ forced: z.boolean() });

/**
 * A push that would have moved a branch head somewhere other than forward (a replayed or
 * late push, or a rewrite GitHub did not report as forced): recorded, the head left at
 * `knownSha`. `relation` is how `pushedSha` relates to `knownSha` (GitHub's compare
 * status; `unrelated` when the histories share no commit or one is unknown to GitHub), or
 * `still-exists` for a branch deletion (a `delete` delivery) while GitHub still has the
 * branch — a replayed or late delivery; it carries no SHA, so `pushedSha` and `before` are
 * the known head.
 */
export const branchPushIgnoredV1 = z.object({
  repo: repoFullName,
  branch: z.string().min(1),
  knownSha: sha,
  /** The head the push named: `after`, or `before` for a deletion. */
  pushedSha: sha,
  before: sha,
  deleted: z.boolean(),
  forced: z.boolean(),
  relation: z.enum(['behind', 'identical', 'diverged', 'unrelated', 'still-exists']),
  deliveryId: z.string().min(1),
});

export const branchDeletedV1 = z.object({ repo: repoFullName, branch: z.string().min(1) });

/** Which execution of a build the catalogue holds and how far it got: what orders the reports that come after. */
export const buildObservation = buildRun.extend({ source: buildSource.nullable() });

export const buildRecordedV1 = z.object({
  repo: repoFullName,
  sha,
  branch: z.string().nullable(),
  buildName: z.string().min(1),
  status: z.enum(['in_progress', 'completed']),
  conclusion: buildConclusion.nullable(),
  url: z.string().nullable(),
  /**
   * What orders this build's reports as the catalogue now holds it (widened in place; absent in
   * events written before it). The catalogue's rebuild takes it from here.
   */
  observation: buildObservation.optional(),
});

/**
 * The catalogue's row of a build changed in what orders its reports only (a later attempt or
 * run in the same state, a newer update time): nothing for a consumer to act on, there for the
 * catalogue's rebuild from the log.
 */
export const buildObservedV1 = buildRecordedV1.extend({ observation: buildObservation });

/** Commits of a repository the catalogue had not recorded before (from a push, a tag or global sync). */
export const commitsRecordedV1 = z.object({
  repo: repoFullName,
  commits: z.array(commitSummary).min(1),
});

/**
 * A build delivery older than what the catalogue holds (an earlier attempt or run, or
 * less far than the state already recorded): recorded, and no `repo.build.recorded`, so
 * nothing acts on the older state.
 */
export const buildStaleIgnoredV1 = z.object({
  repo: repoFullName,
  sha,
  /** The build's name as the catalogue shows it (its identity is the name without case: `buildKey`). */
  buildName: z.string().min(1),
  /** The name the delivery used. */
  observedName: z.string().min(1),
  /** Which SCM feature reported it; null when global sync read it. */
  source: buildSource.nullable(),
  observed: buildRun.extend({ conclusion: buildConclusion.nullable() }),
  known: buildRun.extend({ source: buildSource.nullable(), conclusion: buildConclusion.nullable() }),
  reason: z.enum(['older-attempt', 'older-run', 'behind', 'earlier-update']),
  /** null when global sync read it from the SCM's API rather than a webhook. */
  deliveryId: z.string().min(1).nullable(),
});

export const configDiscoveredV1 = z.object({ config: deployConfigRoot, configSha: sha });
export const configChangedV1 = z.object({ config: deployConfigRoot, configSha: sha });
export const configRemovedV1 = z.object({ name: z.string().min(1), configRepo: repoFullName, configSha: sha });
export const configInvalidV1 = z.object({
  configRepo: repoFullName,
  path: z.string().min(1),
  configSha: sha,
  errors: z.array(z.object({ path: z.string(), message: z.string() })),
});

/**
 * The configs of a repository were read at `configSha` (its main branch's head): the errors of
 * its invalid configs are now exactly `errors` (empty: none). Follows that scan's
 * `repo.config.*` events.
 */
export const configsScannedV1 = z.object({
  repo: repoFullName,
  configSha: sha,
  errors: z.array(
    z.object({
      path: z.string().min(1),
      errors: z.array(z.object({ path: z.string(), message: z.string() })),
    }),
  ),
});

/** A tag was pushed (created or moved) to `sha`; deleted tags are not reported. */
export const tagPushedV1 = z.object({
  repo: repoFullName,
  tag: z.string().min(1),
  sha,
  previousSha: sha.nullable(),
  pusher: z.string().nullable(),
});
