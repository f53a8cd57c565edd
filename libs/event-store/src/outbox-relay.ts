import type { EventEnvelope } from '@sluice/contracts';
import type { QueryRunner } from 'typeorm';
import type { EventStore } from './event-store';
import { LogSubscription, type LogSubscriptionOptions } from './log-subscription';
import { toEnvelope, type LogPosition, type StoredEvent } from './stored-event';

/** Structural twin of the messaging port's publisher, so the store does not depend on a transport. */
export interface EnvelopePublisher {
  publish(topic: string, envelopes: readonly EventEnvelope[]): Promise<void>;
}

export interface OutboxRelayOptions extends LogSubscriptionOptions {
  /** The topic an event goes to; null = not published (e.g. an outcome recorded from another service). */
  topicFor: (event: StoredEvent) => string | null;
  /**
   * Only one relay of a schema publishes at a time: it holds a session advisory lock on
   * a dedicated connection. Off for the embedded database (one process, one connection).
   */
  exclusive?: boolean;
}

/**
 * The transactional outbox relay: publishes what the service appended to its own log,
 * in log order (so in order per stream), at-least-once, and moves its checkpoint only
 * after the broker acknowledged. A crash between the two republishes the batch;
 * consumers' inboxes absorb the duplicates.
 */
export class OutboxRelay extends LogSubscription {
  private leaderConnection: QueryRunner | null = null;
  /** Where this relay stands, once read: it alone moves the checkpoint while it leads. */
  private position: LogPosition | null = null;

  constructor(
    store: EventStore,
    private readonly publisher: EnvelopePublisher,
    private readonly relayOptions: OutboxRelayOptions,
  ) {
    super(store, relayOptions);
  }

  async pollOnce(): Promise<number> {
    if (!(await this.isLeader())) return 0;
    const manager = this.store.dataSource.manager;
    const after = this.position ?? (await this.checkpoints.read(manager, this.name));
    const events = await this.store.readAll(after, { limit: this.relayOptions.batchSize ?? 500, encodedData: true });
    if (events.length === 0) return 0;
    for (const [topic, envelopes] of groupByTopic(events, this.relayOptions.topicFor)) {
      await this.publisher.publish(topic, envelopes);
    }
    // One statement: only one relay of a schema runs (the advisory lock), so there is nothing to lock against.
    await this.checkpoints.put(manager, this.name, events[events.length - 1].position);
    this.position = events[events.length - 1].position;
    return events.length;
  }

  override async stop(): Promise<void> {
    await super.stop();
    if (this.leaderConnection) {
      await this.leaderConnection.release().catch(() => undefined);
      this.leaderConnection = null;
    }
  }

  private async isLeader(): Promise<boolean> {
    if (!this.relayOptions.exclusive) return true;
    if (this.leaderConnection) return true;
    const runner = this.store.dataSource.createQueryRunner();
    await runner.connect();
    const [row]: Array<{ ok: boolean }> = await runner.query('SELECT pg_try_advisory_lock(hashtext($1)) AS ok', [
      `sluice-relay-${this.store.schema}-${this.name}`,
    ]);
    if (row?.ok) {
      this.leaderConnection = runner;
      this.position = null; // another relay may have led meanwhile
      return true;
    }
    await runner.release();
    return false;
  }
}

/** Groups consecutive runs by topic, keeping log order inside each topic. */
function groupByTopic(events: readonly StoredEvent[], topicFor: (e: StoredEvent) => string | null): Map<string, EventEnvelope[]> {
  const groups = new Map<string, EventEnvelope[]>();
  for (const event of events) {
    const topic = topicFor(event);
    if (!topic) continue;
    const group = groups.get(topic) ?? [];
    group.push(toEnvelope(event));
    groups.set(topic, group);
  }
  return groups;
}
