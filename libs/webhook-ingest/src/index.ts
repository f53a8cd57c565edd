export * from './webhook-ingest.config';
export * from './webhook-ingest.module';
export { WEBHOOK_INGEST_SCHEMA, webhookIngestMigrations } from './adapters/persistence/migrations';
export type { WebhookAnswer } from './adapters/http/webhook.controller';
export { WEBHOOK_INGEST_OPENAPI } from './adapters/http/webhook.controller';
export * from './webhook-ingest.service';
