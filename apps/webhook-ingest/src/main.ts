import { bootstrapService, exitOnBootFailure } from '@sluice/platform';
import { webhookIngestConfigSchema, WebhookIngestConfig, WebhookIngestModule } from '@sluice/webhook-ingest';

bootstrapService<WebhookIngestConfig>({
  name: 'webhook-ingest',
  schema: webhookIngestConfigSchema,
  module: (config) => WebhookIngestModule.forRoot(config),
  // GitHub sends up to 25 MB; signatures are checked on the raw body.
  rawBody: true,
  bodyLimit: '25mb',
}).catch(exitOnBootFailure);
