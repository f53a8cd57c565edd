import { Topics } from '@sluice/contracts';
import { Inject, Module, type DynamicModule, type OnApplicationBootstrap, type OnModuleDestroy } from '@nestjs/common';
import { BearerAuthGuard, OIDC_VERIFIER, OidcConfigController, OidcVerifier, oidcSettingsOf, resolveAdminToken, TOKEN_AUTHENTICATOR, type OidcSettings } from '@sluice/auth';
import { EventStore, LogAppends, Projection, SERVICE_CONSUMER_GROUP, SERVICE_DATA_SOURCE, type EventStoreModuleOptions } from '@sluice/event-store';
import { MESSAGE_BUS, type MessageBus } from '@sluice/messaging';
import { HealthModule, createLogger, type CommonConfig } from '@sluice/platform';
import { PgTeamPolicyWriter, TEAM_POLICY_WRITER, TeamPoliciesController, TeamPoliciesModule, teamPoliciesReplayController, POLICY_GATE, type PolicyGate } from '@sluice/team-policy';
import type { DataSource } from 'typeorm';
import { ConfigCommands } from './application/config-commands';
import { DeployService } from './application/deploy-service';
import { OutcomesHandler } from './application/outcomes';
import { REPO_KNOWLEDGE, type RepoKnowledge } from './application/ports';
import { READ_MODELS } from './application/read-models';
import { RepoEventsHandler } from './application/repo-events';
import { AdminController } from './adapters/http/admin.controller';
import { DeadLettersController } from './adapters/http/dead-letters.controller';
import { ConfigsController } from './adapters/http/configs.controller';
import { DeploysController } from './adapters/http/deploys.controller';
import { DEPLOY_EVENTS, DEPLOY_SERVICE, READ_MODEL_PROJECTION_INSTANCE, REPLAY_SERVICE, TOKEN_STORE } from './adapters/http/tokens';
import { AutodeployEventsConsumer } from './adapters/messaging/autodeploy-consumer';
import { autodeployTopicFor } from './adapters/messaging/topic-for';
import { AUTODEPLOY_SCHEMA, autodeployMigrations } from './adapters/persistence/migrations';
import { projectReadModels, READ_MODEL_PROJECTION } from './adapters/persistence/read-model-projection';
import { ReplayService } from './adapters/persistence/replay';
import { RepoKnowledgeReplay } from './adapters/persistence/repo-knowledge-replay';
import { PreviewFactsReplayController, RepoKnowledgeReplayController } from './adapters/http/view-replays.controller';
import { TypeOrmReadModels } from './adapters/persistence/typeorm-read-models';
import { TypeOrmRepoKnowledge } from './adapters/persistence/typeorm-repo-knowledge';
import { TypeOrmTokenStore } from './adapters/persistence/typeorm-token-store';
import { TypeOrmDoraRecords } from './adapters/persistence/typeorm-dora-records';
import { DORA_RECORDS, DoraController, registerDoraGauges, type DoraRecords } from '@sluice/dora';
import { previewsParts } from '@sluice/previews';
import { CHAT_CATALOGUE, CHAT_DEPLOYS, chatOpsParts, type ChatOpsSettings } from '@sluice/chat-ops';
import { AutodeployChatCatalogue, AutodeployChatDeploys } from './adapters/chat/chat-ports';
import { StepDeadlines } from './application/step-deadlines';
import { DeployLogsController } from './adapters/http/deploy-logs.controller';
import { EventStoreDeployEvents } from './adapters/persistence/event-store-deploy-events';

export interface AutodeployModuleOptions {
  /** The admin bearer token (SLUICE_ADMIN_TOKEN, or generated into SLUICE_DATA_DIR). */
  readonly adminToken: string;
  /** Consumer group and inbox name; default `autodeploy`. Tests make it unique. */
  readonly consumerGroup?: string;
  /**
   * Fallback polling of the read-model projection; default 1 s while each append's NOTIFY wakes
   * it, else 100 ms (API commands wake it at once).
   */
  readonly projectionPollMs?: number;
  /** Sign-in with OpenID Connect; default: from the config's SLUICE_OIDC_* (none when unset). */
  readonly oidc?: OidcSettings | null;
  /** AUTODEPLOY_STEP_DEADLINE_SECONDS (§1 "Steps"); default 1800 s. */
  readonly stepDeadlineSeconds?: number;
}

const OPTIONS = Symbol('AUTODEPLOY_OPTIONS');
const log = createLogger('autodeploy');

/** The EventStoreModule options of autodeploy's schema: its migrations and what its relay publishes. */
export function autodeployEventStoreOptions(url: string, extra: Partial<EventStoreModuleOptions> = {}): EventStoreModuleOptions {
  return { url, schema: AUTODEPLOY_SCHEMA, migrations: [...autodeployMigrations], ...extra, relay: { topicFor: autodeployTopicFor, ...extra.relay } };
}

/**
 * autodeploy: the deployment aggregate (one stream per config), the autodeploy rules on
 * `sluice.repo.v1`, kube-applier's outcomes, the read models and the deploy API. Needs
 * `EventStoreModule.forRoot(autodeployEventStoreOptions(url))` and `MessagingModule.forRoot`
 * in the application (`serviceBootstrap(autodeployService)` composes all three).
 */
@Module({})
export class AutodeployModule implements OnApplicationBootstrap, OnModuleDestroy {
  constructor(
    @Inject(OPTIONS) private readonly options: AutodeployModuleOptions,
    @Inject(READ_MODEL_PROJECTION_INSTANCE) private readonly projection: Projection,
    @Inject(MESSAGE_BUS) private readonly bus: MessageBus,
    @Inject(DORA_RECORDS) private readonly dora: DoraRecords,
    @Inject(StepDeadlines) private readonly deadlines: StepDeadlines,
  ) {}

  private unregisterDoraGauges: () => void = () => undefined;

  static forRoot(
    config: Pick<CommonConfig, 'SLUICE_ADMIN_TOKEN' | 'SLUICE_DATA_DIR'> & Partial<CommonConfig> & Partial<ChatOpsSettings> & { AUTODEPLOY_STEP_DEADLINE_SECONDS?: number; AUTODEPLOY_PREVIEW_SWEEP_SECONDS?: number },
    overrides: Partial<AutodeployModuleOptions> = {},
  ): DynamicModule {
    const admin = overrides.adminToken ? { token: overrides.adminToken, source: 'options' } : resolveAdminToken(config);
    if (admin.source === 'generated') log.warn({ path: (admin as { path?: string }).path }, 'SLUICE_ADMIN_TOKEN unset: generated an admin token into the data directory');
    const options: AutodeployModuleOptions = { oidc: oidcSettingsOf(config), stepDeadlineSeconds: config.AUTODEPLOY_STEP_DEADLINE_SECONDS, ...overrides, adminToken: admin.token };
    // Chat-ops (README "Chat-ops") lives here: it deploys through this service's deploy service.
    const chat = chatOpsParts({ ...config, GITHUB_API_URL: config.GITHUB_API_URL ?? 'https://api.github.com' }, AUTODEPLOY_SCHEMA);
    // Preview environments (README "Preview environments") are decided here, beside the configs' decisions.
    const previews = previewsParts(AUTODEPLOY_SCHEMA, { sweepIntervalMs: (config.AUTODEPLOY_PREVIEW_SWEEP_SECONDS ?? 30) * 1000 });
    return {
      module: AutodeployModule,
      // Its own projection of sluice.auth.v1 for the TeamPolicy objects kube-applier records (the
      // admin API's policies it writes itself, in the same table).
      imports: [HealthModule, TeamPoliciesModule.forRoot({ sluiceNamespace: config.SLUICE_NAMESPACE ?? 'sluice-system' })],
      controllers: [ConfigsController, DeploysController, DeployLogsController, AdminController, DeadLettersController, TeamPoliciesController, teamPoliciesReplayController('autodeploy'), RepoKnowledgeReplayController, PreviewFactsReplayController, OidcConfigController, DoraController, AutodeployEventsConsumer, ...chat.controllers, ...previews.controllers],
      providers: [
        { provide: OPTIONS, useValue: options },
        { provide: SERVICE_CONSUMER_GROUP, useValue: options.consumerGroup ?? 'autodeploy' },
        { provide: REPO_KNOWLEDGE, useValue: new TypeOrmRepoKnowledge() },
        {
          provide: READ_MODEL_PROJECTION_INSTANCE,
          inject: [EventStore, LogAppends],
          useFactory: (store: EventStore, appends: LogAppends) => {
            // Woken by every append's NOTIFY (any replica's), it polls only as a fallback.
            const pollIntervalMs = options.projectionPollMs ?? appends.pollInterval(100);
            const projection = new Projection(store, projectReadModels, { name: READ_MODEL_PROJECTION, pollIntervalMs, logger: log });
            appends.subscribe(() => projection.wake());
            return projection;
          },
        },
        { provide: TEAM_POLICY_WRITER, inject: [SERVICE_DATA_SOURCE, EventStore], useFactory: (ds: DataSource, store: EventStore) => new PgTeamPolicyWriter(ds, store) },
        {
          provide: ConfigCommands,
          inject: [EventStore, READ_MODEL_PROJECTION_INSTANCE, POLICY_GATE, REPO_KNOWLEDGE],
          useFactory: (store: EventStore, projection: Projection, gate: PolicyGate, knowledge: TypeOrmRepoKnowledge) =>
            new ConfigCommands(store, gate, () => projection.wake(), knowledge),
        },
        { provide: READ_MODELS, inject: [SERVICE_DATA_SOURCE], useFactory: (ds: DataSource) => new TypeOrmReadModels(ds) },
        { provide: DORA_RECORDS, inject: [SERVICE_DATA_SOURCE], useFactory: (ds: DataSource) => new TypeOrmDoraRecords(ds) },
        {
          provide: DEPLOY_SERVICE,
          inject: [ConfigCommands, REPO_KNOWLEDGE, READ_MODELS],
          useFactory: (commands: ConfigCommands, knowledge: RepoKnowledge, reads: TypeOrmReadModels) => new DeployService(commands, knowledge, reads),
        },
        {
          provide: RepoEventsHandler,
          inject: [ConfigCommands, REPO_KNOWLEDGE],
          useFactory: (commands: ConfigCommands, knowledge: RepoKnowledge) => new RepoEventsHandler(commands, knowledge),
        },
        { provide: DEPLOY_EVENTS, inject: [SERVICE_DATA_SOURCE, EventStore], useFactory: (ds: DataSource, store: EventStore) => new EventStoreDeployEvents(ds, store) },
        {
          provide: StepDeadlines,
          inject: [ConfigCommands, READ_MODELS],
          useFactory: (commands: ConfigCommands, reads: TypeOrmReadModels) => new StepDeadlines(commands, reads, (options.stepDeadlineSeconds ?? 1800) * 1000, log),
        },
        { provide: OutcomesHandler, inject: [ConfigCommands, REPO_KNOWLEDGE], useFactory: (commands: ConfigCommands, knowledge: RepoKnowledge) => new OutcomesHandler(commands, knowledge) },
        {
          provide: TOKEN_STORE,
          inject: [SERVICE_DATA_SOURCE, EventStore],
          useFactory: (ds: DataSource, store: EventStore) => new TypeOrmTokenStore(ds, store, options.adminToken),
        },
        { provide: TOKEN_AUTHENTICATOR, useExisting: TOKEN_STORE },
        { provide: OIDC_VERIFIER, useValue: options.oidc ? new OidcVerifier(options.oidc) : null },
        {
          provide: REPLAY_SERVICE,
          inject: [SERVICE_DATA_SOURCE, READ_MODEL_PROJECTION_INSTANCE],
          useFactory: (ds: DataSource, projection: Projection) => new ReplayService(ds, projection),
        },
        { provide: RepoKnowledgeReplay, inject: [SERVICE_DATA_SOURCE], useFactory: (ds: DataSource) => new RepoKnowledgeReplay(ds) },
        {
          provide: CHAT_CATALOGUE,
          inject: [SERVICE_DATA_SOURCE, READ_MODELS, REPO_KNOWLEDGE],
          useFactory: (ds: DataSource, reads: TypeOrmReadModels, knowledge: RepoKnowledge) => new AutodeployChatCatalogue(ds, reads, knowledge),
        },
        { provide: CHAT_DEPLOYS, inject: [DEPLOY_SERVICE], useFactory: (service: DeployService) => new AutodeployChatDeploys(service) },
        ...chat.providers,
        ...previews.providers,
        BearerAuthGuard,
      ],
      exports: [TOKEN_AUTHENTICATOR, BearerAuthGuard],
    };
  }

  async onApplicationBootstrap(): Promise<void> {
    this.unregisterDoraGauges = registerDoraGauges(this.dora);
    this.projection.start();
    this.deadlines.start(Math.min(30_000, ((this.options.stepDeadlineSeconds ?? 1800) * 1000) / 4));
    // sluice.auth.v1 is only published to (token events), but auto-creation is off on the broker.
    await this.bus.ensureTopics([Topics.scm, Topics.repo, Topics.deploy, Topics.auth]);
  }

  async onModuleDestroy(): Promise<void> {
    await this.deadlines.stop();
    await this.projection.stop();
    this.unregisterDoraGauges();
  }
}

