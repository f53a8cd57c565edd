import type { EntityManager } from 'typeorm';
import type { DeployStatusState } from '../../domain/deploy-status';
import type { DeployStatusStateRepository } from '../../application/deploy-status-projector';

export class PgDeployStatusStateRepository implements DeployStatusStateRepository {
  private readonly table: string;

  constructor(schema: string) {
    if (!/^[a-z_][a-z0-9_]{0,62}$/.test(schema)) throw new Error(`invalid schema name "${schema}"`);
    this.table = `"${schema}".deploy_statuses`;
  }

  async load(config: string, manager: EntityManager): Promise<DeployStatusState | null> {
    const rows: Array<{ state: DeployStatusState }> = await manager.query(`SELECT state FROM ${this.table} WHERE config = $1 FOR UPDATE`, [config]);
    return rows[0]?.state ?? null;
  }

  async save(state: DeployStatusState, manager: EntityManager): Promise<void> {
    await manager.query(
      `INSERT INTO ${this.table} (config, state) VALUES ($1, $2)
       ON CONFLICT (config) DO UPDATE SET state = EXCLUDED.state, updated_at = now()`,
      [state.config, JSON.stringify(state)],
    );
  }
}
