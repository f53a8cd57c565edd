import type { EventEnvelope } from '@sluice/contracts';
import type { QueryRunner } from 'typeorm';
import type { EventStore } from './event-store';
import { lockOnOwnConnection, sessionHoldsLock } from './leader-election';
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
    const manager = this.leaderConnection?.manager ?? this.store.dataSource.manager;
    const after = this.position ?? (await this.checkpoints.read(manager, this.name));
    // Read once per leadership: it alone moves the checkpoint while it leads.
    this.position = after;
    const { events, heldBack } = await this.store.readBatch(after, { limit: this.relayOptions.batchSize ?? 500, encodedData: true });
    this.heldBack = heldBack;
    if (events.length === 0) return 0;
    for (const [topic, envelopes] of groupByTopic(events, this.relayOptions.topicFor)) {
      // A relay whose lock session died must stop at once: another one may lead by now.
      if (!(await this.stillLeader())) return 0;
      await this.publisher.publish(topic, envelopes);
    }
    // Written on the session that holds the lock: if that session died meanwhile the write
    // fails, so a relay that lost its leadership never moves the checkpoint; and `put` never
    // moves it backwards, whoever writes.
    const last = events[events.length - 1].position;
    if (!(await this.checkpoints.put(this.leaderConnection?.manager ?? manager, this.name, last))) {
      this.relayOptions.logger?.warn({ subscription: this.name }, 'checkpoint is ahead of this relay (another relay led meanwhile); re-reading it');
      this.position = null;
      return 0;
    }
    this.position = last;
    return events.length;
  }

  override async stop(): Promise<void> {
    await super.stop();
    await this.dropLeadership();
  }

  /**
   * Leads, or has just taken the lock. A relay that led at its last poll reads without asking
   * again (an idle poll is then one statement); whether its lock session still holds the lock is
   * asked before anything is published.
   */
  private async isLeader(): Promise<boolean> {
    if (!this.relayOptions.exclusive) return true;
    if (this.leaderConnection) return true;
    const runner = await lockOnOwnConnection(this.store.dataSource, this.lockName);
    if (!runner) return false;
    this.leaderConnection = runner;
    this.position = null; // another relay may have led meanwhile
    return true;
  }

  /**
   * The session holding the lock still exists and still holds it (an administrator or a
   * network failure may have ended it; then the server released the lock and another relay
   * may have taken it). On any doubt leadership is given up; the next poll tries again.
   */
  private async stillLeader(): Promise<boolean> {
    if (!this.relayOptions.exclusive) return true;
    const runner = this.leaderConnection;
    if (!runner) return false;
    if (await sessionHoldsLock(runner, this.lockName)) return true;
    this.relayOptions.logger?.warn({ subscription: this.name }, 'outbox relay lost its leadership (its lock session ended); it stops publishing');
    await this.dropLeadership();
    return false;
  }

  private get lockName(): string {
    return `sluice-relay-${this.store.schema}-${this.name}`;
  }

  private async dropLeadership(): Promise<void> {
    const runner = this.leaderConnection;
    this.leaderConnection = null;
    this.position = null;
    // pg-pool destroys a released client that is no longer queryable (a terminated session).
    if (runner) await runner.release().catch(() => undefined);
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
