export * from './webhook-ingest.config';
export * from './webhook-ingest.module';
