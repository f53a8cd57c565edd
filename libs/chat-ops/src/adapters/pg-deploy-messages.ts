import { managerOf, migrationSchema, schemaIdentifier, type Transaction } from '@sluice/event-store';
import type { DataSource, MigrationInterface, QueryRunner } from 'typeorm';
import type { DeployDetail, DeployMessages, TrackedMessage } from '../application/ports';

/** The deploy messages, in the schema of the service that hosts chat-ops (autodeploy). */
export class ChatDeployMessages1767600000000 implements MigrationInterface {
  name = 'ChatDeployMessages1767600000000';
  async up(q: QueryRunner): Promise<void> {
    const s = migrationSchema(q);
    await q.query(`
      CREATE TABLE ${s}.chat_deploy_messages (
        deploy_id       uuid PRIMARY KEY,
        channel         text,
        ts              text,
        config          text NOT NULL,
        phase           text NOT NULL,
        detail          jsonb NOT NULL,
        version         integer NOT NULL,
        synced_version  integer NOT NULL DEFAULT 0,
        updated_at      timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`CREATE INDEX chat_deploy_messages_out_of_date ON ${s}.chat_deploy_messages (updated_at) WHERE synced_version < version AND channel IS NOT NULL`);
    await q.query(`CREATE INDEX chat_deploy_messages_message ON ${s}.chat_deploy_messages (channel, ts)`);
  }
  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE ${migrationSchema(q)}.chat_deploy_messages`);
  }
}

export const chatOpsMigrations = [ChatDeployMessages1767600000000];

interface Row {
  deploy_id: string;
  channel: string | null;
  ts: string | null;
  config: string;
  phase: string;
  detail: DeployDetail;
  version: number;
  synced_version: number;
}

const EMPTY: DeployDetail = { imageTag: null, artifactSha: null, configSha: null, requestedBy: null, reason: null, failure: null };

/** `DeployMessages` on PostgreSQL: one row per deploy asked for from chat. */
export class PgDeployMessages implements DeployMessages {
  private readonly table: string;

  constructor(
    private readonly dataSource: DataSource,
    schema: string,
  ) {
    this.table = `${schemaIdentifier(schema)}.chat_deploy_messages`;
  }

  async track(deployId: string, channel: string, config: string): Promise<void> {
    await this.dataSource.query(
      `INSERT INTO ${this.table} (deploy_id, channel, config, phase, detail, version) VALUES ($1, $2, $3, 'queued', $4, 1)
       ON CONFLICT (deploy_id) DO UPDATE SET channel = EXCLUDED.channel, version = ${this.table}.version + 1, updated_at = now()
       WHERE ${this.table}.channel IS NULL`,
      [deployId, channel, config, JSON.stringify(EMPTY)],
    );
  }

  async record(tx: Transaction, deployId: string, phase: string | null, detail: Partial<DeployDetail>): Promise<void> {
    await managerOf(tx).query(
      `UPDATE ${this.table} SET phase = COALESCE($2, phase), detail = detail || $3::jsonb, version = version + 1, updated_at = now() WHERE deploy_id = $1`,
      [deployId, phase, JSON.stringify(detail)],
    );
  }

  async requested(tx: Transaction, deployId: string, config: string, detail: DeployDetail): Promise<void> {
    await managerOf(tx).query(
      `INSERT INTO ${this.table} (deploy_id, config, phase, detail, version) VALUES ($1, $2, 'queued', $3, 1)
       ON CONFLICT (deploy_id) DO UPDATE SET detail = ${this.table}.detail || EXCLUDED.detail, version = ${this.table}.version + 1, updated_at = now()`,
      [deployId, config, JSON.stringify(detail)],
    );
  }

  async get(deployId: string): Promise<TrackedMessage | null> {
    const [row]: Row[] = await this.dataSource.query(`SELECT * FROM ${this.table} WHERE deploy_id = $1`, [deployId]);
    return row && row.channel ? toMessage(row) : null;
  }

  async outOfDate(limit: number): Promise<TrackedMessage[]> {
    const rows: Row[] = await this.dataSource.query(
      `SELECT * FROM ${this.table} WHERE synced_version < version AND channel IS NOT NULL ORDER BY updated_at LIMIT $1`,
      [limit],
    );
    return rows.map(toMessage);
  }

  async synced(deployId: string, ts: string, version: number): Promise<void> {
    await this.dataSource.query(`UPDATE ${this.table} SET ts = $2, synced_version = GREATEST(synced_version, $3) WHERE deploy_id = $1`, [deployId, ts, version]);
  }

  async byMessage(channel: string, ts: string): Promise<TrackedMessage | null> {
    const [row]: Row[] = await this.dataSource.query(`SELECT * FROM ${this.table} WHERE channel = $1 AND ts = $2`, [channel, ts]);
    return row ? toMessage(row) : null;
  }
}

function toMessage(r: Row): TrackedMessage {
  return { deployId: r.deploy_id, channel: r.channel!, ts: r.ts, config: r.config, phase: r.phase, detail: { ...EMPTY, ...r.detail }, version: r.version, syncedVersion: r.synced_version };
}
