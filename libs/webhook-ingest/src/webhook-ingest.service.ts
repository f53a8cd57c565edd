import { Module } from '@nestjs/common';
import { EventStoreModule } from '@sluice/event-store';
import { MessagingModule } from '@sluice/messaging';
import { ConfigError, setupOpenApi, type BootstrapOptions } from '@sluice/platform';
import { WEBHOOK_INGEST_OPENAPI } from './adapters/http/webhook.controller';
import { WEBHOOK_INGEST_SCHEMA, webhookIngestMigrations } from './adapters/persistence/migrations';
import { webhookIngestConfigSchema, type WebhookIngestConfig } from './webhook-ingest.config';
import { WebhookIngestModule } from './webhook-ingest.module';

/**
 * The webhook-ingest service as its `main.ts` starts it with `bootstrapService` (Kafka,
 * its event store and outbox relay, the webhook module, the OpenAPI document); the
 * webhook-ingest benchmark starts the same.
 */
export function webhookIngestService(): BootstrapOptions<WebhookIngestConfig> {
  return {
    name: 'webhook-ingest',
    schema: webhookIngestConfigSchema,
    module: (config) => {
      if (!config.DATABASE_URL) throw new ConfigError([{ variable: 'DATABASE_URL', message: 'required by webhook-ingest' }]);
      @Module({})
      class WebhookIngestApp {}
      return {
        module: WebhookIngestApp,
        imports: [
          MessagingModule.forRoot({ brokers: config.KAFKA_BROKERS, clientId: 'webhook-ingest', topicPrefix: config.SLUICE_KAFKA_TOPIC_PREFIX, groupPrefix: config.SLUICE_KAFKA_TOPIC_PREFIX }),
          EventStoreModule.forRoot({ url: config.DATABASE_URL, schema: WEBHOOK_INGEST_SCHEMA, migrations: webhookIngestMigrations }),
          WebhookIngestModule.forRoot(config),
        ],
      };
    },
    // The webhook handler reads the raw body itself, capped while streaming (413 at 25 MB).
    bodyParser: false,
    configure: (app) => setupOpenApi(app, WEBHOOK_INGEST_OPENAPI),
  };
}
