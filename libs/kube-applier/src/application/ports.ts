import type { DeployStepName, EventData, GitOpsTarget, ScmProvider, SluiceEventOf, TestsSpec } from '@sluice/contracts';
import type { KubeObject } from '@sluice/kube';
import type { TeamPolicy, Verdict } from '@sluice/team-policy';
import type { Transaction } from '@sluice/event-store';
import type { SpecFile } from '../domain/render';
import type { DeployConfigObject, InventoryEntry } from '../domain/deploy-config';

/**
 * Reads a config's files at one commit. Commits are immutable, so implementations may cache
 * by (repo, sha, path) forever. Throws SpecSourceError for a missing repo/commit/folder
 * (terminal) and anything else for transient failures (retried by redelivery).
 */
export interface SpecSource {
  /** `provider`: the config repository's provider (absent = github), whose API reads it. */
  read(configRepo: string, configSha: string, path: string, provider?: ScmProvider): Promise<SpecFile[]>;
}
export const SPEC_SOURCE = Symbol('SPEC_SOURCE');

/** The commit or folder does not exist: the deploy cannot succeed as requested. */
export class SpecSourceError extends Error {
  override readonly name = 'SpecSourceError';
}

/**
 * Where a rendered DeployConfig goes: the cluster (server-side apply; the reconciler takes it
 * from there) or the dry-run target (recorded only; reported applied at once).
 */
export interface DeployTarget {
  readonly dryRun: boolean;
  /** Writes the desired DeployConfig. Throws DeployTargetError for terminal refusals. */
  write(desired: DeployConfigObject): Promise<void>;
}
export const DEPLOY_TARGET = Symbol('DEPLOY_TARGET');

export class DeployTargetError extends Error {
  override readonly name = 'DeployTargetError';
  constructor(
    readonly reason: string,
    message: string,
  ) {
    super(message);
  }
}

export type ReportedOutcome =
  | { type: 'deploy.started' }
  | { type: 'deploy.applied'; inventory: InventoryEntry[]; dryRun: boolean }
  | { type: 'deploy.succeeded' }
  | { type: 'deploy.failed'; reason: string; message: string; terminal: boolean }
  | { type: 'deploy.undeployed' }
  | ({ type: 'deploy.step' } & StepOutcome);

/** What the image registry says of `<image>:<tag>` before a deploy applies it (step check-image). */
export type ImageVerdict =
  | { kind: 'found'; digest: string }
  | { kind: 'missing'; message: string }
  /** The registry is not one Sluice checks (KUBE_APPLIER_IMAGE_CHECK). */
  | { kind: 'unchecked'; why: string }
  | { kind: 'error'; message: string };

export interface ImageCheck {
  check(image: string, tag: string): Promise<ImageVerdict>;
}

/** One step of a deploy as kube-applier reports it (§1 "Steps"), once per (deploy, step). */
export interface StepOutcome {
  step: DeployStepName;
  state: 'started' | 'done' | 'failed' | 'skipped';
  result: string | null;
  error: { reason: string; message: string } | null;
  childId: string | null;
  startedAt: string | null;
  endedAt: string | null;
}

/** The request an outcome answers: its correlation id and event id (the outcome's causation). */
export interface OutcomeCause {
  correlationId: string;
  causationId: string | null;
}

/** Lines of a deploy's log (`deploy.log`) from one source. */
export interface DeployLogLines {
  readonly source: 'kubernetes' | 'job';
  readonly lines: ReadonlyArray<{ at: string | null; text: string }>;
}

/** Reports outcomes once per (deploy, slot); see OutcomeReporter. */
export interface OutcomePort {
  /**
   * Without `cause`, it is looked up in the request's record. `log`: lines for the deploy's log
   * appended just before the outcome, with it and only when it is (once, as the outcome's slot).
   */
  report(deployId: string, config: string, outcome: ReportedOutcome, options?: { manager?: Transaction; cause?: OutcomeCause; log?: DeployLogLines }): Promise<boolean>;
  /** Lines for the deploy's log (`deploy.log`), in the caller's transaction; each reported once by the caller. */
  log(manager: Transaction, deployId: string, config: string, source: DeployLogLines['source'], lines: DeployLogLines['lines'], cause?: OutcomeCause): Promise<void>;
}

/**
 * The team policy as kube-applier applies it: the team's policy, and whether a config may
 * deploy into its namespace — judged with the namespace's labels where the cluster can tell
 * them (the dry-run target cannot: a label selector is then not decided here).
 */
export interface DeployPolicy {
  policyOf(team: string): Promise<TeamPolicy>;
  /** The repository is checked when given (a request names it; a DeployConfig does not). */
  placement(target: { config: string; team: string; namespace: string; configRepo?: string }, policy: TeamPolicy): Promise<Verdict>;
}

/** A request kube-applier handled, as it records it (the manifests API and the outcomes read it). */
export interface DeployRecord {
  readonly deployId: string;
  readonly config: string;
  readonly namespace: string;
  readonly kind: 'deploy' | 'undeploy';
  readonly artifactSha: string | null;
  readonly configSha: string | null;
  readonly imageTag: string | null;
  readonly dryRun: boolean;
  /** The rendered specs; null when they did not render. */
  readonly manifests: readonly KubeObject[] | null;
  readonly renderError: { readonly reason: string; readonly message: string } | null;
  readonly correlationId: string;
  readonly causationId: string;
  readonly team: string;
  /** The config's post-deploy tests, run once the deploy is healthy (absent = none). */
  readonly tests: TestsSpec | null;
  /** `<artifact image>:<tag>` the deploy rolls out; null for an artifactless config. */
  readonly deployedImage: string | null;
}

/** A deploy whose tests run once it is healthy. */
export interface DeployUnderTest {
  readonly deployId: string;
  readonly config: string;
  readonly team: string;
  readonly namespace: string;
  readonly tests: TestsSpec;
  readonly deployedImage: string | null;
}

/** Where requests are recorded, once each (a redelivery records nothing new). */
export interface DeployRecords {
  record(manager: Transaction, record: DeployRecord): Promise<void>;
  /** The tag kube-applier last wrote into a config's GitOps target (what a later push is compared with). */
  gitOpsWritten(manager: Transaction, written: GitOpsWritten): Promise<void>;
  /** The GitOps targets on `branch` of `repo`, with the tag written last into each. */
  gitOpsTargetsOn(repo: string, branch: string): Promise<GitOpsWritten[]>;
  /** The GitOps repository's push of the commit made for `deployId` arrived (its head is `sha`). */
  gitOpsPushed(manager: Transaction, deployId: string, sha: string): Promise<void>;
  /** Whether the push of the commit made for `deployId` arrived. */
  gitOpsPushSeen(deployId: string): Promise<boolean>;
  /** The deploy's tests, when its config declared some (read in `tx` when given). */
  testsOf(deployId: string, tx?: Transaction): Promise<DeployUnderTest | null>;
  /** A deploy waits for its build (step build): the request, kept until the BuildRun ends. Once per deploy. */
  hold(manager: Transaction, held: HeldDeploy): Promise<void>;
  /** The deploy waiting for its build, or null (none, or resumed already). */
  held(deployId: string): Promise<HeldDeploy | null>;
  /** The deploy no longer waits (its build ended and the deploy went on or failed). */
  resumed(manager: Transaction, deployId: string): Promise<void>;
  /** Whether a newer request of the same config was recorded after this one. */
  supersededSince(deployId: string): Promise<boolean>;
}

/** A deploy held at step build until its BuildRun ends. */
export interface HeldDeploy {
  readonly deployId: string;
  readonly config: string;
  readonly buildRun: string;
  readonly request: SluiceEventOf<'deploy.requested'>;
  readonly heldAt: string;
}

/** A `build.requested` as a deploy makes it (step build), its `buildId` the deploy's id. */
export type DeployBuildRequest = EventData<'build.requested'>;

/**
 * Starts a deploy's build (step build) through the same path and team-policy checks as a build on
 * push (libs/builds BuildRequests): idempotent per deploy; a refusal says why.
 */
export interface DeployBuilds {
  start(request: DeployBuildRequest, deployId: string, correlationId: string): Promise<{ readonly started: true; readonly buildRun: string } | { readonly started: false; readonly message: string }>;
}

export interface GitOpsWritten {
  readonly config: string;
  readonly repo: string;
  readonly branch: string;
  readonly path: string;
  readonly key: string;
  readonly tag: string;
  readonly deployId: string;
}

/** A change to a GitOps target that is not Sluice's (`gitops.drift.detected`). */
export interface GitOpsDrift {
  readonly config: string;
  readonly repo: string;
  readonly branch: string;
  readonly sha: string;
  readonly path: string;
  readonly key: string;
  readonly found: string | null;
  readonly expected: string;
  readonly pusher: string | null;
}

/** Where drift is reported: the config's applier stream, in the consumer's transaction. */
export interface DriftReports {
  report(manager: Transaction, drift: GitOpsDrift, cause: { correlationId: string; causationId: string }): Promise<void>;
}

/**
 * Deploys to a GitOps target (docs/architecture.md §1 "GitOps target"; libs/gitops): the tag committed
 * to the GitOps repository, then Argo CD's verdict on that commit. Errors it throws as `terminal` fail
 * the deploy; any other error is retried by the consumer.
 */
export interface GitOpsPort {
  commit(
    target: GitOpsTarget,
    write: { readonly deployId: string; readonly config: string; readonly value: string; readonly requestedBy: string },
  ): Promise<{ readonly commitSha: string | null; readonly revision: string }>;
  verdict(target: GitOpsTarget, revision: string): Promise<{ readonly ok: true } | { readonly ok: false; readonly reason: string; readonly message: string }>;
  /** The value at `key` of the file at commit `ref`; null when the file or the key is absent. */
  valueAt(target: Pick<GitOpsTarget, 'repo' | 'path' | 'key'>, ref: string): Promise<string | null>;
  /** Whether an error of `commit` fails the deploy for good (the file or key cannot take the tag, the credentials are refused). */
  isTerminal(error: unknown): boolean;
}
