import { Controller, Inject, Injectable, Optional, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { Ctx, Payload } from '@nestjs/microservices';
import { Topics, type SluiceEventOf } from '@sluice/contracts';
import { BUILD_CONTAINER, BUILD_RUN_LABEL, BuildReporter, BuildRequests, BuildRunController, DEPLOY_ID_LABEL, isTerminal, startAdmissionServer, type AdmissionServer, type BuildRunObject, type BuildRunStatus } from '@sluice/builds';
import { EventStore, LeaderElection, OnSluiceEvent, SERVICE_DATA_SOURCE, SluiceEventContext, unitOfWorkOf } from '@sluice/event-store';
import { KubeClient, KubeConflictError, type KubeObject } from '@sluice/kube';
import { MESSAGE_BUS, type MessageBus } from '@sluice/messaging';
import { createLogger, ReadinessRegistry } from '@sluice/platform';
import { PgTeamPolicyWriter, POLICY_GATE, type PolicyGate } from '@sluice/team-policy';
import type { DataSource } from 'typeorm';
import { HandleDeployRequest, type DeployRequest, type PreparedRequest } from '../application/handle-request';
import { SPEC_SOURCE, type DeployBuilds, type DeployRecords, type GitOpsPort, type ImageCheck, type SpecSource } from '../application/ports';
import type { ManifestTools } from '../application/render-config';
import { GitOpsDriftWatch, type BranchUpdated, type PushSeen } from '../application/gitops-drift-watch';
import { EventStoreDriftReports } from './drift-reports';
import { DeployConfigController } from './controller';
import { ClusterDeployPolicy } from './deploy-policy';
import { TeamPolicyMirror } from './team-policy-mirror';
import { DryRunTarget, KubeDeployTarget } from './kube-target';
import { OutcomeReporter } from './outcome-reporter';
import { KubeApplierReplay } from './replay';
import { PgDeployRecords } from './pg-deploy-records';
import { DeployConfigReconciler } from './reconciler';
import { ApiServerReachability } from './api-server-reachability';
import { DEPLOY_CONFIG_API_VERSION, DEPLOY_CONFIG_KIND, deployConfigManifest, FIELD_MANAGER } from '../domain/deploy-config';
import { hostname } from 'node:os';
import { jobLogLines, KubeTestJobs, readJobPodLog, TestPool, TEST_RUN_STORE, type JobLog, type TestRunStore } from '@sluice/test-runs';
import { TestGate, TestRunOutcomes } from './test-gate';
import { DeployKubeEvents } from './deploy-kube-events';
import { PreviewApplier, type PreviewDeployed, type PreviewReleased, type PreviewWork } from './preview-applier';

export const KUBE_APPLIER_OPTIONS = Symbol('KUBE_APPLIER_OPTIONS');

export interface KubeApplierRuntimeOptions {
  /** A client for the cluster, or null for the dry-run target. */
  kube: KubeClient | null;
  consumerGroup: string;
  progressDeadlineMs: number;
  resyncMs: number;
  healthPollMs: number;
  concurrency: number;
  /** Reconcile DeployConfigs of this namespace only (tests); default all namespaces. */
  watchNamespace?: string;
  /** Serve the BuildRun admission webhook (HTTPS) with these PEM files. */
  admission?: { certFile: string; keyFile: string; port: number; host?: string };
  /** Deploys to GitOps targets (libs/gitops); null without GitHub credentials. */
  gitops?: GitOpsPort | null;
  /** How long a GitOps deploy waits for its commit's push webhook before Argo CD syncs it anyway. */
  gitopsPushWaitMs?: number;
  /** Step check-image: asks the image registry before a deploy applies; null: not checked. */
  images?: ImageCheck | null;
  /** The test-server pool's size (KUBE_APPLIER_TEST_SLOTS); default 2. */
  testSlots?: number;
  /** A test slot's lease (KUBE_APPLIER_TEST_LEASE_SECONDS); default 30 s. */
  testLeaseMs?: number;
  /** How often the test pool looks at its runs; default 1 s. */
  testPollMs?: number;
  /** Helm and Kustomize (docs/architecture.md §1 "Helm and Kustomize"); default none (such configs fail at render). */
  tools?: ManifestTools;
  /** How often a replica tries to lead the controllers (SLUICE_LEADER_POLL_SECONDS); default 2 s. */
  leaderPollMs?: number;
}

/**
 * Starts kube-applier's loops once the application is up: the consumers of deploy, undeploy,
 * build and preview requests and the test pool (leases) in every replica; and (with a cluster)
 * the controllers — DeployConfigs, BuildRuns, the TeamPolicy mirror — in the leader of the
 * replicas only (LeaderElection): a follower starts fresh ones when it comes to lead. Stops all
 * on shutdown.
 */
@Injectable()
export class KubeApplierRuntime implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = createLogger('kube-applier');
  /** The controllers of one term of leadership (with a cluster, while this replica leads). */
  private controllers: { deployConfigs: DeployConfigController; teamPolicies: TeamPolicyMirror; builds: BuildRunController } | null = null;
  /** Makes a term's controllers: controllers do not restart once stopped. */
  private readonly makeControllers: (() => NonNullable<KubeApplierRuntime['controllers']>) | null = null;
  /** Which replica runs the controllers (docs/architecture.md §6 "Replicas"). */
  readonly election: LeaderElection;
  readonly outcomes: OutcomeReporter;
  /** The projection that keeps `outcomes` caught up with the log, and their rebuild (docs/architecture.md §4 "Rebuilding views"). */
  readonly replay: KubeApplierReplay;
  readonly handler: HandleDeployRequest;
  /** Pushes to GitOps targets that are not Sluice's: drift (docs/architecture.md §1 "GitOps target"). */
  readonly driftWatch: GitOpsDriftWatch;
  /** Builds (docs/architecture.md §1 "Builds"): BuildRuns from `build.requested`, their Jobs, their reports. */
  readonly buildReporter: BuildReporter;
  readonly buildRequests: BuildRequests | undefined;
  private readonly records: DeployRecords;
  private admission: AdmissionServer | undefined;
  /** Post-deploy tests on the test-server pool (with a cluster only). */
  readonly testPool: TestPool | undefined;
  /** Pull-request preview environments (docs/architecture.md §1 "Previews"). */
  readonly previews: PreviewApplier;

  constructor(
    @Inject(KUBE_APPLIER_OPTIONS) private readonly options: KubeApplierRuntimeOptions,
    @Inject(SPEC_SOURCE) specs: SpecSource,
    @Inject(SERVICE_DATA_SOURCE) dataSource: DataSource,
    store: EventStore,
    @Inject(MESSAGE_BUS) private readonly bus: MessageBus,
    @Inject(POLICY_GATE) policies: PolicyGate,
    @Inject(TEST_RUN_STORE) testRuns: TestRunStore,
    @Optional() private readonly readiness?: ReadinessRegistry,
  ) {
    this.outcomes = new OutcomeReporter(dataSource, store);
    this.replay = new KubeApplierReplay(dataSource, KubeApplierReplay.liveProjection(store));
    const kube = options.kube;
    const policy = new ClusterDeployPolicy(policies, kube);
    const records = new PgDeployRecords(dataSource);
    const uow = unitOfWorkOf(dataSource);
    // A healthy deploy whose config declares tests is reported by the test pool, once its tests end.
    const gated = new TestGate(this.outcomes, records, testRuns, uow, kube === null, async (d) => policy.placement({ config: d.config, team: d.team, namespace: d.namespace }, await policy.policyOf(d.team)));
    this.buildReporter = new BuildReporter(store);
    if (kube) {
      this.buildRequests = new BuildRequests({
        kube,
        reporter: this.buildReporter,
        logger: this.logger,
        // The team policy's repositories are config repositories: autodeploy checked the config's
        // (and the namespace) when it decided the build; here the namespace is checked again, with
        // its labels, as for every DeployConfig — `repo` is the artifact repository, not a config's.
        // A deploy's build (step build) passes the same check, after the deploy's own (namespace and config repository).
        placement: async (request) => policy.placement({ config: request.config, team: request.team, namespace: request.namespace }, await policy.policyOf(request.team)),
        ensureOwner: (request) => ensureDeployConfig(kube, request),
      });
    }
    const requests = this.buildRequests;
    const builds: DeployBuilds | null = requests ? { start: (request, deployId, correlationId) => requests.handle(request, correlationId, deployId) } : null;
    this.records = records;
    this.handler = new HandleDeployRequest(
      specs,
      kube ? new KubeDeployTarget(kube) : new DryRunTarget(),
      gated,
      (work) => dataSource.transaction(work),
      this.logger,
      policy,
      records,
      options.gitops ?? null,
      options.gitopsPushWaitMs,
      options.images ?? null,
      options.tools,
      builds,
    );
    this.driftWatch = new GitOpsDriftWatch(records, options.gitops ?? null, new EventStoreDriftReports(store));
    if (kube) {
      const reconciler = new DeployConfigReconciler(kube, gated, policy, {
        progressDeadlineMs: options.progressDeadlineMs,
        healthPollMs: options.healthPollMs,
        resyncMs: options.resyncMs,
        logger: this.logger,
        kubeEvents: new DeployKubeEvents(kube, dataSource, this.outcomes),
      });
      const teamPolicyWriter = new PgTeamPolicyWriter(dataSource, store, 'cluster');
      this.makeControllers = () => ({
        teamPolicies: new TeamPolicyMirror(kube, teamPolicyWriter, this.logger),
        deployConfigs: new DeployConfigController(kube, reconciler, {
          resyncMs: options.resyncMs,
          concurrency: options.concurrency,
          logger: this.logger,
          namespace: options.watchNamespace,
        }),
        builds: new BuildRunController(kube, {
          logger: this.logger,
          namespace: options.watchNamespace,
          resyncMs: options.resyncMs,
          onStatus: async (run, status) => {
            await this.buildReporter.reportStatus(run, status);
            await this.resumeHeldDeploy(run, status);
          },
        }),
      });
    }
    this.election = new LeaderElection(dataSource, 'kube-applier', {
      pollMs: options.leaderPollMs,
      scope: store.schema,
      logger: this.logger,
      onLeading: () => this.startControllers(),
      onStopped: () => this.stopControllers(),
    });
    if (kube) {
      this.testPool = new TestPool(testRuns, new KubeTestJobs(kube), new TestRunOutcomes(this.outcomes), uow, {
        size: options.testSlots ?? 2,
        owner: `${hostname()}/${process.pid}`,
        leaseMs: options.testLeaseMs ?? 30_000,
        graceMs: 30_000,
      }, this.logger);
    }
    this.previews = new PreviewApplier(kube, specs, policy, dataSource, store, this.logger, options.tools);
  }

  /**
   * A deploy's BuildRun (step build) ended: the deploy it holds goes on or fails (once; every pass
   * over the ended BuildRun tries again until it did), its log first carrying the build Job's Pod
   * log as a test Job's does (where a kubelet serves it; else one line saying why not).
   */
  private async resumeHeldDeploy(run: BuildRunObject, status: BuildRunStatus): Promise<void> {
    const deployId = run.metadata.labels?.[DEPLOY_ID_LABEL];
    if (!deployId || !isTerminal({ status }) || !this.options.kube) return;
    const held = await this.records.held(deployId);
    if (!held || held.buildRun !== run.metadata.name) return;
    // Read before the deploy goes on (the API server may be slow); a log that cannot be read never holds the deploy back.
    const log = await readJobPodLog(this.options.kube, { namespace: run.metadata.namespace!, labelSelector: `${BUILD_RUN_LABEL}=${run.metadata.name}`, container: BUILD_CONTAINER }).catch(
      (error: Error): JobLog => ({ unavailable: error.message }),
    );
    await this.handler.resumeAfterBuild(held, {
      buildRun: run.metadata.name!,
      phase: status.phase as 'Succeeded' | 'Failed' | 'TimedOut' | 'Canceled',
      message: status.message ?? '',
      log: { source: 'job', lines: jobLogLines(log, 'build') },
    });
  }

  get dryRun(): boolean {
    return this.options.kube === null;
  }

  /** The DeployConfig controller of the current term (undefined in a follower, or without a cluster). */
  get controller(): DeployConfigController | undefined {
    return this.controllers?.deployConfigs;
  }

  get buildController(): BuildRunController | undefined {
    return this.controllers?.builds;
  }

  async onApplicationBootstrap(): Promise<void> {
    this.logger.info({ target: this.dryRun ? 'dry-run' : 'kube', server: this.options.kube?.server }, 'kube-applier starting');
    if (this.options.kube) {
      const reachability = new ApiServerReachability(this.options.kube);
      // The leader is ready once its controller has listed the DeployConfigs; a follower once the API server answers.
      this.readiness?.register('kube', async () => (this.controller && !this.controller.synced ? { ok: false, detail: 'listing DeployConfigs' } : reachability.check()));
      this.readiness?.register('leader', () => this.election.readiness());
    }
    await this.bus.ensureTopics([Topics.deploy, Topics.repo]);
    this.replay.projection.start();
    // The first try is awaited: a lone replica leads (and starts its controllers) before it is ready.
    await this.election.start();
    this.testPool?.start(this.options.testPollMs ?? 1000);
    if (this.options.admission && this.options.kube) {
      this.admission = await startAdmissionServer({ kube: this.options.kube, logger: this.logger, ...this.options.admission });
    }
  }

  async onApplicationShutdown(): Promise<void> {
    await this.testPool?.stop();
    await this.admission?.close();
    await this.election.stop();
    await this.replay.projection.stop();
  }

  /** This replica leads: fresh controllers (a stopped one does not restart), started in the background. */
  private startControllers(): void {
    if (!this.makeControllers || this.controllers) return;
    const controllers = (this.controllers = this.makeControllers());
    // Not awaited: the watchers retry until the API server answers; readiness says when.
    void controllers.deployConfigs.start();
    controllers.teamPolicies.start();
    void controllers.builds.start();
  }

  private async stopControllers(): Promise<void> {
    const controllers = this.controllers;
    this.controllers = null;
    if (!controllers) return;
    await Promise.all([controllers.builds.stop(), controllers.deployConfigs.stop(), controllers.teamPolicies.stop()]);
  }
}

/**
 * The BuildRun's owner: the config's DeployConfig, created undeployed (no specs, no deploy) when
 * the config was never deployed; the first deploy then server-side-applies over it.
 */
async function ensureDeployConfig(kube: KubeClient, request: SluiceEventOf<'build.requested'>['data']): Promise<KubeObject> {
  const ref = { apiVersion: DEPLOY_CONFIG_API_VERSION, kind: DEPLOY_CONFIG_KIND, namespace: request.namespace, name: request.config };
  const found = await kube.find(ref);
  if (found) return found;
  const bare = deployConfigManifest({ config: request.config, namespace: request.namespace, team: request.team, deployId: '', artifactSha: null, configSha: null, imageTag: null, specs: [] });
  delete bare.metadata.annotations;
  try {
    return await kube.create(bare, { fieldManager: FIELD_MANAGER });
  } catch (error) {
    if (error instanceof KubeConflictError) return kube.get(ref);
    throw error;
  }
}

/**
 * kube-applier's consumers of `sluice.deploy.v1`. Deploy and undeploy requests (group
 * `kube-applier`): specs read (`prepare`) and the DeployConfig written (`external`) outside any
 * transaction, then the request recorded in the inbox transaction; see HandleDeployRequest. Build
 * requests (group `kube-applier.builds`): the BuildRun written outside the inbox transaction
 * (idempotently); without a cluster the build ends Canceled, saying why. Previews (group
 * `kube-applier.previews`): applied or removed outside the inbox transaction, then the inventory
 * and `preview.applied` recorded in it (PreviewApplier).
 */
@Controller()
export class KubeApplierEventsConsumer {
  constructor(private readonly runtime: KubeApplierRuntime) {}

  @OnSluiceEvent('', { phase: 'prepare' })
  prepareDeploy(@Payload() event: DeployRequest): Promise<PreparedRequest> {
    return this.runtime.handler.prepare(event);
  }

  @OnSluiceEvent('', { phase: 'external' })
  writeDeploy(@Payload() event: DeployRequest, @Ctx() ctx: SluiceEventContext<PreparedRequest>): Promise<PreparedRequest> {
    return this.runtime.handler.external(event, ctx.prepared);
  }

  @OnSluiceEvent('', { topics: [Topics.deploy], types: ['deploy.requested', 'undeploy.requested'] })
  recordDeploy(@Payload() event: DeployRequest, @Ctx() ctx: SluiceEventContext<PreparedRequest>): Promise<void> {
    return this.runtime.handler.handle(event, ctx.manager, ctx.prepared);
  }

  @OnSluiceEvent('gitops', { phase: 'prepare' })
  prepareDrift(@Payload() event: BranchUpdated): Promise<PushSeen> {
    return this.runtime.driftWatch.prepare(event);
  }

  @OnSluiceEvent('gitops', { topics: [Topics.repo], types: ['repo.branch.updated'] })
  recordDrift(@Payload() event: BranchUpdated, @Ctx() ctx: SluiceEventContext<PushSeen>): Promise<void> {
    return this.runtime.driftWatch.handle(event, ctx.manager, ctx.prepared);
  }

  @OnSluiceEvent('previews', { phase: 'external' })
  writePreview(@Payload() event: PreviewDeployed | PreviewReleased): Promise<PreviewWork> {
    return event.type === 'preview.deployed' ? this.runtime.previews.deploy(event) : this.runtime.previews.release(event);
  }

  @OnSluiceEvent('previews', { topics: [Topics.deploy], types: ['preview.deployed', 'preview.released'] })
  recordPreview(@Payload() event: PreviewDeployed | PreviewReleased, @Ctx() ctx: SluiceEventContext<PreviewWork>): Promise<void> {
    return this.runtime.previews.record(ctx.manager, event, ctx.prepared);
  }

  @OnSluiceEvent('builds', { phase: 'external' })
  async writeBuild(@Payload() event: SluiceEventOf<'build.requested'>): Promise<void> {
    await this.runtime.buildRequests?.handle(event.data, event.correlationId);
  }

  @OnSluiceEvent('builds', { topics: [Topics.deploy], types: ['build.requested'] })
  async recordBuild(@Payload() event: SluiceEventOf<'build.requested'>, @Ctx() ctx: SluiceEventContext): Promise<void> {
    if (this.runtime.buildRequests) return;
    await this.runtime.buildReporter.reportRefused(event.data, 'no cluster: builds run as Kubernetes Jobs, and kube-applier runs with the dry-run target', {
      correlationId: event.correlationId,
      manager: ctx.manager,
    });
  }
}
