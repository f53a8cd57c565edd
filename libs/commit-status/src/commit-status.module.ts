import { Inject, Module, Optional, type DynamicModule, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { CATALOGUE_VISIBILITY, oidcSettingsOf, TeamTokensModule } from '@sluice/auth';
import { EventStore, LeaderElection, SERVICE_CONSUMER_GROUP, SERVICE_DATA_SOURCE } from '@sluice/event-store';
import { clusterSourceOf, KubeClient, loadKubeConfig, type KubeConfigSource } from '@sluice/kube';
import { ConfigError, createLogger, HealthModule, ReadinessRegistry } from '@sluice/platform';
import { credentialsIdentity, PgSharedRateLimit, sharedScmClients, type GitHubCredentials, type ScmClients } from '@sluice/scm';
import type { DataSource } from 'typeorm';
import { CommitStatusRuntime } from './application/commit-status-runtime';
import type { ProviderSettings } from './application/credentials';
import { DeployStatusProjector } from './application/deploy-status-projector';
import { COMMIT_STATUS_STORE, SCM_STATUS_PROVIDERS, SYNCED_EVENT_SINK, type CommitStatusStore, type ScmStatusProviders, type SyncedEventSink } from './application/ports';
import { Reconciler } from './application/reconciler';
import { EventStoreSyncedSink } from './adapters/events/synced-event-sink';
import { CommitStatusesController } from './adapters/http/commit-statuses.controller';
import { KubeCommitStatusStore } from './adapters/kube/kube-store';
import { COMMIT_STATUS_CONSUMER, CommitStatusEventsConsumer } from './adapters/messaging/deploy-events.consumer';
import { PgDeployStatusStateRepository } from './adapters/postgres/deploy-state-repository';
import { COMMIT_STATUS_SCHEMA, SCM_RATE_LIMITS_TABLE } from './adapters/postgres/migrations';
import { PgCommitStatusStore } from './adapters/postgres/pg-store';
import { PgTeamRepos } from './adapters/postgres/team-repos';
import { CommitStatusViewsReplay } from './adapters/postgres/views-replay';
import { CommitStatusViewsReplayController } from './adapters/http/views-replay.controller';
import { PgRepoProviders } from './adapters/postgres/repo-providers';
import { DefaultScmStatusProviders } from './adapters/scm/providers';
import { GitHubDeploymentMirror } from './adapters/github-deployments/github-deployment-mirror';
import { PreviewEventsConsumer } from './adapters/messaging/preview-events.consumer';
import { PreviewPullRequests } from './adapters/previews/preview-pull-requests';
import type { CommitStatusConfig } from './commit-status.config';

export const COMMIT_STATUS_OPTIONS = Symbol('COMMIT_STATUS_OPTIONS');

export interface CommitStatusModuleOptions {
  /** A cluster client (tests pass one); otherwise built from KUBECONFIG or the in-cluster account. */
  kubeClient?: KubeClient;
  /** Consumer group (tests use a unique one). Default `commit-status`. */
  consumer?: string;
  /** PostgreSQL poll interval of the postgres store. */
  pollIntervalMs?: number;
  /** Backoff of failed reconciles. */
  retryBaseDelayMs?: number;
  /** Poll interval of the GitHub Deployments mirror and of the preview comments. Default 1 s. */
  deploymentsPollMs?: number;
  /** Kubernetes store: how often CommitStatuses still to be written after a failed write are retried. Default 5 s. */
  ownedSweepMs?: number;
  /** Kubernetes store: watch only resources with these labels, and put them on what Sluice creates (sharding; tests). */
  labels?: Record<string, string>;
  /** How often a replica tries to lead the controller and the GitHub loops (SLUICE_LEADER_POLL_SECONDS). */
  leaderPollMs?: number;
}

export function providerSettings(config: CommitStatusConfig): ProviderSettings {
  return {
    github: {
      apiUrl: config.GITHUB_API_URL,
      token: config.GITHUB_TOKEN,
      app:
        config.GITHUB_APP_ID && config.GITHUB_APP_PRIVATE_KEY
          ? { appId: config.GITHUB_APP_ID, privateKey: config.GITHUB_APP_PRIVATE_KEY, installationId: config.GITHUB_APP_INSTALLATION_ID }
          : undefined,
    },
    gitlab: { apiUrl: config.GITLAB_API_URL, token: config.GITLAB_TOKEN },
    bitbucket: { apiUrl: config.BITBUCKET_API_URL, token: config.BITBUCKET_TOKEN },
    apiOrigins: config.SLUICE_SCM_API_HOSTS ?? [],
  };
}

/** The cluster of the Kubernetes store: COMMIT_STATUS_STORE=kubernetes needs one. */
function requiredClusterSource(config: CommitStatusConfig): KubeConfigSource {
  const source = clusterSourceOf(config);
  if (!source) throw new ConfigError([{ variable: 'KUBECONFIG', message: 'required when COMMIT_STATUS_STORE=kubernetes (or run in a cluster)' }]);
  return source;
}

export function storeKindOf(config: CommitStatusConfig): 'kubernetes' | 'postgres' {
  return config.COMMIT_STATUS_STORE ?? (clusterSourceOf(config) ? 'kubernetes' : 'postgres');
}

/**
 * The configured credentials' rate budgets are shared with the other replicas and outlive a
 * restart (a `Retry-After` one replica was told holds them all; writes are spaced across them):
 * a row per set of credentials in commit-status's schema. Credentials of a GitRepo's own Secret
 * keep a budget per process.
 */
function shareRateBudgets(clients: ScmClients, settings: ProviderSettings, dataSource: DataSource, log: ReturnType<typeof createLogger>): void {
  const configured: Array<[provider: 'github' | 'gitlab' | 'bitbucket', apiUrl: string, credentials: GitHubCredentials]> = [];
  const app = settings.github.app;
  if (app) configured.push(['github', settings.github.apiUrl, { kind: 'app', appId: app.appId, privateKey: app.privateKey }]);
  if (settings.github.token) configured.push(['github', settings.github.apiUrl, { kind: 'token', token: settings.github.token }]);
  if (settings.gitlab.token) configured.push(['gitlab', settings.gitlab.apiUrl, { kind: 'token', token: settings.gitlab.token }]);
  if (settings.bitbucket.token) configured.push(['bitbucket', settings.bitbucket.apiUrl, { kind: 'token', token: settings.bitbucket.token }]);
  let warnedAt = 0;
  const onError = (err: unknown) => {
    if (Date.now() - warnedAt < 60_000) return;
    warnedAt = Date.now();
    log.warn({ err: err instanceof Error ? err.message : String(err) }, 'shared rate budget unreachable; this replica spaces its calls alone meanwhile');
  };
  for (const [provider, apiUrl, credentials] of configured) {
    const key = `${provider} ${apiUrl.replace(/\/+$/, '')} ${credentialsIdentity(credentials)}`;
    clients.gate(provider, apiUrl, credentials).share(new PgSharedRateLimit(dataSource, `${COMMIT_STATUS_SCHEMA}.${SCM_RATE_LIMITS_TABLE}`, key), onError);
  }
}

/**
 * The root module of commit-status. Expects `EventStoreModule.forRoot({ schema: 'commit_status',
 * migrations: commitStatusMigrations })` and `MessagingModule.forRoot(...)` in the application
 * (apps/commit-status composes them; so does the all-in-one app).
 */
@Module({})
export class CommitStatusModule implements OnApplicationBootstrap, OnApplicationShutdown {
  private sweep: NodeJS.Timeout | null = null;
  private sweeping: Promise<void> | null = null;
  private readonly log = createLogger('commit-status');
  /**
   * The controller, the Deployments mirror, the preview comments and the owned-writes sweep run in
   * the leader of the replicas only; the consumers (and the API) in every one (docs/architecture.md §6).
   */
  readonly election: LeaderElection;

  constructor(
    private readonly runtime: CommitStatusRuntime,
    private readonly projector: DeployStatusProjector,
    @Inject(COMMIT_STATUS_OPTIONS) private readonly options: CommitStatusModuleOptions,
    @Inject(SERVICE_DATA_SOURCE) dataSource: DataSource,
    @Optional() private readonly readiness?: ReadinessRegistry,
    @Optional() @Inject(GitHubDeploymentMirror) private readonly deployments?: GitHubDeploymentMirror | null,
    @Optional() @Inject(PreviewPullRequests) private readonly previews?: PreviewPullRequests | null,
  ) {
    this.election = new LeaderElection(dataSource, 'commit-status', {
      pollMs: options.leaderPollMs,
      scope: COMMIT_STATUS_SCHEMA,
      logger: this.log,
      onLeading: () => this.lead(),
      onStopped: () => this.follow(),
    });
  }

  static forRoot(config: CommitStatusConfig, options: CommitStatusModuleOptions = {}): DynamicModule {
    const log = createLogger('commit-status');
    const settings = providerSettings(config);
    return {
      module: CommitStatusModule,
      imports: [HealthModule, TeamTokensModule.forRoot({ service: 'commit-status', adminToken: config.SLUICE_ADMIN_TOKEN, oidc: oidcSettingsOf(config) })],
      controllers: [CommitStatusesController, CommitStatusViewsReplayController, CommitStatusEventsConsumer, PreviewEventsConsumer],
      providers: [
        { provide: COMMIT_STATUS_OPTIONS, useValue: { leaderPollMs: config.SLUICE_LEADER_POLL_SECONDS * 1000, ...options } },
        { provide: SERVICE_CONSUMER_GROUP, useValue: options.consumer ?? COMMIT_STATUS_CONSUMER },
        { provide: CATALOGUE_VISIBILITY, useValue: config.SLUICE_CATALOGUE_VISIBILITY },
        { provide: PgTeamRepos, inject: [SERVICE_DATA_SOURCE], useFactory: (dataSource: DataSource) => new PgTeamRepos(dataSource, COMMIT_STATUS_SCHEMA) },
        { provide: PgRepoProviders, useFactory: () => new PgRepoProviders(COMMIT_STATUS_SCHEMA) },
        { provide: CommitStatusViewsReplay, inject: [SERVICE_DATA_SOURCE], useFactory: (dataSource: DataSource) => new CommitStatusViewsReplay(dataSource) },
        {
          provide: COMMIT_STATUS_STORE,
          inject: [SERVICE_DATA_SOURCE],
          useFactory: (dataSource: DataSource): CommitStatusStore => {
            if (storeKindOf(config) === 'postgres') {
              return new PgCommitStatusStore({
                dataSource,
                providers: settings,
                namespace: config.COMMIT_STATUS_NAMESPACE,
                pollIntervalMs: options.pollIntervalMs,
                resyncIntervalMs: config.COMMIT_STATUS_RESYNC_SECONDS * 1000,
              });
            }
            const client =
              options.kubeClient ??
              new KubeClient(loadKubeConfig(requiredClusterSource(config)), {
                logger: createLogger('kube'),
                userAgent: 'sluice-commit-status',
              });
            return new KubeCommitStatusStore({
              client,
              providers: settings,
              namespace: config.COMMIT_STATUS_NAMESPACE,
              watchNamespace: config.COMMIT_STATUS_WATCH_NAMESPACE,
              githubSecretName: config.COMMIT_STATUS_GITHUB_SECRET,
              gitlabSecretName: config.COMMIT_STATUS_GITLAB_SECRET,
              bitbucketSecretName: config.COMMIT_STATUS_BITBUCKET_SECRET,
              resyncIntervalMs: config.COMMIT_STATUS_RESYNC_SECONDS * 1000,
              labelSelector: options.labels ? Object.entries(options.labels).map(([k, v]) => `${k}=${v}`).join(',') : undefined,
              ownedLabels: options.labels,
              logger: log,
            });
          },
        },
        {
          provide: SCM_STATUS_PROVIDERS,
          inject: [SERVICE_DATA_SOURCE],
          useFactory: (dataSource: DataSource) => {
            // The process's clients: in the all-in-one, repo-sync's reads of the same credentials share their budget.
            const clients = sharedScmClients();
            clients.setMinWriteInterval(config.COMMIT_STATUS_MIN_WRITE_INTERVAL_MS);
            shareRateBudgets(clients, settings, dataSource, log);
            return new DefaultScmStatusProviders(clients);
          },
        },
        { provide: SYNCED_EVENT_SINK, inject: [EventStore], useFactory: (store: EventStore) => new EventStoreSyncedSink(store, log) },
        {
          provide: Reconciler,
          inject: [COMMIT_STATUS_STORE, SCM_STATUS_PROVIDERS, SYNCED_EVENT_SINK],
          useFactory: (store: CommitStatusStore, providers: ScmStatusProviders, sink: SyncedEventSink) => new Reconciler(store, providers, sink, log),
        },
        {
          provide: CommitStatusRuntime,
          inject: [COMMIT_STATUS_STORE, Reconciler],
          useFactory: (store: CommitStatusStore, reconciler: Reconciler) =>
            new CommitStatusRuntime(store, reconciler, log, { baseDelayMs: options.retryBaseDelayMs }),
        },
        {
          provide: GitHubDeploymentMirror,
          inject: [SERVICE_DATA_SOURCE, COMMIT_STATUS_STORE, SCM_STATUS_PROVIDERS, PgRepoProviders],
          // Deploys (COMMIT_STATUS_GITHUB_DEPLOYMENTS) and previews (COMMIT_STATUS_PREVIEWS) share the loop.
          useFactory: (dataSource: DataSource, store: CommitStatusStore, providers: DefaultScmStatusProviders, repoProviders: PgRepoProviders) =>
            config.COMMIT_STATUS_GITHUB_DEPLOYMENTS || config.COMMIT_STATUS_PREVIEWS
              ? new GitHubDeploymentMirror({
                  dataSource,
                  store,
                  clients: providers.clients,
                  namespace: config.COMMIT_STATUS_NAMESPACE,
                  repoProviders,
                  publicUrl: config.SLUICE_PUBLIC_URL,
                  logger: log,
                  pollIntervalMs: options.deploymentsPollMs,
                })
              : null,
        },
        {
          provide: PreviewPullRequests,
          inject: [SERVICE_DATA_SOURCE, COMMIT_STATUS_STORE, SCM_STATUS_PROVIDERS, GitHubDeploymentMirror, PgRepoProviders],
          useFactory: (dataSource: DataSource, store: CommitStatusStore, providers: DefaultScmStatusProviders, mirror: GitHubDeploymentMirror | null, repoProviders: PgRepoProviders) =>
            config.COMMIT_STATUS_PREVIEWS && mirror
              ? new PreviewPullRequests({
                  dataSource,
                  schema: COMMIT_STATUS_SCHEMA,
                  store,
                  clients: providers.clients,
                  deployments: mirror,
                  repoProviders,
                  namespace: config.COMMIT_STATUS_NAMESPACE,
                  logger: log,
                  pollIntervalMs: options.deploymentsPollMs,
                })
              : null,
        },
        {
          provide: DeployStatusProjector,
          inject: [COMMIT_STATUS_STORE, GitHubDeploymentMirror, SERVICE_DATA_SOURCE, PgRepoProviders],
          useFactory: (store: CommitStatusStore, mirror: GitHubDeploymentMirror | null, dataSource: DataSource, repoProviders: PgRepoProviders) =>
            new DeployStatusProjector(
              store,
              new PgDeployStatusStateRepository(COMMIT_STATUS_SCHEMA),
              config.SLUICE_PUBLIC_URL,
              config.COMMIT_STATUS_GITHUB_DEPLOYMENTS ? mirror : null,
              dataSource.manager,
              repoProviders,
            ),
        },
      ],
      exports: [CommitStatusRuntime, COMMIT_STATUS_STORE, SCM_STATUS_PROVIDERS],
    };
  }

  async onApplicationBootstrap(): Promise<void> {
    // The leader is ready once its store delivers changes (Kubernetes: the first list of CommitStatuses and GitRepos is in); a follower at once.
    this.readiness?.register('commit-status-controller', () =>
      this.election.isLeader ? { ok: this.runtime.isStarted, detail: this.runtime.isStarted ? 'started' : 'starting' } : { ok: true, detail: 'follower: the leader runs it' },
    );
    this.readiness?.register('leader', () => this.election.readiness());
    // The first try is awaited: a lone replica leads (its controller started) before it is ready.
    await this.election.start();
  }

  /** This replica leads: the controller, the GitHub loops and the sweep start. */
  private async lead(): Promise<void> {
    await this.runtime.start();
    this.deployments?.start();
    this.previews?.start();
    // CommitStatuses whose write did not happen after their commit (a crash, a failed call).
    await this.sweepOwned();
    this.sweep = setInterval(() => void this.sweepOwned(), this.options.ownedSweepMs ?? 5000);
    this.sweep.unref?.();
  }

  /** No longer the leader (or shutting down): they stop, so two replicas never run them at once for long. */
  private async follow(): Promise<void> {
    if (this.sweep) clearInterval(this.sweep);
    this.sweep = null;
    await this.sweeping;
    await this.previews?.stop();
    await this.deployments?.stop();
    await this.runtime.stop();
  }

  private sweepOwned(): Promise<void> {
    this.sweeping ??= this.projector
      .writePendingOwned(this.log)
      .catch((err: unknown) => this.log.warn({ err: err instanceof Error ? err.message : String(err) }, 'pending CommitStatus writes: sweep failed'))
      .finally(() => (this.sweeping = null));
    return this.sweeping;
  }

  async onApplicationShutdown(): Promise<void> {
    if (this.sweep) clearInterval(this.sweep);
    this.sweep = null;
    await this.sweeping;
    await this.projector.settle();
    await this.election.stop();
  }
}
