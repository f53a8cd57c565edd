import type { NewEvent } from '@sluice/contracts';
import { EventStore, transactWithRetry, type StreamAppend } from '@sluice/event-store';
import type { DataSource, EntityManager } from 'typeorm';
import type { Normalised } from '@sluice/scm';

export type IngestResult = 'accepted' | 'duplicate';

export interface VerifiedDelivery {
  readonly deliveryId: string;
  readonly event: string;
  readonly signature: string;
  readonly raw: Buffer;
  readonly normalised: Extract<Normalised, { kind: 'events' }>;
}

interface Pending {
  readonly delivery: VerifiedDelivery;
  readonly resolve: (result: IngestResult) => void;
  readonly reject: (error: unknown) => void;
}

const DELIVERY_COLUMNS = 7;

/**
 * Stores verified deliveries and appends their events, group-committed: deliveries that
 * arrive while a write of their lane is in flight are written together by the next one, in ONE
 * transaction of two statements (the delivery rows with ON CONFLICT DO NOTHING, then the
 * events of the rows that were new, every repository's stream in one append). So under
 * load the cost of a round trip and a commit is shared by the whole batch, and a
 * delivery's row and its events commit together or not at all.
 *
 * A delivery already stored (a redelivery, or a second copy in the same batch) is a
 * `duplicate` and appends nothing; a concurrent copy in another replica waits on the
 * primary key and then sees the row. Another replica may race for a stream's next
 * version: the batch is retried after a jittered backoff. Any other failure of a batch
 * is narrowed down by writing its deliveries one by one, so one bad delivery fails alone.
 *
 * Deliveries are spread over `lanes` independent writers by repository stream (default 2), so
 * one batch is prepared and sent while another is in the database; a stream always takes the
 * same lane, so its events keep arrival order and two lanes never race for its versions.
 */
export class IngestDelivery {
  private readonly lanes: Array<{ queue: Pending[]; writing: boolean }>;

  constructor(
    private readonly dataSource: DataSource,
    private readonly store: EventStore,
    private readonly options: { maxBatch?: number; lanes?: number; sleep?: (ms: number) => Promise<void> } = {},
  ) {
    this.lanes = Array.from({ length: Math.max(1, options.lanes ?? 2) }, () => ({ queue: [], writing: false }));
  }

  execute(delivery: VerifiedDelivery): Promise<IngestResult> {
    const lane = this.lanes[laneOf(delivery.normalised.stream, this.lanes.length)]!;
    return new Promise((resolve, reject) => {
      lane.queue.push({ delivery, resolve, reject });
      if (!lane.writing) void this.drain(lane);
    });
  }

  private async drain(lane: { queue: Pending[]; writing: boolean }): Promise<void> {
    lane.writing = true;
    try {
      while (lane.queue.length > 0) await this.writeBatch(lane.queue.splice(0, this.options.maxBatch ?? 100));
    } finally {
      lane.writing = false;
    }
  }

  private async writeBatch(batch: Pending[]): Promise<void> {
    try {
      const results = await this.withRetries(batch.map((p) => p.delivery));
      batch.forEach((p, i) => p.resolve(results[i]));
    } catch (error) {
      if (batch.length === 1) return batch[0].reject(error);
      for (const p of batch) {
        await this.withRetries([p.delivery]).then(([result]) => p.resolve(result), p.reject);
      }
    }
  }

  private async withRetries(deliveries: VerifiedDelivery[]): Promise<IngestResult[]> {
    return transactWithRetry(this.dataSource, (manager) => this.write(manager, deliveries), { sleep: this.options.sleep });
  }

  private async write(manager: EntityManager, deliveries: VerifiedDelivery[]): Promise<IngestResult[]> {
    const firstCopy = new Map<string, VerifiedDelivery>();
    for (const d of deliveries) if (!firstCopy.has(d.deliveryId)) firstCopy.set(d.deliveryId, d);
    const unique = [...firstCopy.values()];
    const values = unique.map((_, row) => `(${Array.from({ length: DELIVERY_COLUMNS }, (_, c) => `$${row * DELIVERY_COLUMNS + c + 1}`).join(', ')})`);
    const inserted: Array<{ delivery_id: string }> = await manager.query(
      `INSERT INTO webhook_ingest.deliveries (delivery_id, event, action, repo, signature, raw, event_count)
       VALUES ${values.join(', ')} ON CONFLICT (delivery_id) DO NOTHING RETURNING delivery_id`,
      unique.flatMap((d) => [d.deliveryId, d.event, d.normalised.action, d.normalised.repo, d.signature, d.raw, d.normalised.events.length]),
    );
    const isNew = new Set(inserted.map((r) => r.delivery_id));
    const perStream = new Map<string, NewEvent[]>();
    for (const d of unique) {
      if (!isNew.has(d.deliveryId)) continue;
      const events = perStream.get(d.normalised.stream) ?? [];
      events.push(...d.normalised.events.map((e) => ({ ...e, correlationId: d.deliveryId })));
      perStream.set(d.normalised.stream, events);
    }
    const appends: StreamAppend[] = [...perStream].map(([stream, events]) => ({ stream, expectedVersion: 'any', events }));
    await this.store.appendMany(appends, { manager });
    return deliveries.map((d) => (isNew.has(d.deliveryId) && firstCopy.get(d.deliveryId) === d ? 'accepted' : 'duplicate'));
  }
}

/** A stable lane for a stream (FNV-1a). */
function laneOf(stream: string, lanes: number): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < stream.length; i++) h = Math.imul(h ^ stream.charCodeAt(i), 0x01000193);
  return (h >>> 0) % lanes;
}
