import { Checkpoints, START, type Projection } from '@sluice/event-store';
import type { DataSource } from 'typeorm';
import { v7 as uuidv7 } from 'uuid';
import { READ_MODEL_PROJECTION, READ_MODEL_TABLES } from './read-model-projection';

export interface ReplayStatus {
  replayId: string;
  requestedBy: string;
  requestedAt: string;
  status: 'running' | 'done';
  /** Events of the log the rebuilt read models have consumed, of `total` present when the replay began. */
  processed: number;
  total: number;
}

/**
 * Rebuilds the read models from the log: in one transaction (holding the projection's
 * checkpoint lock, so no batch is half applied) it empties the tables and moves the
 * checkpoint back to the start; the projection then replays the whole log.
 */
export class ReplayService {
  private readonly checkpoints = new Checkpoints('autodeploy');

  constructor(
    private readonly dataSource: DataSource,
    private readonly projection: Projection,
  ) {}

  async start(requestedBy: string): Promise<ReplayStatus> {
    const id = uuidv7();
    await this.dataSource.transaction(async (m) => {
      await this.checkpoints.lock(m, READ_MODEL_PROJECTION);
      await m.query(`TRUNCATE ${READ_MODEL_TABLES.map((t) => `autodeploy.${t}`).join(', ')}`);
      await this.checkpoints.save(m, READ_MODEL_PROJECTION, START);
      await m.query(
        `INSERT INTO autodeploy.replays (id, requested_by, target_tx, target_pos, total)
         SELECT $1, $2, last.transaction_id, last.global_position, (SELECT count(*) FROM autodeploy.events)
           FROM (SELECT NULL) AS one
           LEFT JOIN LATERAL (SELECT transaction_id, global_position FROM autodeploy.events
                               ORDER BY transaction_id DESC, global_position DESC LIMIT 1) last ON true`,
        [id, requestedBy],
      );
    });
    this.projection.wake();
    return (await this.status(id))!;
  }

  async status(id: string): Promise<ReplayStatus | null> {
    const [row]: Array<{ id: string; requested_by: string; requested_at: Date; total: string; processed: string; done: boolean }> = await this.dataSource.query(
      `SELECT r.id, r.requested_by, r.requested_at, r.total,
              (SELECT count(*) FROM autodeploy.events e
                WHERE (e.transaction_id, e.global_position) <= (c.transaction_id, c.global_position)
                  AND (r.target_tx IS NULL OR (e.transaction_id, e.global_position) <= (r.target_tx, r.target_pos))) AS processed,
              (r.target_tx IS NULL OR (c.transaction_id, c.global_position) >= (r.target_tx, r.target_pos)) AS done
         FROM autodeploy.replays r
         LEFT JOIN autodeploy.checkpoints c ON c.name = $2
        WHERE r.id = $1`,
      [id, READ_MODEL_PROJECTION],
    );
    if (!row) return null;
    return {
      replayId: row.id,
      requestedBy: row.requested_by,
      requestedAt: new Date(row.requested_at).toISOString(),
      status: row.done ? 'done' : 'running',
      processed: Number(row.processed),
      total: Number(row.total),
    };
  }
}
