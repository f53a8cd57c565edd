import { Module } from '@nestjs/common';
import { MessagingModule } from '@sluice/messaging';
import { ConfigError, createLogger, setupOpenApi, type BootstrapOptions, type CommonConfig, type ModuleLike, type OpenApiInfo } from '@sluice/platform';
import type { MigrationInterface } from 'typeorm';
import type { z } from 'zod';
import type { StoredEvent } from '../stored-event';
import { EventStoreModule } from './event-store.module';
import { startSluiceConsumers } from './sluice-events.transport';

type MigrationClass = new () => MigrationInterface;

/**
 * One Sluice service, defined once (docs/architecture.md §2, §6): what its own process runs
 * (`serviceBootstrap`, for `apps/<service>/src/main.ts`) and what the all-in-one runs beside the
 * others on one database and one bus — the same module, routes, consumers and lifecycle.
 */
export interface SluiceService<C extends CommonConfig = CommonConfig> {
  /** The `service` of its logs and metrics, its Kafka client id. */
  readonly name: string;
  /** Its settings (docs/architecture.md §9). */
  readonly configSchema: z.ZodType<C>;
  /** Its PostgreSQL schema and that schema's migrations. */
  readonly databaseSchema: string;
  readonly migrations: readonly MigrationClass[];
  /** What its outbox relay publishes where; default: each event type's topic. */
  readonly relayTopicFor?: (event: StoredEvent) => string | null;
  /** Its own module: controllers (HTTP routes and `@OnSluiceEvent` consumers), providers, lifecycle. */
  readonly module: (config: C) => ModuleLike;
  /** Its part of the OpenAPI document (its routes come from its controllers). */
  readonly openApi: OpenApiInfo;
  /** False: it reads request bodies itself (webhook-ingest verifies signatures on the raw bytes). */
  readonly bodyParser?: boolean;
  /** True: the body parsers also keep the raw bytes (`req.rawBody`), e.g. to verify Slack's signatures. */
  readonly rawBody?: boolean;
}

/**
 * The service as its own process, for `bootstrapService`: its bus (Kafka from the config), its
 * event store and relay, its module, its OpenAPI document and its consumers.
 */
export function serviceBootstrap<C extends CommonConfig & { DATABASE_URL?: string }>(service: SluiceService<C>): BootstrapOptions<C> {
  return {
    name: service.name,
    schema: service.configSchema,
    bodyParser: service.bodyParser,
    rawBody: service.rawBody,
    module: (config) => {
      if (!config.DATABASE_URL) throw new ConfigError([{ variable: 'DATABASE_URL', message: `required by ${service.name}` }]);
      @Module({})
      class ServiceProcess {}
      return {
        module: ServiceProcess,
        imports: [
          MessagingModule.forRoot({
            brokers: config.KAFKA_BROKERS,
            clientId: service.name,
            logger: createLogger('messaging'),
            topicPrefix: config.SLUICE_KAFKA_TOPIC_PREFIX,
            groupPrefix: config.SLUICE_KAFKA_TOPIC_PREFIX,
          }),
          EventStoreModule.forRoot({ url: config.DATABASE_URL, schema: service.databaseSchema, migrations: [...service.migrations], relay: { topicFor: service.relayTopicFor } }),
          service.module(config),
        ],
      };
    },
    configure: (app) => setupOpenApi(app, service.openApi),
    start: startSluiceConsumers,
  };
}
