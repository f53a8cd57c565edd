import type { DataSource, EntityManager } from 'typeorm';
import { schemaIdentifier } from './sql-identifier';

/**
 * Idempotent consumption: a consumer records each event id in its inbox in the same
 * transaction as its effects, and skips ids it has seen (docs/architecture.md §3).
 */
export class Inbox {
  private readonly table: string;

  constructor(
    private readonly dataSource: DataSource,
    schema: string,
  ) {
    this.table = `${schemaIdentifier(schema)}.inbox`;
  }

  /** Claims the event for the consumer inside `manager`'s transaction; false if it was handled before. */
  async claim(manager: EntityManager, consumer: string, eventId: string): Promise<boolean> {
    const rows: unknown[] = await manager.query(
      `INSERT INTO ${this.table} (consumer, event_id) VALUES ($1, $2) ON CONFLICT DO NOTHING RETURNING 1`,
      [consumer, eventId],
    );
    return rows.length === 1;
  }

  /** Whether the consumer's inbox already holds the event (a read outside any transaction). */
  async seen(consumer: string, eventId: string): Promise<boolean> {
    const rows: unknown[] = await this.dataSource.query(`SELECT 1 FROM ${this.table} WHERE consumer = $1 AND event_id = $2`, [consumer, eventId]);
    return rows.length > 0;
  }

  /**
   * Runs `effects` once per (consumer, event id): in one transaction with the inbox row.
   * Returns false (and runs nothing) for an event seen before.
   */
  async handleOnce(consumer: string, eventId: string, effects: (manager: EntityManager) => Promise<void>): Promise<boolean> {
    return this.dataSource.transaction(async (manager) => {
      if (!(await this.claim(manager, consumer, eventId))) return false;
      await effects(manager);
      return true;
    });
  }
}
