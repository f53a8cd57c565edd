import { ConcurrencyError, EventStore } from '@sluice/event-store';
import type { DataSource } from 'typeorm';
import type { Normalised } from '../domain/normalise';

export type IngestResult = 'accepted' | 'duplicate';

export interface VerifiedDelivery {
  readonly deliveryId: string;
  readonly event: string;
  readonly signature: string;
  readonly raw: Buffer;
  readonly normalised: Extract<Normalised, { kind: 'events' }>;
}

const MAX_ATTEMPTS = 8;

/**
 * Stores one verified delivery and appends its events in ONE transaction. The delivery
 * row is inserted first with ON CONFLICT DO NOTHING: a concurrent copy of the same
 * delivery waits on the primary key and then sees the row, so exactly one copy appends.
 * Two different deliveries of one repository may race for the next stream version;
 * the loser retries in a new transaction after a jittered backoff.
 */
export class IngestDelivery {
  constructor(
    private readonly dataSource: DataSource,
    private readonly store: EventStore,
    private readonly sleep: (ms: number) => Promise<void> = (ms) => new Promise((r) => setTimeout(r, ms)),
  ) {}

  async execute(delivery: VerifiedDelivery): Promise<IngestResult> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.once(delivery);
      } catch (error) {
        if (!(error instanceof ConcurrencyError) || attempt >= MAX_ATTEMPTS) throw error;
        await this.sleep(Math.random() * Math.min(200, 5 * 2 ** attempt));
      }
    }
  }

  private once(d: VerifiedDelivery): Promise<IngestResult> {
    return this.dataSource.transaction(async (manager) => {
      const inserted: unknown[] = await manager.query(
        `INSERT INTO webhook_ingest.deliveries (delivery_id, event, action, repo, signature, raw, event_count)
         VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (delivery_id) DO NOTHING RETURNING 1`,
        [d.deliveryId, d.event, d.normalised.action, d.normalised.repo, d.signature, d.raw, d.normalised.events.length],
      );
      if (inserted.length === 0) return 'duplicate';
      await this.store.append(
        d.normalised.stream,
        'any',
        d.normalised.events.map((e) => ({ ...e, correlationId: d.deliveryId })),
        { manager },
      );
      return 'accepted';
    });
  }
}
