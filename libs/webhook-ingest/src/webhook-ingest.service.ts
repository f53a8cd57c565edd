import type { SluiceService } from '@sluice/event-store';
import { WEBHOOK_INGEST_OPENAPI } from './adapters/http/webhook.controller';
import { WEBHOOK_INGEST_SCHEMA, webhookIngestMigrations } from './adapters/persistence/migrations';
import { webhookIngestConfigSchema, type WebhookIngestConfig } from './webhook-ingest.config';
import { WebhookIngestModule } from './webhook-ingest.module';

/**
 * webhook-ingest, defined once: its `main.ts` runs it with `serviceBootstrap` (as the webhook-ingest
 * benchmark does), the all-in-one beside the others.
 */
export const webhookIngestService: SluiceService<WebhookIngestConfig> = {
  name: 'webhook-ingest',
  configSchema: webhookIngestConfigSchema,
  databaseSchema: WEBHOOK_INGEST_SCHEMA,
  migrations: webhookIngestMigrations,
  module: (config) => WebhookIngestModule.forRoot(config),
  openApi: WEBHOOK_INGEST_OPENAPI,
  // The webhook handler reads the raw body itself, capped while streaming (413 at 25 MB).
  bodyParser: false,
};
