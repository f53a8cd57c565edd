import { bootstrapService, exitOnBootFailure } from '@sluice/platform';
import { webhookIngestService } from '@sluice/webhook-ingest';

bootstrapService(webhookIngestService()).catch(exitOnBootFailure);
