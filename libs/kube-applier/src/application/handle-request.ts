import type { ScmProvider, SluiceEventOf } from '@sluice/contracts';
import type { KubeObject } from '@sluice/kube';
import type { Transaction } from '@sluice/event-store';
import { builderOf } from '../domain/config-source';
import { deployConfigManifest, inventoryOf } from '../domain/deploy-config';
import { RenderError, stepOfFailure } from '../domain/errors';
import {
  DeployTargetError,
  SpecSourceError,
  type DeployBuildRequest,
  type DeployBuilds,
  type DeployLogLines,
  type DeployPolicy,
  type DeployRecords,
  type HeldDeploy,
  type DeployTarget,
  type GitOpsPort,
  type ImageCheck,
  type OutcomePort,
  type SpecSource,
  type StepOutcome,
} from './ports';
import { NO_MANIFEST_TOOLS, renderConfig, type ManifestTools } from './render-config';

export type DeployRequest = SluiceEventOf<'deploy.requested'> | SluiceEventOf<'undeploy.requested'>;

export interface RequestLogger {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
}

/** What a request needs besides the transaction: its rendered specs, then what the target said. */
export interface PreparedRequest {
  manifests: KubeObject[];
  renderError?: RenderError;
  /** The steps done while preparing (check-image, render), reported with `deploy.started`. */
  steps?: StepOutcome[];
  /** Set once the DeployConfig was written: the target's terminal refusal, if any. */
  targetError?: DeployTargetError;
  /**
   * Step build: the image is missing and the config builds it. `external` starts the build and
   * holds the deploy (nothing is rendered or applied) until its BuildRun ends (`resumeAfterBuild`).
   */
  build?: DeployBuildRequest;
  /** Step build ended (`resumeAfterBuild`): the build Job's Pod log, reported just before the build step's result. */
  buildLog?: DeployLogLines;
}

/** How the BuildRun a deploy waits for ended. */
export interface BuildEnd {
  readonly buildRun: string;
  readonly phase: 'Succeeded' | 'Failed' | 'TimedOut' | 'Canceled';
  readonly message: string;
  /** The build Job's Pod log (or one line saying why it is not available), for the deploy's log before the build step's result. */
  readonly log?: DeployLogLines;
}

/** Runs `work` in a short transaction of its own. */
export type Transact = (work: (manager: Transaction) => Promise<void>) => Promise<void>;

/**
 * Handles a deploy or undeploy request in three steps, none of which holds a transaction open
 * across a network call (an open transaction holds back every outbox relay on the server):
 *
 * 1. `prepare` (no transaction): read the specs at configSha from the SCM and render them. Pure
 *    reads of an immutable commit, so running it again on redelivery is harmless.
 * 2. `external` (skipped by the consumer when the inbox already holds the request): in a short
 *    transaction record the request and report `deploy.started` (and, for specs that do not
 *    render, `deploy.failed` — nothing reaches the cluster); then, with no transaction open,
 *    write the desired DeployConfig to the target.
 * 3. `handle` (in the consumer's inbox transaction): the failure of a refused write, or the
 *    dry-run target's outcomes.
 *
 * Why this is correct:
 * - started before applied: `deploy.started` is committed before the DeployConfig exists, and
 *   the reconciler reports applied only from the DeployConfig it observes.
 * - nothing lost: every step before the inbox commit is idempotent (the record is insert-once,
 *   outcomes once per (deploy, slot), the write a server-side apply of the same object), so a
 *   crash anywhere before it is redelivered and redone — a crash between the cluster write and
 *   the commit writes the same DeployConfig again and reports each outcome once.
 * - never an older deploy over a newer one: a request whose inbox transaction committed is
 *   skipped before any write (the consumer checks the inbox first). One not committed is still
 *   the newest of its config: requests of one config share a key, handled in order, and the
 *   offset moves past a request only once its handler (the inbox commit) resolved; and
 *   autodeploy requests a config's next deploy only after this one's result, which needs this
 *   DeployConfig written. (As before, a zombie consumer whose partition was reassigned while it
 *   was mid-request is not fenced at the API server.)
 * The cluster side (apply, prune, health, further outcomes) is the reconciler's,
 * level-triggered from the DeployConfig.
 */
export class HandleDeployRequest {
  constructor(
    private readonly specs: SpecSource,
    private readonly target: DeployTarget,
    private readonly outcomes: OutcomePort,
    private readonly transact: Transact,
    private readonly logger: RequestLogger,
    private readonly policy: DeployPolicy,
    private readonly records: DeployRecords,
    /** Deploys to GitOps targets; null without GitHub credentials (such deploys then fail, saying so). */
    private readonly gitops: GitOpsPort | null = null,
    /** How long Argo CD's sync waits for the GitOps commit's push webhook before it goes ahead without it. */
    private readonly gitopsPushWaitMs = 30_000,
    /** Asks the image registry for the deploy's image before anything is applied (step check-image). */
    private readonly images: ImageCheck | null = null,
    /** Helm and Kustomize (docs/architecture.md §1 "Helm and Kustomize"); without them such a config fails at render, saying so. */
    private readonly tools: ManifestTools = NO_MANIFEST_TOOLS,
    /** Step build: starts the build of a missing image (null without a cluster: a missing image then fails check-image). */
    private readonly builds: DeployBuilds | null = null,
  ) {}

  /** The request's steps up to render (§1 "Steps"): a refusal is the failure of the step it belongs to. */
  async prepare(event: DeployRequest): Promise<PreparedRequest> {
    const startedAt = new Date().toISOString();
    const prepared = await this.prepareSteps(event);
    const { renderError } = prepared;
    if (!renderError) return prepared;
    const failed: StepOutcome = { step: stepOfFailure(renderError.reason), state: 'failed', result: null, error: { reason: renderError.reason, message: renderError.message }, childId: null, startedAt, endedAt: new Date().toISOString() };
    return { ...prepared, steps: [...(prepared.steps ?? []).filter((s) => s.step !== failed.step), failed] };
  }

  /** `built`: the deploy's build succeeded (resumeAfterBuild): a missing image now fails the build step instead of building again. */
  private async prepareSteps(event: DeployRequest, built = false): Promise<PreparedRequest> {
    const d = event.data;
    if (isUndeploy(event)) {
      if (d.gitops) return { manifests: [], renderError: new RenderError('GitOpsTargetInvalid', `${d.config} deploys through ${d.gitops.repo}: Sluice does not undeploy a GitOps target; remove or change its application there`) };
      // An undeploy only removes what the config made: never refused by a policy.
      return { manifests: [] };
    }
    // autodeploy checked the policy when it decided; it may have changed since, and the
    // cluster (namespace labels) is known only here. A refusal writes nothing to the cluster.
    const policy = await this.policy.policyOf(d.team);
    const placement = await this.policy.placement({ config: d.config, team: d.team, namespace: d.namespace, configRepo: d.configRepo }, policy);
    if (!placement.allowed) return { manifests: [], renderError: new RenderError('PolicyDenied', `${placement.reason}: ${placement.message}`) };
    if (d.gitops) {
      // A GitOps commit acts in a repository: the team's policy must allow that repository too.
      const repo = await this.policy.placement({ config: d.config, team: d.team, namespace: d.namespace, configRepo: d.gitops.repo }, policy);
      if (!repo.allowed) return { manifests: [], renderError: new RenderError('PolicyDenied', `GitOps repository ${d.gitops.repo}: ${repo.reason}: ${repo.message}`) };
      if (!this.gitops) return { manifests: [], renderError: new RenderError('GitOpsTargetInvalid', 'no GitHub credentials to commit to the GitOps repository (GITHUB_TOKEN or a GitHub App)') };
      if (!d.imageTag) return { manifests: [], renderError: new RenderError('GitOpsTargetInvalid', 'a GitOps deploy writes an image tag, and this request has none') };
    }
    const imageStep = await this.checkImage(d.artifactSha ? d.artifactImage : null, d.imageTag);
    if (imageStep.state === 'failed' && built) return { manifests: [], steps: [], renderError: new RenderError('BuildFailed', `the build succeeded, but ${imageStep.error!.message}`) };
    if (imageStep.state === 'failed' && imageStep.error!.reason === 'ImageNotFound') {
      // Step build: a config that builds its image builds the missing tag, and the deploy waits for it.
      const build = await this.buildOf(event as SluiceEventOf<'deploy.requested'>);
      if (build) return { manifests: [], steps: [{ ...imageStep, state: 'done', result: `${imageStep.error!.message}: building it`, error: null }], build };
    }
    if (imageStep.state === 'failed') return { manifests: [], steps: [imageStep], renderError: new RenderError(imageStep.error!.reason as 'ImageNotFound', imageStep.error!.message) };
    if (d.gitops) {
      const now = new Date().toISOString();
      return { manifests: [], steps: [imageStep, { step: 'render', state: 'skipped', result: `GitOps target: Argo CD renders ${d.gitops.repo}`, error: null, childId: null, startedAt: null, endedAt: now }] };
    }
    const renderStartedAt = new Date().toISOString();
    try {
      const files = await this.readSpecs(d.configRepo, d.configSha!, d.path, d.configRepoProvider);
      const manifests = await renderConfig(this.tools, files, {
        config: d.config,
        namespace: d.namespace,
        folder: d.path,
        artifactImage: d.artifactImage,
        imageTag: d.artifactSha ? d.imageTag : null,
        policy,
      });
      const render: StepOutcome = { step: 'render', state: 'done', result: `${manifests.length} object${manifests.length === 1 ? '' : 's'} rendered`, error: null, childId: null, startedAt: renderStartedAt, endedAt: new Date().toISOString() };
      return { manifests, steps: [imageStep, render] };
    } catch (err) {
      if (!(err instanceof RenderError)) throw err;
      return { manifests: [], steps: [imageStep], renderError: err };
    }
  }

  /**
   * The build of a deploy's missing image: its config's `build` (deploy.yaml at configSha) run on
   * the artifact commit, pushing `<artifact image>:<tag>`; null when the config builds nothing, the
   * artifact is not known, or there is no cluster to build on. The build id is the deploy's.
   */
  private async buildOf(event: SluiceEventOf<'deploy.requested'>): Promise<DeployBuildRequest | null> {
    const d = event.data;
    if (!this.builds || !d.artifactRepo || !d.artifactSha || !d.artifactImage || !d.imageTag || !d.configSha) return null;
    let builder;
    try {
      builder = builderOf(d.path, await this.readSpecs(d.configRepo, d.configSha, d.path, d.configRepoProvider));
    } catch (err) {
      if (err instanceof RenderError) return null; // the specs cannot be read: the missing image fails check-image, as without a build
      throw err;
    }
    if (!builder) return null;
    const short = d.artifactSha.slice(0, 7);
    // The tag is `<ref>-<shortsha>` (§1): the build runs on that ref.
    const ref = d.imageTag.endsWith(`-${short}`) && d.imageTag.length > short.length + 1 ? d.imageTag.slice(0, -(short.length + 1)) : d.imageTag;
    return {
      buildId: d.deployId,
      config: d.config,
      team: d.team,
      namespace: d.namespace,
      target: 'staging',
      repo: d.artifactRepo,
      ref,
      commitSha: d.artifactSha,
      artifactImage: `${d.artifactImage}:${d.imageTag}`,
      imageTag: d.imageTag,
      builder,
      requestedBy: d.requestedBy,
      reason: `deploy ${d.deployId}: ${d.artifactImage}:${d.imageTag} is not in the registry`,
    };
  }

  /** Step check-image: is `<image>:<tag>` in its registry? A missing image fails here, not as a Pod in ImagePullBackOff. */
  private async checkImage(image: string | null, tag: string | null): Promise<StepOutcome> {
    const startedAt = new Date().toISOString();
    const step = (state: StepOutcome['state'], result: string | null, error: StepOutcome['error'] = null): StepOutcome => ({ step: 'check-image', state, result, error, childId: null, startedAt, endedAt: new Date().toISOString() });
    if (!image || !tag) return step('skipped', 'no image: an artifactless config');
    if (!this.images) return step('skipped', 'image check off');
    const verdict = await this.images.check(image, tag);
    switch (verdict.kind) {
      case 'found':
        return step('done', `${image}:${tag} is ${verdict.digest}`);
      case 'unchecked':
        return step('skipped', verdict.why);
      case 'missing':
        return step('failed', null, { reason: 'ImageNotFound', message: verdict.message });
      case 'error':
        return step('failed', null, { reason: 'ImageCheckFailed', message: verdict.message });
    }
  }

  private async recordRequest(manager: Transaction, event: DeployRequest, rendered: { manifests: KubeObject[] | null; renderError: RenderError | undefined }): Promise<void> {
    const d = event.data;
    const undeploy = isUndeploy(event);
    const { manifests, renderError } = rendered;
    await this.records.record(manager, {
      deployId: d.deployId,
      config: d.config,
      namespace: d.namespace,
      kind: undeploy ? 'undeploy' : 'deploy',
      artifactSha: d.artifactSha,
      configSha: d.configSha,
      imageTag: d.imageTag,
      dryRun: this.target.dryRun,
      manifests: renderError ? null : manifests,
      renderError: renderError ? { reason: renderError.reason, message: renderError.message } : null,
      correlationId: event.correlationId,
      causationId: event.id,
      team: d.team,
      tests: undeploy ? null : (d.tests ?? null),
      deployedImage: !undeploy && d.artifactImage && d.imageTag && d.artifactSha ? `${d.artifactImage}:${d.imageTag}` : null,
    });
  }

  async external(event: DeployRequest, prepared: PreparedRequest): Promise<PreparedRequest> {
    if (prepared.build) return this.holdForBuild(event as SluiceEventOf<'deploy.requested'>, prepared);
    const d = event.data;
    const undeploy = isUndeploy(event);
    const { manifests, renderError } = prepared;
    const cause = causeOf(event);
    await this.transact(async (manager) => {
      await this.recordRequest(manager, event, { manifests, renderError });
      for (const step of prepared.steps ?? []) {
        // The build's log goes with the build step's result (once, as it is reported).
        const log = step.step === 'build' ? prepared.buildLog : undefined;
        await this.outcomes.report(d.deployId, d.config, { type: 'deploy.step', ...step }, { manager, cause, ...(log ? { log } : {}) });
      }
      await this.outcomes.report(d.deployId, d.config, { type: 'deploy.started' }, { manager, cause });
      if (renderError) {
        await this.outcomes.report(d.deployId, d.config, { type: 'deploy.failed', reason: renderError.reason, message: renderError.message, terminal: true }, { manager, cause });
      }
    });
    if (renderError) {
      this.logger.warn({ ...logFields(event), reason: renderError.reason, err: renderError.message }, 'specs do not render; deploy failed');
      return prepared;
    }
    if (d.gitops) return this.deployThroughGitOps(event as SluiceEventOf<'deploy.requested'>, prepared);

    const desired = deployConfigManifest({
      config: d.config,
      namespace: d.namespace,
      team: d.team,
      deployId: d.deployId,
      artifactSha: undeploy ? null : d.artifactSha,
      configSha: undeploy ? null : d.configSha,
      imageTag: undeploy ? null : d.imageTag,
      specs: manifests,
      cause,
    });
    try {
      await this.target.write(desired);
    } catch (err) {
      if (!(err instanceof DeployTargetError)) throw err;
      return { ...prepared, targetError: err };
    }
    this.logger.info({ ...logFields(event), objects: manifests.length, undeploy, dryRun: this.target.dryRun }, 'DeployConfig written');
    return prepared;
  }

  /**
   * Step build (§1 "Steps"): starts the build of the missing image — the same BuildRequests path and
   * team-policy checks as a build on push — then, in one transaction, records the request (not
   * rendered yet), holds it (`held_deploys`) and reports check-image done (the tag missing), build
   * started (its child the BuildRun) and `deploy.started`. Nothing is rendered or applied until
   * the BuildRun ends (`resumeAfterBuild`, from the BuildRun controller). A refused build fails
   * the deploy at step build. Idempotent: a redelivery finds the same BuildRun (named by the
   * deploy id) and reports nothing twice.
   */
  private async holdForBuild(event: SluiceEventOf<'deploy.requested'>, prepared: PreparedRequest): Promise<PreparedRequest> {
    const d = event.data;
    const cause = causeOf(event);
    const build = prepared.build!;
    const startedAt = new Date().toISOString();
    const started = await this.builds!.start(build, d.deployId, event.correlationId);
    const buildStep: StepOutcome = started.started
      ? { step: 'build', state: 'started', result: `building ${build.artifactImage} from ${build.repo} at ${build.commitSha.slice(0, 7)}`, error: null, childId: started.buildRun, startedAt, endedAt: null }
      : { step: 'build', state: 'failed', result: null, error: { reason: 'BuildFailed', message: started.message }, childId: null, startedAt, endedAt: new Date().toISOString() };
    await this.transact(async (manager) => {
      await this.recordRequest(manager, event, { manifests: null, renderError: started.started ? undefined : new RenderError('BuildFailed', started.message) });
      if (started.started) await this.records.hold(manager, { deployId: d.deployId, config: d.config, buildRun: started.buildRun, request: event, heldAt: startedAt });
      for (const step of [...(prepared.steps ?? []), buildStep]) await this.outcomes.report(d.deployId, d.config, { type: 'deploy.step', ...step }, { manager, cause });
      await this.outcomes.report(d.deployId, d.config, { type: 'deploy.started' }, { manager, cause });
      if (!started.started) await this.outcomes.report(d.deployId, d.config, { type: 'deploy.failed', reason: 'BuildFailed', message: started.message, terminal: true }, { manager, cause });
    });
    if (started.started) this.logger.info({ ...logFields(event), buildRun: started.buildRun, image: build.artifactImage }, 'image missing: building it; the deploy waits for its build');
    else this.logger.warn({ ...logFields(event), err: started.message }, 'image missing and its build refused; deploy failed');
    return prepared;
  }

  /**
   * The BuildRun a held deploy waits for ended (called by the BuildRun controller on every pass
   * over an ended BuildRun, so a crash anywhere is redone; nothing once resumed). Succeeded: build
   * done, and the deploy goes on as a request does — the image checked again (a build that pushed
   * nothing fails the build step), render, the DeployConfig written (apply), the rest the
   * reconciler's. Failed, timed out or canceled: the deploy fails at build with the build's message.
   * The build Job's Pod log (`end.log`) goes into the deploy's log just before the build step's
   * result, in its transaction and only with it (so once).
   * A deploy that a newer request of its config overtook while it waited fails instead of
   * writing an older DeployConfig over a newer one.
   */
  async resumeAfterBuild(held: HeldDeploy, end: BuildEnd): Promise<void> {
    const event = held.request;
    const d = event.data;
    const cause = causeOf(event);
    const buildStep = (state: 'done' | 'failed', result: string | null, error: StepOutcome['error']): StepOutcome => ({ step: 'build', state, result, error, childId: end.buildRun, startedAt: held.heldAt, endedAt: new Date().toISOString() });
    const fail = async (step: StepOutcome | null, reason: string, message: string) => {
      await this.transact(async (manager) => {
        if (step) await this.outcomes.report(d.deployId, d.config, { type: 'deploy.step', ...step }, { manager, cause, ...(end.log ? { log: end.log } : {}) });
        await this.outcomes.report(d.deployId, d.config, { type: 'deploy.failed', reason, message, terminal: true }, { manager, cause });
        await this.records.resumed(manager, d.deployId);
      });
      this.logger.warn({ ...logFields(event), buildRun: end.buildRun, reason, err: message }, 'deploy failed at its build');
    };
    if (end.phase !== 'Succeeded') {
      const message = `BuildRun ${end.buildRun} ${end.phase}: ${end.message}`;
      return fail(buildStep('failed', null, { reason: 'BuildFailed', message }), 'BuildFailed', message);
    }
    if (await this.records.supersededSince(d.deployId)) {
      const message = `a newer deploy of ${d.config} was requested while this one waited for its build`;
      return fail(buildStep('failed', null, { reason: 'Superseded', message }), 'Superseded', message);
    }
    const prepared = await this.prepareSteps(event, true);
    const reported = (prepared.steps ?? []).filter((s) => s.step !== 'check-image');
    const image = (prepared.steps ?? []).find((s) => s.step === 'check-image');
    const steps: StepOutcome[] = [];
    if (prepared.renderError?.reason === 'BuildFailed') {
      steps.push(buildStep('failed', null, { reason: 'BuildFailed', message: prepared.renderError.message }));
    } else {
      steps.push(buildStep('done', `${end.buildRun} succeeded${image?.result ? `: ${image.result}` : ''}`, null), ...reported);
      if (prepared.renderError) {
        const at = new Date().toISOString();
        steps.push({ step: stepOfFailure(prepared.renderError.reason), state: 'failed', result: null, error: { reason: prepared.renderError.reason, message: prepared.renderError.message }, childId: null, startedAt: at, endedAt: at });
      } else if (!d.gitops) {
        // `deploy.started` was reported when the deploy was held: apply starts now.
        steps.push({ step: 'apply', state: 'started', result: null, error: null, childId: null, startedAt: new Date().toISOString(), endedAt: null });
      }
    }
    const going = await this.external(event, { ...prepared, steps, ...(end.log ? { buildLog: end.log } : {}) });
    await this.transact(async (manager) => {
      await this.handle(event, manager, going);
      await this.records.resumed(manager, d.deployId);
    });
    this.logger.info({ ...logFields(event), buildRun: end.buildRun, failed: prepared.renderError?.reason }, 'build ended: the deploy goes on');
  }

  async handle(event: DeployRequest, manager: Transaction, prepared: PreparedRequest): Promise<void> {
    const d = event.data;
    const cause = causeOf(event);
    const { targetError, renderError } = prepared;
    if (renderError || d.gitops || prepared.build) return; // reported in `external`
    if (targetError) {
      this.logger.warn({ ...logFields(event), reason: targetError.reason, err: targetError.message }, 'DeployConfig refused; deploy failed');
      await this.outcomes.report(d.deployId, d.config, { type: 'deploy.failed', reason: targetError.reason, message: targetError.message, terminal: true }, { manager, cause });
      return;
    }
    if (this.target.dryRun) {
      // Nothing to wait for: the record is what "applied" means without a cluster.
      if (isUndeploy(event)) {
        await this.outcomes.report(d.deployId, d.config, { type: 'deploy.undeployed' }, { manager, cause });
      } else {
        await this.outcomes.report(d.deployId, d.config, { type: 'deploy.applied', dryRun: true, inventory: inventoryOf(prepared.manifests) }, { manager, cause });
        await this.outcomes.report(d.deployId, d.config, { type: 'deploy.succeeded' }, { manager, cause });
      }
    }
  }

  /**
   * A GitOps target: the tag committed to the GitOps file (`deploy.applied`); once that commit's push
   * arrives by webhook (or `gitopsPushWaitMs` passed without it), Argo CD syncs it and its verdict
   * on that commit (`deploy.succeeded` / `deploy.failed` with Argo's message). Each step is
   * idempotent (no second commit when the tag is there, one sync per revision, one outcome per
   * slot), so a redelivered request — after a crash anywhere — finishes the same deploy. The
   * request's partition waits while Argo CD syncs (bounded by the follow's timeout).
   */
  private async deployThroughGitOps(event: SluiceEventOf<'deploy.requested'>, prepared: PreparedRequest): Promise<PreparedRequest> {
    const d = event.data;
    const target = d.gitops!;
    const cause = causeOf(event);
    const fail = async (reason: string, message: string) => {
      this.logger.warn({ ...logFields(event), reason, err: message }, 'GitOps deploy failed');
      await this.outcomes.report(d.deployId, d.config, { type: 'deploy.failed', reason, message, terminal: true }, { cause });
      return prepared;
    };
    let revision: string;
    let commitSha: string | null;
    try {
      const commit = await this.gitops!.commit(target, { deployId: d.deployId, config: d.config, value: d.imageTag!, requestedBy: d.requestedBy });
      revision = commit.revision;
      commitSha = commit.commitSha;
      this.logger.info({ ...logFields(event), repo: target.repo, path: target.path, commit: commit.commitSha, revision }, commit.commitSha ? 'GitOps commit made' : 'GitOps file already holds the tag');
    } catch (error) {
      if (this.gitops!.isTerminal(error)) return fail('GitOpsTargetInvalid', (error as Error).message);
      throw error;
    }
    // What a later push to the target is compared with (GitOpsDriftWatch).
    await this.transact((m) => this.records.gitOpsWritten(m, { config: d.config, repo: target.repo, branch: target.branch, path: target.path, key: target.key, tag: d.imageTag!, deployId: d.deployId }));
    const committed = commitSha ? `committed ${commitSha.slice(0, 7)}` : `already at ${revision.slice(0, 7)}`;
    const at = new Date().toISOString();
    await this.outcomes.report(d.deployId, d.config, { type: 'deploy.step', step: 'apply', state: 'done', result: `${committed}: ${target.key} = ${d.imageTag} in ${target.repo}/${target.path}`, error: null, childId: null, startedAt: null, endedAt: at }, { cause });
    await this.outcomes.report(d.deployId, d.config, { type: 'deploy.applied', dryRun: false, inventory: [] }, { cause });
    if (target.argocd) {
      // The commit's push webhook (GitOpsDriftWatch) is what hands it to Argo CD; a lost webhook delays it, never stops it.
      const pushed = await this.waitForPush(d.deployId);
      this.logger.info({ ...logFields(event), revision, app: target.argocd.app }, pushed ? 'GitOps push arrived: Argo CD syncs it' : 'no push webhook of the GitOps commit in time: Argo CD syncs it anyway');
    }
    const verdict = await this.gitops!.verdict(target, revision);
    if (!verdict.ok) return fail(verdict.reason, verdict.message);
    await this.outcomes.report(d.deployId, d.config, { type: 'deploy.succeeded' }, { cause });
    return prepared;
  }

  private async waitForPush(deployId: string): Promise<boolean> {
    const deadline = Date.now() + this.gitopsPushWaitMs;
    for (;;) {
      if (await this.records.gitOpsPushSeen(deployId)) return true;
      if (Date.now() >= deadline) return false;
      await new Promise((r) => setTimeout(r, 200));
    }
  }

  private async readSpecs(repo: string, sha: string, path: string, provider?: ScmProvider) {
    try {
      return await this.specs.read(repo, sha, path, provider);
    } catch (err) {
      if (err instanceof SpecSourceError) throw new RenderError('SpecsUnavailable', err.message);
      throw err;
    }
  }
}

function isUndeploy(event: DeployRequest): boolean {
  return event.type === 'undeploy.requested' || event.data.configSha === null;
}

function causeOf(event: DeployRequest) {
  return { correlationId: event.correlationId, causationId: event.id };
}

function logFields(event: DeployRequest) {
  return { deployId: event.data.deployId, config: event.data.config, eventId: event.id, correlationId: event.correlationId };
}
