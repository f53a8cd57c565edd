import type { EntityManager } from 'typeorm';
import { schemaIdentifier } from './sql-identifier';
import { START, type LogPosition } from './stored-event';

/** Where each subscription (projection or relay) stands in the log. */
export class Checkpoints {
  private readonly table: string;

  constructor(schema: string) {
    this.table = `${schemaIdentifier(schema)}.checkpoints`;
  }

  /**
   * Reads the checkpoint and locks it for this transaction, so two instances of one
   * subscription never process the same batch at once.
   */
  async lock(manager: EntityManager, name: string): Promise<LogPosition> {
    await manager.query(`INSERT INTO ${this.table} (name) VALUES ($1) ON CONFLICT DO NOTHING`, [name]);
    const [row]: Array<{ transaction_id: string; global_position: string }> = await manager.query(
      `SELECT transaction_id::text AS transaction_id, global_position FROM ${this.table} WHERE name = $1 FOR UPDATE`,
      [name],
    );
    return row ? { transactionId: row.transaction_id, globalPosition: String(row.global_position) } : START;
  }

  async save(manager: EntityManager, name: string, position: LogPosition): Promise<void> {
    await manager.query(
      `UPDATE ${this.table} SET transaction_id = $2::xid8, global_position = $3, updated_at = now() WHERE name = $1`,
      [name, position.transactionId, position.globalPosition],
    );
  }

  /**
   * Saves in one statement, creating the row if needed (a writer that needs no lock: the relay
   * holds its own). Never moves the checkpoint backwards: a write behind the stored position
   * (from a relay that lost its leadership without noticing yet) is refused; returns whether
   * it was saved.
   */
  async put(manager: EntityManager, name: string, position: LogPosition): Promise<boolean> {
    const rows: unknown[] = await manager.query(
      `INSERT INTO ${this.table} AS c (name, transaction_id, global_position) VALUES ($1, $2::xid8, $3)
       ON CONFLICT (name) DO UPDATE SET transaction_id = excluded.transaction_id, global_position = excluded.global_position, updated_at = now()
       WHERE (c.transaction_id, c.global_position) <= (excluded.transaction_id, excluded.global_position)
       RETURNING 1`,
      [name, position.transactionId, position.globalPosition],
    );
    return rows.length === 1;
  }

  async read(manager: EntityManager, name: string): Promise<LogPosition> {
    const [row]: Array<{ transaction_id: string; global_position: string }> = await manager.query(
      `SELECT transaction_id::text AS transaction_id, global_position FROM ${this.table} WHERE name = $1`,
      [name],
    );
    return row ? { transactionId: row.transaction_id, globalPosition: String(row.global_position) } : START;
  }

  async reset(manager: EntityManager, name: string): Promise<void> {
    await manager.query(`DELETE FROM ${this.table} WHERE name = $1`, [name]);
  }
}
