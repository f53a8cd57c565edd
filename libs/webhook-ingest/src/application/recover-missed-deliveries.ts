import type { HookRef, ScmHookDeliveries, ScmHookDelivery } from '@sluice/scm';
import type { DataSource } from 'typeorm';

export interface RecoveryResult {
  readonly listed: number;
  readonly failed: number;
  readonly redelivered: number;
  readonly errors: number;
}

export interface RecoveryOptions {
  readonly hook: HookRef;
  /** How far back deliveries are examined; GitHub keeps them for 3 days. Default 24 h. */
  readonly lookbackMs?: number;
  readonly now?: () => number;
  readonly logger?: { info(obj: object, msg: string): void; warn(obj: object, msg: string): void };
}

const ok = (d: ScmHookDelivery) => d.statusCode >= 200 && d.statusCode < 300;

/**
 * Missed-webhook recovery: lists the hook's recent deliveries through the GitHub API
 * and asks GitHub to redeliver each one that never succeeded and that webhook-ingest
 * never stored (a delivery GitHub counted as failed — a timeout — may still have been
 * stored). Each delivery is redelivered at most once (recorded in `redeliveries`).
 */
export class RecoverMissedDeliveries {
  constructor(
    private readonly dataSource: DataSource,
    private readonly hooks: ScmHookDeliveries,
    private readonly options: RecoveryOptions,
  ) {}

  async runOnce(): Promise<RecoveryResult> {
    const now = this.options.now?.() ?? Date.now();
    const since = new Date(now - (this.options.lookbackMs ?? 24 * 3600_000)).toISOString();
    const deliveries = await this.hooks.listHookDeliveries(this.options.hook, since);
    // Attempts of one delivery share its guid; the newest attempt comes first.
    const byGuid = new Map<string, ScmHookDelivery[]>();
    for (const d of deliveries) byGuid.set(d.guid, [...(byGuid.get(d.guid) ?? []), d]);
    const failed = [...byGuid.entries()].filter(([, attempts]) => !attempts.some(ok));
    if (failed.length === 0) return { listed: deliveries.length, failed: 0, redelivered: 0, errors: 0 };

    const guids = failed.map(([guid]) => guid);
    const seen: Array<{ guid: string }> = await this.dataSource.query(
      `SELECT delivery_id AS guid FROM webhook_ingest.deliveries WHERE delivery_id = ANY($1)
       UNION SELECT guid FROM webhook_ingest.redeliveries WHERE guid = ANY($1)`,
      [guids],
    );
    const skip = new Set(seen.map((r) => r.guid));
    let redelivered = 0;
    let errors = 0;
    for (const [guid, attempts] of failed) {
      if (skip.has(guid)) continue;
      const latest = attempts[0];
      // Claim first, so two replicas never both ask.
      const claimed: unknown[] = await this.dataSource.query(
        `INSERT INTO webhook_ingest.redeliveries (guid, github_id, event, outcome) VALUES ($1, $2, $3, 'requested')
         ON CONFLICT (guid) DO NOTHING RETURNING 1`,
        [guid, latest.id, latest.event],
      );
      if (claimed.length === 0) continue;
      try {
        await this.hooks.redeliver(this.options.hook, latest.id);
        redelivered++;
        this.options.logger?.info({ deliveryId: guid, event: latest.event }, 'asked GitHub to redeliver a missed webhook');
      } catch (error) {
        errors++;
        // Released, so the next run tries again (the delivery stays listed for 3 days).
        await this.dataSource.query(`DELETE FROM webhook_ingest.redeliveries WHERE guid = $1`, [guid]);
        this.options.logger?.warn({ deliveryId: guid, err: error }, 'redelivery request failed; retried next run');
      }
    }
    return { listed: deliveries.length, failed: failed.length, redelivered, errors };
  }
}
