import { deadLetterTopic, type EventEnvelope } from '@sluice/contracts';
import type { Consumer, EachBatchPayload, Kafka, KafkaMessage, Message, RetryOptions as KafkaRetryOptions } from 'kafkajs';
import pLimit, { type LimitFunction } from 'p-limit';
import { deliverWithRetry } from './deliver-with-retry';
import { decodeEnvelope } from './envelope-codec';
import { deadLetterHeaders, readDeadLetterHeaders } from './kafka-headers';
import { describeError, type MessagingLogger } from './logger';
import type { DeadLetterInfo, Subscription, SubscriptionOptions } from './port';
import { backoffDelayMs, type RetryPolicy } from './retry-policy';
import { isDeadLetterTopic, type TopicNames } from './topic-names';
import { messageWaitDuration } from './metrics';
import { consumerLag, type ConsumerStatus } from './consumer-status';

/** Consumer settings worth tuning (tests want them small; kafkajs defaults otherwise). */
export interface KafkaConsumerTuning {
  readonly sessionTimeoutMs?: number;
  readonly heartbeatIntervalMs?: number;
  readonly rebalanceTimeoutMs?: number;
  readonly maxWaitTimeMs?: number;
  /** Partitions fetched and handled in parallel by one subscription. Default 3. */
  readonly partitionsConsumedConcurrently?: number;
  /**
   * Handlers running at once in one subscription, across its partitions. Messages of one key
   * (stream) are always handled one after another, in offset order; messages of different keys
   * run in parallel up to this bound. Keep it below the database pool size (each handler holds
   * a connection for its transaction). Default 8.
   */
  readonly maxInFlight?: number;
}

export interface KafkaSubscriptionDeps {
  readonly kafka: Kafka;
  readonly names: TopicNames;
  readonly logger: MessagingLogger;
  readonly tuning: KafkaConsumerTuning;
  readonly clientRetry: KafkaRetryOptions;
  readonly policy: RetryPolicy;
  readonly graceMs: number;
  readonly status: ConsumerStatus;
  /** Publishes to a physical topic through the bus's producer. */
  readonly send: (physicalTopic: string, message: Message) => Promise<void>;
}

/** Backoff between rebuilds of a consumer that kafkajs gave up on. */
const REBUILD_POLICY: RetryPolicy = { maxAttempts: Number.MAX_SAFE_INTEGER, baseDelayMs: 1000, maxDelayMs: 30_000 };

/**
 * One subscription = one kafkajs consumer in the subscription's group. A fetched batch of a
 * partition is split by message key: each key's messages are handled in order, different
 * keys in parallel (bounded by `maxInFlight`), as the port promises order per key only. The
 * offset committed is the end of the longest prefix of the batch whose handlers all resolved
 * (or whose messages were dead-lettered), so a crash or a stop never loses a message; the
 * handlers past it run again on redelivery (the inbox makes that harmless). The consumer is
 * supervised: kafkajs restarts it after retriable crashes; after a non-retriable one
 * (`restart: false`) a fresh consumer is built, with backoff, until `stop()`.
 */
export class KafkaSubscription implements Subscription {
  private consumer: Consumer | null = null;
  private joined = false;
  /** Last fetch response or heartbeat: proof the broker still answers this member. */
  private lastContactAt = 0;
  private stopping: Promise<void> | null = null;
  private rebuildTimer: NodeJS.Timeout | null = null;
  private rebuilds = 0;
  private readonly controller = new AbortController();
  /** Messages being handled right now, awaited by stop() before disconnecting. */
  private readonly inFlight = new Set<Promise<void>>();
  private readonly limit: LimitFunction;

  constructor(
    private readonly options: SubscriptionOptions,
    private readonly deps: KafkaSubscriptionDeps,
  ) {
    this.limit = pLimit(deps.tuning.maxInFlight ?? 8);
  }

  /**
   * True while the consumer is a member of its group and the broker answered it within a
   * session timeout (kafkajs only notices a vanished broker after its retries, much later).
   */
  get ready(): boolean {
    const sessionTimeoutMs = this.deps.tuning.sessionTimeoutMs ?? 30_000;
    return this.joined && !this.stopping && Date.now() - this.lastContactAt < sessionTimeoutMs;
  }

  /** Resolves after the first attempt to join the group; a failed join is retried in the background. */
  async start(): Promise<void> {
    await this.runConsumer();
  }

  stop(): Promise<void> {
    this.stopping ??= this.shutdown();
    return this.stopping;
  }

  private async shutdown(): Promise<void> {
    if (this.rebuildTimer) clearTimeout(this.rebuildTimer);
    const consumer = this.consumer;
    // Order matters: kafkajs silently skips commits once its runner is stopping, so the
    // consumer stays connected until in-flight handlers have finished (within the grace
    // period) and committed. Pausing stops new fetches; the abort ends retry waits and makes
    // any further message of the current batch return uncommitted at once.
    this.pauseAll(consumer);
    this.controller.abort();
    await Promise.allSettled([...this.inFlight]);
    try {
      await consumer?.disconnect();
    } catch (error) {
      this.deps.logger.warn({ group: this.options.group, err: describeError(error) }, 'consumer did not disconnect cleanly');
    }
    this.joined = false;
  }

  private pauseAll(consumer: Consumer | null): void {
    try {
      consumer?.pause(this.options.topics.map((topic) => ({ topic: this.deps.names.physical(topic) })));
    } catch {
      // Not running (never joined, or crashed and waiting to restart): nothing to pause.
    }
  }

  private async runConsumer(): Promise<void> {
    const { kafka, names, tuning, clientRetry } = this.deps;
    const consumer = kafka.consumer({
      groupId: this.options.group,
      sessionTimeout: tuning.sessionTimeoutMs,
      heartbeatInterval: tuning.heartbeatIntervalMs,
      rebalanceTimeout: tuning.rebalanceTimeoutMs,
      maxWaitTimeInMs: tuning.maxWaitTimeMs,
      // Restart after any retriable crash (a broker that went away); see watch() for the rest.
      // Never after stop(): kafkajs schedules a restart even for a crash that races a disconnect.
      retry: { ...clientRetry, restartOnFailure: async () => !this.stopping },
    });
    this.consumer = consumer;
    this.watch(consumer);
    try {
      await consumer.connect();
      // A group that never committed starts at the oldest message, so nothing published
      // before the first subscribe is missed.
      await consumer.subscribe({ topics: this.options.topics.map((topic) => names.physical(topic)), fromBeginning: true });
      // Resolves once the group was joined (or the join failed and kafkajs scheduled a restart).
      await consumer.run({
        autoCommit: false,
        eachBatchAutoResolve: false,
        partitionsConsumedConcurrently: tuning.partitionsConsumedConcurrently ?? 3,
        eachBatch: (payload) => this.track(this.onBatch(consumer, payload)),
      });
    } catch (error) {
      await consumer.disconnect().catch(() => undefined);
      throw error;
    }
  }

  private watch(consumer: Consumer): void {
    const { events } = consumer;
    const contact = () => {
      this.lastContactAt = Date.now();
    };
    consumer.on(events.GROUP_JOIN, () => {
      this.joined = true;
      this.rebuilds = 0;
      contact();
    });
    consumer.on(events.FETCH, contact);
    consumer.on(events.HEARTBEAT, contact);
    consumer.on(events.STOP, () => {
      this.joined = false;
    });
    consumer.on(events.DISCONNECT, () => {
      this.joined = false;
    });
    consumer.on(events.CRASH, ({ payload }) => {
      this.joined = false;
      // kafkajs has already disconnected this consumer; with restart=true it restarts it itself.
      if (!payload.restart && consumer === this.consumer) this.scheduleRebuild(describeError(payload.error));
    });
  }

  private scheduleRebuild(reason: string): void {
    if (this.stopping) return;
    const delayMs = Math.round(backoffDelayMs(++this.rebuilds, REBUILD_POLICY));
    this.deps.logger.error({ group: this.options.group, err: reason, delayMs }, 'kafka consumer crashed and will not restart itself; rebuilding it');
    this.rebuildTimer = setTimeout(() => {
      this.rebuildTimer = null;
      if (this.stopping) return;
      this.runConsumer().catch((error: unknown) => this.scheduleRebuild(describeError(error)));
    }, delayMs);
  }

  private async track(handling: Promise<void>): Promise<void> {
    this.inFlight.add(handling);
    try {
      await handling;
    } finally {
      this.inFlight.delete(handling);
    }
  }

  private async onBatch(consumer: Consumer, { batch, resolveOffset, heartbeat, isRunning, isStale }: EachBatchPayload): Promise<void> {
    const { topic, partition } = batch;
    const byKey = new Map<string, KafkaMessage[]>();
    for (const message of batch.messages) {
      const key = message.key?.toString('latin1') ?? '';
      const messages = byKey.get(key);
      if (messages) messages.push(message);
      else byKey.set(key, [message]);
    }
    const done = new Set<string>();
    const stopped = () => !isRunning() || isStale() || this.controller.signal.aborted;
    const lagLabels = { group: this.options.group, topic: this.deps.names.logical(topic), partition: String(partition) };
    const first = batch.messages[0]?.offset;
    if (first !== undefined) consumerLag.set(lagLabels, Number(BigInt(batch.highWatermark) - BigInt(first)));
    // A message retried through an outage keeps this batch (so the partition: kafkajs fetches
    // it again only once the batch returns) where it is; the heartbeat keeps the membership,
    // and a rebalance ends the wait (the new owner gets the message again).
    const keepRetrying = async () => {
      try {
        await heartbeat();
      } catch {
        return false;
      }
      return !stopped();
    };
    await Promise.all(
      [...byKey.values()].map(async (messages) => {
        for (const message of messages) {
          // A message left unhandled stops its key (order) and, below, the committed prefix.
          if (stopped() || !(await this.limit(() => this.onMessage(topic, partition, message, keepRetrying)))) return;
          done.add(message.offset);
          await heartbeat().catch(() => undefined); // throttled by kafkajs; a rebalance shows in isStale()/the commit
        }
      }),
    );
    let last: string | undefined;
    for (const message of batch.messages) {
      if (!done.has(message.offset)) break;
      last = message.offset;
    }
    if (last === undefined) return;
    // kafkajs fetches the partition again from the last resolved offset: what was not handled comes back.
    resolveOffset(last);
    await commitAfter(consumer, topic, partition, last);
    consumerLag.set(lagLabels, Math.max(0, Number(BigInt(batch.highWatermark) - BigInt(last) - 1n)));
    await heartbeat().catch(() => undefined); // a rebalance in progress: the next fetch finds out
  }

  /** Handles one message; false when it was left unhandled (stopping), so it must not be committed. */
  private async onMessage(topic: string, partition: number, message: KafkaMessage, keepRetrying: () => Promise<boolean>): Promise<boolean> {
    if (this.controller.signal.aborted) return false;
    const logicalTopic = this.deps.names.logical(topic);
    const decoded = decodeEnvelope(message.value);
    if (!decoded.ok) {
      await this.deadLetter(logicalTopic, partition, message, decoded.reason, 0, undefined);
      return true;
    }
    const deadLetter = readDeadLetterHeaders(message.headers);
    messageWaitDuration.observe({ topic: logicalTopic, group: this.options.group }, Math.max(0, Date.now() - Number(message.timestamp)) / 1000);
    const outcome = await deliverWithRetry({
      envelope: decoded.envelope,
      group: this.options.group,
      context: { topic: logicalTopic, partition, offset: message.offset, ...(deadLetter ? { deadLetter } : {}) },
      handler: this.options.handler,
      policy: this.deps.policy,
      logger: this.deps.logger,
      signal: this.controller.signal,
      graceMs: this.deps.graceMs,
      beforeRetry: keepRetrying,
      status: this.deps.status,
    });
    // Not committed: whoever owns the partition next gets the message again.
    if (outcome.kind === 'abandoned') return false;
    if (outcome.kind === 'exhausted') await this.deadLetter(logicalTopic, partition, message, outcome.error, outcome.attempts, decoded.envelope);
    return true;
  }

  private async deadLetter(logicalTopic: string, partition: number, message: KafkaMessage, error: string, attempts: number, envelope: EventEnvelope | undefined): Promise<void> {
    const info: DeadLetterInfo = { group: this.options.group, error, attempts, originalTopic: logicalTopic, originalPartition: partition, originalOffset: message.offset };
    const fields = envelope
      ? { ...info, eventId: envelope.id, type: envelope.type, stream: envelope.stream, correlationId: envelope.correlationId }
      : { ...info, key: message.key?.toString('utf8') };
    if (isDeadLetterTopic(logicalTopic)) {
      // No `.dlq.dlq`: a failing dead-letter consumer is logged and skipped.
      this.deps.logger.error(fields, 'dead-letter handler gave up; message dropped');
      return;
    }
    this.deps.logger.error(fields, 'message dead-lettered');
    this.deps.status.deadLettered(this.options.group, logicalTopic);
    // A failed send throws, so the offset is not committed and the message comes back.
    await this.deps.send(this.deps.names.physical(deadLetterTopic(logicalTopic)), {
      key: message.key,
      value: message.value,
      headers: { ...message.headers, ...deadLetterHeaders(info) },
    });
  }
}

/** Commits "next to read" = offset + 1, the Kafka convention. */
function commitAfter(consumer: Consumer, topic: string, partition: number, offset: string): Promise<void> {
  return consumer.commitOffsets([{ topic, partition, offset: (BigInt(offset) + 1n).toString() }]);
}
