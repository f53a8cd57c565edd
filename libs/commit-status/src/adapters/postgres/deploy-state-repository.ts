import { schemaIdentifier } from '@sluice/event-store';
import type { EntityManager } from 'typeorm';
import type { DeployStatusState } from '../../domain/deploy-status';
import type { DeployStatusStateRepository } from '../../application/deploy-status-projector';

export class PgDeployStatusStateRepository implements DeployStatusStateRepository {
  private readonly table: string;

  constructor(schema: string) {
    this.table = `${schemaIdentifier(schema)}.deploy_statuses`;
  }

  async load(config: string, manager: EntityManager): Promise<DeployStatusState | null> {
    const rows: Array<{ state: DeployStatusState }> = await manager.query(`SELECT state FROM ${this.table} WHERE config = $1 FOR UPDATE`, [config]);
    return rows[0]?.state ?? null;
  }

  async save(state: DeployStatusState, manager: EntityManager, options: { ownedPending?: boolean; at?: string } = {}): Promise<void> {
    await manager.query(
      `INSERT INTO ${this.table} (config, state, owned_pending, updated_at) VALUES ($1, $2, $3, coalesce($4::timestamptz, now()))
       ON CONFLICT (config) DO UPDATE SET state = EXCLUDED.state, owned_pending = EXCLUDED.owned_pending, updated_at = EXCLUDED.updated_at`,
      [state.config, JSON.stringify(state), options.ownedPending ?? false, options.at ?? null],
    );
  }

  async read(config: string, manager: EntityManager): Promise<{ state: DeployStatusState; ownedPending: boolean } | null> {
    const rows: Array<{ state: DeployStatusState; owned_pending: boolean }> = await manager.query(
      `SELECT state, owned_pending FROM ${this.table} WHERE config = $1`,
      [config],
    );
    return rows[0] ? { state: rows[0].state, ownedPending: rows[0].owned_pending } : null;
  }

  async markOwnedWritten(state: DeployStatusState, manager: EntityManager): Promise<boolean> {
    const rows: unknown[] = await manager.query(
      `UPDATE ${this.table} SET owned_pending = false WHERE config = $1 AND state = $2::jsonb RETURNING 1`,
      [state.config, JSON.stringify(state)],
    );
    return rows.length > 0;
  }

  async pendingOwned(manager: EntityManager, limit: number): Promise<string[]> {
    const rows: Array<{ config: string }> = await manager.query(
      `SELECT config FROM ${this.table} WHERE owned_pending ORDER BY updated_at LIMIT $1`,
      [limit],
    );
    return rows.map((r) => r.config);
  }
}
