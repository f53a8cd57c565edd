import { preferLz4Compression } from '@sluice/event-store';
import type { MigrationInterface, QueryRunner } from 'typeorm';

export const WEBHOOK_INGEST_SCHEMA = 'webhook_ingest';

/**
 * `deliveries`: every accepted delivery, raw (for audit and re-processing), unique by
 * GitHub's delivery id — the dedupe key. `redeliveries`: what missed-webhook recovery
 * asked GitHub to send again, so it asks once per delivery.
 */
export class WebhookIngestInit1732400000000 implements MigrationInterface {
  name = 'WebhookIngestInit1732400000000';
  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE webhook_ingest.deliveries (
        delivery_id  text PRIMARY KEY,
        event        text NOT NULL,
        action       text,
        repo         text,
        signature    text NOT NULL,
        raw          bytea NOT NULL,
        event_count  integer NOT NULL,
        received_at  timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`CREATE INDEX deliveries_received_at ON webhook_ingest.deliveries (received_at)`);
    await q.query(`
      CREATE TABLE webhook_ingest.redeliveries (
        guid          text PRIMARY KEY,
        github_id     bigint NOT NULL,
        event         text,
        requested_at  timestamptz NOT NULL DEFAULT now(),
        outcome       text NOT NULL
      )`);
  }
  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE webhook_ingest.redeliveries`);
    await q.query(`DROP TABLE webhook_ingest.deliveries`);
  }
}

/** Raw bodies (often 20 KB and more) compress with lz4 where the server has it. */
export class WebhookIngestLz4Raw1732400000001 implements MigrationInterface {
  name = 'WebhookIngestLz4Raw1732400000001';
  async up(q: QueryRunner): Promise<void> {
    await preferLz4Compression(q, 'webhook_ingest.deliveries', 'raw');
  }
  async down(): Promise<void> {
    // Compression is a storage detail; nothing to undo.
  }
}

export const webhookIngestMigrations = [WebhookIngestInit1732400000000, WebhookIngestLz4Raw1732400000001];
