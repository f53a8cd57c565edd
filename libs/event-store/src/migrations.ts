import type { MigrationInterface, QueryRunner } from 'typeorm';
import { schemaIdentifier } from './sql-identifier';

type MigrationClass = new () => MigrationInterface;

/**
 * The event store's tables in one service's schema: the append-only `events` log,
 * the consumer `inbox` and projection `checkpoints` (ARCHITECTURE §4).
 * `transaction_id` is the writing transaction's xid8; readers order by
 * (transaction_id, global_position) and stay below the oldest open transaction.
 */
export function eventStoreMigrations(schema: string): MigrationClass[] {
  const s = schemaIdentifier(schema);
  class EventStoreInit1732300000000 implements MigrationInterface {
    name = `EventStoreInit1732300000000`;
    async up(q: QueryRunner): Promise<void> {
      await q.query(`CREATE SCHEMA IF NOT EXISTS ${s}`);
      await q.query(`
        CREATE TABLE ${s}.events (
          global_position bigserial PRIMARY KEY,
          transaction_id  xid8 NOT NULL DEFAULT pg_current_xact_id(),
          id              uuid NOT NULL,
          stream          text NOT NULL,
          stream_version  integer NOT NULL CHECK (stream_version > 0),
          type            text NOT NULL,
          version         integer NOT NULL CHECK (version > 0),
          data            jsonb NOT NULL,
          correlation_id  text NOT NULL,
          causation_id    text,
          occurred_at     timestamptz NOT NULL,
          CONSTRAINT events_id_unique UNIQUE (id),
          CONSTRAINT events_stream_version_unique UNIQUE (stream, stream_version)
        )`);
      await q.query(`CREATE INDEX events_tx_position ON ${s}.events (transaction_id, global_position)`);
      await q.query(`
        CREATE TABLE ${s}.inbox (
          consumer     text NOT NULL,
          event_id     uuid NOT NULL,
          processed_at timestamptz NOT NULL DEFAULT now(),
          PRIMARY KEY (consumer, event_id)
        )`);
      await q.query(`
        CREATE TABLE ${s}.checkpoints (
          name            text PRIMARY KEY,
          transaction_id  xid8 NOT NULL DEFAULT '0',
          global_position bigint NOT NULL DEFAULT 0,
          updated_at      timestamptz NOT NULL DEFAULT now()
        )`);
    }
    async down(q: QueryRunner): Promise<void> {
      await q.query(`DROP TABLE ${s}.checkpoints`);
      await q.query(`DROP TABLE ${s}.inbox`);
      await q.query(`DROP TABLE ${s}.events`);
    }
  }
  return [EventStoreInit1732300000000];
}
