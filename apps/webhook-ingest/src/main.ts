import { Module } from '@nestjs/common';
import { EventStoreModule } from '@sluice/event-store';
import { MessagingModule } from '@sluice/messaging';
import { bootstrapService, ConfigError, exitOnBootFailure, setupOpenApi } from '@sluice/platform';
import {
  WEBHOOK_INGEST_OPENAPI,
  WEBHOOK_INGEST_SCHEMA,
  webhookIngestConfigSchema,
  WebhookIngestConfig,
  webhookIngestMigrations,
  WebhookIngestModule,
} from '@sluice/webhook-ingest';

bootstrapService<WebhookIngestConfig>({
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
}).catch(exitOnBootFailure);
