import { DynamicModule, Module } from '@nestjs/common';
import { HealthModule } from '@sluice/platform';
import type { WebhookIngestConfig } from './webhook-ingest.config';

/**
 * The root module of webhook-ingest: `apps/webhook-ingest` bootstraps it alone, the all-in-one app
 * composes it with the others. For now it wires health only (config and logging come
 * from `bootstrapService`); the service's controllers, consumers and adapters go here.
 */
@Module({})
export class WebhookIngestModule {
  static forRoot(_config: WebhookIngestConfig): DynamicModule {
    return { module: WebhookIngestModule, imports: [HealthModule] };
  }
}
