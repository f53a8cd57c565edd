import { Inject, Injectable, Optional, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { Topics } from '@sluice/contracts';
import { consumeEvents, EventStore, Inbox, SERVICE_DATA_SOURCE } from '@sluice/event-store';
import { KubeClient } from '@sluice/kube';
import { MESSAGE_BUS, type MessageBus, type Subscription } from '@sluice/messaging';
import { createLogger, ReadinessRegistry } from '@sluice/platform';
import { PgTeamPolicyWriter, POLICY_GATE, type PolicyGate } from '@sluice/team-policy';
import type { DataSource } from 'typeorm';
import { HandleDeployRequest, type DeployRequest, type PreparedRequest } from '../application/handle-request';
import { SPEC_SOURCE, type SpecSource } from '../application/ports';
import { DeployConfigController } from './controller';
import { ClusterDeployPolicy } from './deploy-policy';
import { TeamPolicyMirror } from './team-policy-mirror';
import { DryRunTarget, KubeDeployTarget } from './kube-target';
import { OutcomeReporter } from './outcome-reporter';
import { DeployConfigReconciler } from './reconciler';
import { ApiServerReachability } from './api-server-reachability';

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
}

/**
 * Starts kube-applier's two loops once the application is up: the consumer of deploy and
 * undeploy requests, and (with a cluster) the DeployConfig controller. Stops both on shutdown.
 */
@Injectable()
export class KubeApplierRuntime implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = createLogger('kube-applier');
  private subscription: Subscription | undefined;
  readonly controller: DeployConfigController | undefined;
  /** Records the cluster's TeamPolicy objects in the log (with a cluster only). */
  private readonly teamPolicies: TeamPolicyMirror | undefined;
  readonly outcomes: OutcomeReporter;
  private readonly handler: HandleDeployRequest;

  constructor(
    @Inject(KUBE_APPLIER_OPTIONS) private readonly options: KubeApplierRuntimeOptions,
    @Inject(SPEC_SOURCE) specs: SpecSource,
    @Inject(SERVICE_DATA_SOURCE) dataSource: DataSource,
    store: EventStore,
    private readonly inbox: Inbox,
    @Inject(MESSAGE_BUS) private readonly bus: MessageBus,
    @Inject(POLICY_GATE) policies: PolicyGate,
    @Optional() private readonly readiness?: ReadinessRegistry,
  ) {
    this.outcomes = new OutcomeReporter(dataSource, store);
    const kube = options.kube;
    const policy = new ClusterDeployPolicy(policies, kube);
    this.handler = new HandleDeployRequest(
      specs,
      kube ? new KubeDeployTarget(kube) : new DryRunTarget(),
      this.outcomes,
      (work) => dataSource.transaction(work),
      this.logger,
      policy,
    );
    if (kube) {
      const reconciler = new DeployConfigReconciler(kube, this.outcomes, policy, {
        progressDeadlineMs: options.progressDeadlineMs,
        healthPollMs: options.healthPollMs,
        resyncMs: options.resyncMs,
        logger: this.logger,
      });
      this.teamPolicies = new TeamPolicyMirror(kube, new PgTeamPolicyWriter(dataSource, store, 'cluster'), this.logger);
      this.controller = new DeployConfigController(kube, reconciler, {
        resyncMs: options.resyncMs,
        concurrency: options.concurrency,
        logger: this.logger,
        namespace: options.watchNamespace,
      });
    }
  }

  get dryRun(): boolean {
    return this.options.kube === null;
  }

  async onApplicationBootstrap(): Promise<void> {
    this.logger.info({ target: this.dryRun ? 'dry-run' : 'kube', server: this.options.kube?.server }, 'kube-applier starting');
    if (this.controller) {
      const reachability = new ApiServerReachability(this.options.kube!);
      this.readiness?.register('kube', async () => (this.controller!.synced ? reachability.check() : { ok: false, detail: 'listing DeployConfigs' }));
      // Not awaited: the watcher retries until the API server answers; readiness says when.
      void this.controller.start();
      this.teamPolicies?.start();
    }
    await this.bus.ensureTopics([Topics.deploy]);
    // Specs are read and the DeployConfig written outside any transaction; see HandleDeployRequest.
    this.subscription = await consumeEvents<PreparedRequest>(this.bus, this.inbox, {
      consumer: this.options.consumerGroup,
      topics: [Topics.deploy],
      types: ['deploy.requested', 'undeploy.requested'],
      prepare: (event) => this.handler.prepare(event as DeployRequest),
      external: (event, prepared) => this.handler.external(event as DeployRequest, prepared),
      handle: (event, manager, prepared) => this.handler.handle(event as DeployRequest, manager, prepared),
    });
  }

  async onApplicationShutdown(): Promise<void> {
    await this.subscription?.stop();
    await this.controller?.stop();
    await this.teamPolicies?.stop();
  }
}
