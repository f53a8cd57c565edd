export * from './webhook-ingest.config';
export * from './webhook-ingest.module';
export { WEBHOOK_INGEST_SCHEMA, webhookIngestMigrations } from './adapters/persistence/migrations';
export { normaliseDelivery, NORMALISED_EVENTS, type Normalised } from './domain/normalise';
export { SignatureVerifier } from './domain/signature';
export type { WebhookAnswer } from './adapters/http/github-webhook.controller';
export { WEBHOOK_INGEST_OPENAPI } from './adapters/http/github-webhook.controller';
export * from './webhook-ingest.service';
