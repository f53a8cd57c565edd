import { deadLetterTopic, type EventEnvelope } from '@sluice/contracts';
import { deliverWithRetry } from './deliver-with-retry';
import { encodeEnvelope, validateEnvelope } from './envelope-codec';
import { MessageBusClosedError } from './errors';
import { GroupCursor, GroupMember } from './in-process-group-cursor';
import { InProcessTopicLog, type LogEntry } from './in-process-topic-log';
import { silentLogger, type MessagingLogger } from './logger';
import type { DeadLetterInfo, MessageBus, Subscription, SubscriptionOptions } from './port';
import { resolveRetryPolicy, type RetryOptions } from './retry-policy';
import { isDeadLetterTopic } from './topic-names';
import { consumerLag, ConsumerStatus, type RetryingConsumer } from './consumer-status';

export interface InProcessMessageBusOptions {
  readonly logger?: MessagingLogger;
  /** Handler retry policy; `maxAttempts` per subscription overrides it. */
  readonly retry?: RetryOptions;
  /** How long `stop()`/`close()` lets a running handler finish before abandoning it; default 5000. */
  readonly shutdownGraceMs?: number;
  /**
   * Messages kept for a topic no group has subscribed to yet (oldest dropped beyond it);
   * default 10 000. Once a group subscribes, entries are kept until every group consumed them.
   */
  readonly maxRetainedPerTopic?: number;
}

/** A message a handler gave up on, kept for tests and operators of the all-in-one mode. */
export interface InProcessDeadLetter {
  readonly value: unknown;
  readonly info: DeadLetterInfo;
}

/**
 * The all-in-one transport: same envelope, same at-least-once delivery, per-key order,
 * retry and dead-letter behaviour as the Kafka adapter, without a broker. Nothing is
 * durable here; after a crash the outbox relay publishes again from the event tables.
 */
export class InProcessMessageBus implements MessageBus {
  private readonly logger: MessagingLogger;
  private readonly retry: RetryOptions;
  private readonly graceMs: number;
  private readonly maxRetained: number;
  private readonly logs = new Map<string, InProcessTopicLog>();
  private readonly cursors = new Map<string, GroupCursor>();
  private readonly subscriptions = new Set<Subscription>();
  private readonly deadLetterList: InProcessDeadLetter[] = [];
  private closed = false;
  private readonly status = new ConsumerStatus();
  /** Per topic, the `.dlq` offset up to which messages were redriven. */
  private readonly redriven = new Map<string, number>();

  constructor(options: InProcessMessageBusOptions = {}) {
    this.logger = options.logger ?? silentLogger;
    this.retry = options.retry ?? {};
    this.graceMs = options.shutdownGraceMs ?? 5000;
    this.maxRetained = options.maxRetainedPerTopic ?? 10_000;
    resolveRetryPolicy(this.retry); // fail at construction on a bad policy, not at the first delivery
  }

  /** Every message dead-lettered so far, oldest first. */
  get deadLetters(): readonly InProcessDeadLetter[] {
    return this.deadLetterList;
  }

  async publish(topic: string, envelopes: readonly EventEnvelope[]): Promise<void> {
    this.assertOpen();
    // Copy through JSON as Kafka would: handlers never share the publisher's objects,
    // and data that is not JSON-safe fails the same way in both modes.
    const values = envelopes.map((envelope) => JSON.parse(encodeEnvelope(envelope)) as unknown);
    for (const value of values) this.logOf(topic).append(value);
    this.afterAppend(topic);
  }

  async ensureTopics(topics: readonly string[]): Promise<void> {
    for (const topic of topics) {
      this.logOf(topic);
      if (!isDeadLetterTopic(topic)) this.logOf(deadLetterTopic(topic));
    }
  }

  async subscribe(options: SubscriptionOptions): Promise<Subscription> {
    this.assertOpen();
    const member = new GroupMember(options.handler, resolveRetryPolicy(this.retry, options.maxAttempts));
    const cursors = [...new Set(options.topics)].map((topic) => this.cursorOf(options.group, topic));
    for (const cursor of cursors) {
      cursor.addMember(member);
      cursor.wake();
    }
    const subscription: Subscription = {
      stop: async () => {
        if (!this.subscriptions.delete(subscription)) return;
        for (const cursor of cursors) cursor.removeMember(member);
        member.abort();
        await member.inFlight;
        for (const cursor of cursors) cursor.wake(); // another member of the group takes over
      },
    };
    this.subscriptions.add(subscription);
    return subscription;
  }

  isReady(): boolean {
    return !this.closed;
  }

  retrying(): readonly RetryingConsumer[] {
    return this.status.retrying();
  }

  async redrive(topic: string): Promise<number> {
    this.assertOpen();
    if (isDeadLetterTopic(topic)) throw new RangeError(`redrive takes the original topic, not its dead-letter topic: ${topic}`);
    const dlq = this.logOf(deadLetterTopic(topic));
    const values: unknown[] = [];
    for (let offset = Math.max(this.redriven.get(topic) ?? 0, dlq.startOffset); offset < dlq.endOffset; offset++) {
      values.push(dlq.at(offset)?.value);
    }
    this.redriven.set(topic, dlq.endOffset);
    for (const value of values) this.logOf(topic).append(value);
    if (values.length > 0) this.afterAppend(topic);
    return values.length;
  }

  async close(): Promise<void> {
    this.closed = true;
    await Promise.all([...this.subscriptions].map((subscription) => subscription.stop()));
    this.status.close();
  }

  /**
   * Resolves once every subscribed group has caught up (including retries, backoffs and
   * dead-letter deliveries). For tests; a handler that never settles makes it wait forever.
   */
  async drain(): Promise<void> {
    for (;;) {
      const running = [...this.cursors.values()].map((cursor) => cursor.wake()).filter((loop) => loop !== null);
      if (running.length === 0) return;
      await Promise.all(running);
    }
  }

  private async deliverEntry(cursor: GroupCursor, entry: LogEntry, member: GroupMember): Promise<'next' | 'abandoned'> {
    const context = { topic: cursor.topic, partition: 0, offset: String(entry.offset), ...(entry.deadLetter ? { deadLetter: entry.deadLetter } : {}) };
    const decoded = validateEnvelope(entry.value);
    if (!decoded.ok) {
      this.deadLetter(cursor, entry, decoded.reason, 0);
      return 'next';
    }
    const outcome = await deliverWithRetry({
      envelope: decoded.envelope,
      group: cursor.group,
      context,
      handler: member.handler,
      policy: member.policy,
      logger: this.logger,
      signal: member.signal,
      graceMs: this.graceMs,
      status: this.status,
    });
    if (outcome.kind === 'abandoned') return 'abandoned';
    if (outcome.kind === 'exhausted') this.deadLetter(cursor, entry, outcome.error, outcome.attempts);
    return 'next';
  }

  private deadLetter(cursor: GroupCursor, entry: LogEntry, error: string, attempts: number): void {
    const info: DeadLetterInfo = { group: cursor.group, error, attempts, originalTopic: cursor.topic, originalPartition: 0, originalOffset: String(entry.offset) };
    this.deadLetterList.push({ value: entry.value, info });
    const fields = { ...info, ...envelopeFields(entry.value) };
    if (isDeadLetterTopic(cursor.topic)) {
      // No `.dlq.dlq`: a failing dead-letter consumer is logged and skipped.
      this.logger.error(fields, 'dead-letter handler gave up; message dropped');
      return;
    }
    this.logger.error(fields, 'message dead-lettered');
    this.status.deadLettered(cursor.group, cursor.topic);
    const dlq = deadLetterTopic(cursor.topic);
    this.logOf(dlq).append(entry.value, info);
    this.afterAppend(dlq);
  }

  private afterAppend(topic: string): void {
    this.trim(topic);
    for (const cursor of this.cursorsOf(topic)) {
      this.reportLag(cursor);
      cursor.wake();
    }
  }

  private reportLag(cursor: GroupCursor): void {
    consumerLag.set({ group: cursor.group, topic: cursor.topic, partition: '0' }, this.logOf(cursor.topic).endOffset - cursor.position);
  }

  /** Keeps only what some group still needs (or a bounded backlog while no group exists). */
  private trim(topic: string): void {
    const log = this.logOf(topic);
    const cursors = this.cursorsOf(topic);
    if (cursors.length > 0) {
      log.trimBefore(Math.min(...cursors.map((cursor) => cursor.position)));
    } else if (log.size > this.maxRetained) {
      this.logger.warn({ topic, dropped: log.size - this.maxRetained }, 'no subscriber for topic; dropping the oldest messages');
      log.trimBefore(log.endOffset - this.maxRetained);
    }
  }

  private logOf(topic: string): InProcessTopicLog {
    let log = this.logs.get(topic);
    if (!log) {
      log = new InProcessTopicLog();
      this.logs.set(topic, log);
    }
    return log;
  }

  private cursorOf(group: string, topic: string): GroupCursor {
    const key = `${group}\u0000${topic}`;
    let cursor = this.cursors.get(key);
    if (!cursor) {
      const deliver = (target: GroupCursor, entry: LogEntry, member: GroupMember) => this.deliverEntry(target, entry, member);
      const advanced = () => {
        this.trim(topic);
        if (cursor) this.reportLag(cursor);
      };
      cursor = new GroupCursor(group, topic, this.logOf(topic), deliver, advanced, this.logger);
      this.cursors.set(key, cursor);
    }
    return cursor;
  }

  private cursorsOf(topic: string): GroupCursor[] {
    return [...this.cursors.values()].filter((cursor) => cursor.topic === topic);
  }

  private assertOpen(): void {
    if (this.closed) throw new MessageBusClosedError();
  }
}

/** Log fields of a value that may or may not be an envelope. */
function envelopeFields(value: unknown): Record<string, unknown> {
  if (typeof value !== 'object' || value === null) return {};
  const { id, type, stream, correlationId } = value as Record<string, unknown>;
  return { eventId: id, type, stream, correlationId };
}
