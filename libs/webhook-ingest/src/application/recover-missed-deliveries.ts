import type { HookRef, ScmHookDeliveries, ScmHookDelivery } from '@sluice/scm';

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
/** What webhook-ingest knows of deliveries and of the redeliveries it asked for (PgDeliveryLedger). */
export interface DeliveryLedger {
  /** Of these delivery ids, the ones stored or already asked to be redelivered. */
  known(guids: readonly string[]): Promise<Set<string>>;
  /** Records that this delivery is being asked for; false when another run (or replica) already did. */
  claimRedelivery(guid: string, githubId: number, event: string): Promise<boolean>;
  /** Forgets a claim whose request failed, so the next run asks again. */
  releaseRedelivery(guid: string): Promise<void>;
}

export class RecoverMissedDeliveries {
  constructor(
    private readonly ledger: DeliveryLedger,
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
    const skip = await this.ledger.known(guids);
    let redelivered = 0;
    let errors = 0;
    for (const [guid, attempts] of failed) {
      if (skip.has(guid)) continue;
      const latest = attempts[0];
      // Claim first, so two replicas never both ask.
      if (!(await this.ledger.claimRedelivery(guid, latest.id, latest.event))) continue;
      try {
        await this.hooks.redeliver(this.options.hook, latest.id);
        redelivered++;
        this.options.logger?.info({ deliveryId: guid, event: latest.event }, 'asked GitHub to redeliver a missed webhook');
      } catch (error) {
        errors++;
        // Released, so the next run tries again (the delivery stays listed for 3 days).
        await this.ledger.releaseRedelivery(guid);
        this.options.logger?.warn({ deliveryId: guid, err: error }, 'redelivery request failed; retried next run');
      }
    }
    return { listed: deliveries.length, failed: failed.length, redelivered, errors };
  }
}
