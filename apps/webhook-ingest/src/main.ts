import { serviceBootstrap } from '@sluice/event-store';
import { bootstrapService, exitOnBootFailure } from '@sluice/platform';
import { webhookIngestService } from '@sluice/webhook-ingest';

bootstrapService(serviceBootstrap(webhookIngestService)).catch(exitOnBootFailure);
