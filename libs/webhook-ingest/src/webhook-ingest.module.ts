import { DynamicModule, Module } from '@nestjs/common';
import { EventStore, SERVICE_DATA_SOURCE } from '@sluice/event-store';
import type { DataSource } from 'typeorm';
import { IngestDelivery } from './application/ingest-delivery';
import { GithubWebhookController, WEBHOOK_BODY_LIMIT } from './adapters/http/github-webhook.controller';
import { MAX_WEBHOOK_BYTES } from './adapters/http/raw-body';
import { SignatureVerifier } from './domain/signature';
import type { WebhookIngestConfig } from './webhook-ingest.config';

export interface WebhookIngestModuleOptions {
  /** Body cap; GitHub's own limit by default. */
  readonly bodyLimitBytes?: number;
}

/**
 * The root module of webhook-ingest. Needs `EventStoreModule.forRoot({ schema:
 * WEBHOOK_INGEST_SCHEMA, migrations: webhookIngestMigrations })` (whose relay publishes
 * to `sluice.scm.v1`) and `MessagingModule` next to it.
 */
@Module({})
export class WebhookIngestModule {
  static forRoot(config: Pick<WebhookIngestConfig, 'GITHUB_WEBHOOK_SECRET'>, options: WebhookIngestModuleOptions = {}): DynamicModule {
    return {
      module: WebhookIngestModule,
      controllers: [GithubWebhookController],
      providers: [
        { provide: SignatureVerifier, useValue: new SignatureVerifier(config.GITHUB_WEBHOOK_SECRET) },
        { provide: WEBHOOK_BODY_LIMIT, useValue: options.bodyLimitBytes ?? MAX_WEBHOOK_BYTES },
        {
          provide: IngestDelivery,
          inject: [SERVICE_DATA_SOURCE, EventStore],
          useFactory: (dataSource: DataSource, store: EventStore) => new IngestDelivery(dataSource, store),
        },
      ],
    };
  }
}
