import { z } from 'zod';
import { builderSpec, buildTarget, configName, deployCause, deployStepName, deployStepState, gitOpsTarget, repoFullName, scmProvider, sha, testsSpec } from './common';

/**
 * Events on `sluice.deploy.v1` (key: config name). Decisions come from autodeploy
 * (stream `config-<name>`); outcomes from kube-applier (stream `applier-<name>`) and are
 * recorded by autodeploy in the config's stream with the same type.
 */

const deployTarget = z.object({
  deployId: z.uuid(),
  config: configName,
  team: z.string().min(1),
  namespace: configName,
  configRepo: repoFullName,
  /** The config repository's provider, whose API kube-applier reads the specs through (absent = github). */
  configRepoProvider: scmProvider.optional(),
  /** Folder of the config in the config repository, e.g. `deploy/billing-api`. */
  path: z.string().min(1),
  artifactRepo: repoFullName.nullable(),
  artifactImage: z.string().nullable(),
  artifactSha: sha.nullable(),
  configSha: sha.nullable(),
  /** `<branch>-<shortsha>`; null for artifactless configs. */
  imageTag: z.string().nullable(),
  /** Where the deploy goes when it is not the cluster: the config's GitOps target (absent = kube-applier applies). */
  gitops: gitOpsTarget.optional(),
  /** The config's post-deploy tests (absent = none): the deploy's `test` step runs them. */
  tests: testsSpec.optional(),
});

export const deployRequestedV1 = deployTarget.extend({
  cause: deployCause,
  requestedBy: z.string().min(1),
  reason: z.string(),
  reappliedFrom: z.uuid().nullable(),
  /**
   * When the deployed commit was made (the artifact commit, else the config commit), as the push
   * that brought it said, when autodeploy knew it at the request (absent otherwise, and in events
   * written before it: widened in place). Lead time for changes starts here (libs/dora), so a
   * replay of autodeploy's log gives the same lead times without the pushes of `sluice.repo.v1`.
   */
  commitAt: z.iso.datetime({ offset: true }).optional(),
});

export const undeployRequestedV1 = deployRequestedV1;

/**
 * A request waiting behind the deploy in flight (one deploy in flight per config). When
 * that one ends, the same deployId is requested (`deploy.requested`/`undeploy.requested`),
 * unless a newer request superseded it first (`deploy.superseded`).
 */
export const deployQueuedV1 = deployRequestedV1;

export const deploySupersededV1 = z.object({ deployId: z.uuid(), config: configName, supersededBy: z.uuid() });

export const deployStartedV1 = z.object({ deployId: z.uuid(), config: configName });

export const deployAppliedV1 = z.object({
  deployId: z.uuid(),
  config: configName,
  dryRun: z.boolean(),
  inventory: z.array(z.object({ apiVersion: z.string(), kind: z.string(), namespace: z.string().nullable(), name: z.string() })),
});

/**
 * One step of a deploy reached a state (kube-applier: check-image, render, apply of a GitOps
 * target, test). The steps the other outcomes imply (apply started at `deploy.started`, done at
 * `deploy.applied`, …) are not reported twice. At most one report per (deploy, step, state).
 */
export const deployStepV1 = z.object({
  deployId: z.uuid(),
  config: configName,
  step: deployStepName,
  state: deployStepState.exclude(['pending']),
  /** What the step found or did, for people: `digest sha256:…`, `3 objects`, `commit 1a2b3c4`. */
  result: z.string().nullable(),
  error: z.object({ reason: z.string().min(1), message: z.string() }).nullable(),
  /** What the step started, when it started something: a BuildRun, a test run. */
  childId: z.string().nullable(),
  startedAt: z.iso.datetime().nullable(),
  endedAt: z.iso.datetime().nullable(),
});

/**
 * Lines for a deploy's log from outside Sluice, reported by kube-applier while the deploy is under
 * way: the Kubernetes Events of its objects and of the Pods and ReplicaSets they make
 * (`kubernetes`), a Job's Pod log (`job`). Recorded in the config's stream; `GET
 * /api/deploys/{id}/logs` shows them. Each Kubernetes Event is reported once per count it reaches.
 */
export const deployLogV1 = z.object({
  deployId: z.uuid(),
  config: configName,
  source: z.enum(['kubernetes', 'job']),
  lines: z.array(z.object({ at: z.iso.datetime().nullable(), text: z.string().min(1).max(4000) })).min(1).max(50),
});

export const deploySucceededV1 = z.object({ deployId: z.uuid(), config: configName });

export const deployFailedV1 = z.object({
  deployId: z.uuid(),
  config: configName,
  reason: z.string().min(1),
  message: z.string(),
  terminal: z.boolean(),
});

export const undeployedV1 = z.object({ deployId: z.uuid(), config: configName });

export const configPinnedV1 = z.object({ config: configName, by: z.string().min(1), reason: z.string() });
export const configUnpinnedV1 = configPinnedV1;

export const deployRequestRejectedV1 = z.object({
  config: configName,
  artifactSha: sha.nullable(),
  configSha: sha.nullable(),
  cause: deployCause,
  requestedBy: z.string().min(1),
  reason: z.string(),
  /** Why it was rejected (e.g. the state pair the config accepts); absent in early events. */
  message: z.string().optional(),
});

/**
 * Why autodeploy did not deploy what would otherwise have deployed the config:
 * `pinned` (a person pinned it), `autodeploy-off` (a build or push of what it tracks, but
 * `autodeploy: false`), `stale-build` (a build of a commit that is no longer the head of the
 * tracked branch), `other-branch` (a green build of its build on a branch it does not track),
 * `no-green-build` (nothing green to deploy yet), `unknown-head` (the tracked branch's head
 * is not known yet).
 */
export const deploySkipCode = z.enum(['pinned', 'autodeploy-off', 'stale-build', 'other-branch', 'no-green-build', 'unknown-head']);
export type DeploySkipCode = z.infer<typeof deploySkipCode>;

/**
 * A decision of autodeploy not to deploy (ARCHITECTURE §1 rules 1, 2 and 4): the pair it
 * would have requested (null where it does not know one), what triggered it (`reason`) and
 * why nothing was requested (`code`, `message`). Recorded only for configs the trigger
 * concerns (their artifact repository's build, their config repository's push).
 */
export const deploySkippedV1 = deployRequestRejectedV1.extend({ code: deploySkipCode, message: z.string() });

/** The config as autodeploy knows it (from discovery), recorded in its stream. */
export const configRegisteredV1 = z.object({
  config: configName,
  root: z.record(z.string(), z.unknown()),
  configSha: z.string(),
});
export const configRemovedFromRepoV1 = z.object({ config: configName, configSha: z.string() });

/**
 * Builds (docs/architecture.md §1 "Builds"): autodeploy decides a build (`build.requested`, in the
 * config's stream); kube-applier runs it as a BuildRun and its Job and reports how it goes
 * (`build.scheduled`, `build.started`, `build.finished`, stream `applier-<config>`), which
 * autodeploy records in the config's stream. A build that succeeded is a green build of its
 * commit: autodeploy then requests `(commitSha, C)` with `imageTag`.
 */
export const buildRequestedV1 = z.object({
  buildId: z.uuid(),
  config: configName,
  team: z.string().min(1),
  namespace: configName,
  target: buildTarget,
  repo: repoFullName,
  /** The branch or tag built. */
  ref: z.string().min(1),
  commitSha: sha,
  /** The image the build must push: `<artifact.image>:<imageTag>`. */
  artifactImage: z.string().min(1),
  /** `<ref>-<shortsha>`. */
  imageTag: z.string().min(1),
  builder: builderSpec,
  requestedBy: z.string().min(1),
  reason: z.string(),
});

const buildRef = z.object({ buildId: z.uuid(), config: configName, target: buildTarget, commitSha: sha });

/** The BuildRun and its Job exist. */
export const buildScheduledV1 = buildRef.extend({ buildRun: z.string().min(1), namespace: configName });

/** The build's Pod runs. */
export const buildStartedV1 = buildRef.extend({ startedAt: z.string().nullable() });

export const buildFinalPhase = z.enum(['Succeeded', 'Failed', 'TimedOut', 'Canceled']);
export type BuildFinalPhase = z.infer<typeof buildFinalPhase>;

/** The build ended; `Canceled` also when it was refused before it ran (policy, invalid spec). */
export const buildFinishedV1 = buildRef.extend({
  phase: buildFinalPhase,
  message: z.string(),
  finishedAt: z.string().nullable(),
});

/**
 * A commit that is not Sluice's changed the tag of a config's GitOps target (docs/architecture.md §1
 * "GitOps target"): kube-applier's report (stream `applier-<config>`), recorded by autodeploy in the
 * config's stream. `found` is the value at `key` now (null: the key is gone), `expected` the tag
 * Sluice last wrote. The next deploy writes the tag again.
 */
export const gitOpsDriftDetectedV1 = z.object({
  config: configName,
  repo: repoFullName,
  branch: z.string().min(1),
  /** The commit that made the change (the pushed head). */
  sha,
  path: z.string().min(1),
  key: z.string().min(1),
  found: z.string().nullable(),
  expected: z.string().min(1),
  pusher: z.string().nullable(),
});

/**
 * Preview environments (docs/architecture.md §1 "Previews"): autodeploy's previews decide
 * (stream `preview-<config>`); kube-applier applies and removes them and reports
 * `preview.applied` (stream `applier-<config>`); commit-status shows them on the pull request. A
 * preview never touches the config's deploy state.
 */
const previewRef = z.object({
  /** One id per deploy into the slot (a new push is a new preview id in the same slot). */
  previewId: z.uuid(),
  config: configName,
  team: z.string().min(1),
  /** The artifact repository and the pull request's number there. */
  repo: repoFullName,
  pr: z.number().int().positive(),
  headSha: sha,
  namespace: configName,
  /** `<config>-pr-<n>`: the suffix of the preview's object names and its label. */
  name: configName,
  slot: z.number().int().min(1),
});

/** A pull request's head is deployed into a slot, until `expiresAt`. */
export const previewDeployedV1 = previewRef.extend({
  headRef: z.string().min(1),
  configRepo: repoFullName,
  /** The config repository's provider (absent = github), as in `deploy.requested`. */
  configRepoProvider: scmProvider.optional(),
  path: z.string().min(1),
  /** The config repository commit rendered (the config's latest known). */
  configSha: sha,
  artifactImage: z.string().min(1),
  /** `<headRef>-<shortsha>`. */
  imageTag: z.string().min(1),
  url: z.string().nullable(),
  expiresAt: z.iso.datetime(),
  requestedBy: z.string().min(1),
});

export const previewReleaseReason = z.enum(['closed', 'merged', 'expired', 'evicted', 'config-removed']);
export type PreviewReleaseReason = z.infer<typeof previewReleaseReason>;

/** The slot is given up: the preview's objects are removed. */
export const previewReleasedV1 = previewRef.extend({ reason: previewReleaseReason });

/** kube-applier applied a preview (`ok`) or could not (`message` says why). */
export const previewAppliedV1 = previewRef.extend({
  ok: z.boolean(),
  message: z.string(),
  url: z.string().nullable(),
  objects: z.number().int().min(0),
});
