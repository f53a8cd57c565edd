import { deadLetterTopic, messageKey, TOPIC_SETTINGS, type EventEnvelope, type Topic } from '@sluice/contracts';
import { Kafka, Partitioners, type Admin, type Message, type Producer, type RetryOptions as KafkaRetryOptions } from 'kafkajs';
import { encodeEnvelope } from './envelope-codec';
import { MessageBusClosedError } from './errors';
import { envelopeHeaders } from './kafka-headers';
import { KAFKAJS_LOG_LEVELS, kafkaLogCreator, type KafkaLogLevel } from './kafka-logging';
import { fixKafkajsIdleLoop } from './kafkajs-idle-loop';
import { kafkaSecurityConfig, type KafkaSecurityOptions } from './kafka-security';
import { KafkaSubscription, type KafkaConsumerTuning } from './kafka-subscription';
import { ConsumerStatus, type RetryingConsumer } from './consumer-status';
import { redriveDeadLetters } from './kafka-redrive';
import { describeError, silentLogger, type MessagingLogger } from './logger';
import type { MessageBus, Subscription, SubscriptionOptions } from './port';
import { resolveRetryPolicy, type RetryOptions } from './retry-policy';
import { isDeadLetterTopic, TopicNames } from './topic-names';


/** Payload bytes per produce request (the broker refuses batches over message.max.bytes, 1 MB by default). */
const MAX_PRODUCE_BYTES = 512 * 1024;
export interface KafkaMessageBusOptions {
  readonly brokers: readonly string[];
  /** Default `sluice`. */
  readonly clientId?: string;
  /** Prepended to every logical topic name (tests: a random prefix per file). */
  readonly topicPrefix?: string;
  /** Prepended to every consumer group id (so installations sharing a broker never join each other's groups). */
  readonly groupPrefix?: string;
  /** Partitions of topics created by `ensureTopics`; default 3. */
  readonly partitions?: number;
  /** Replication factor of created topics; default: the broker's `default.replication.factor`. */
  readonly replicationFactor?: number;
  readonly logger?: MessagingLogger;
  /** kafkajs's own log level (before the injected logger filters); default `info`. */
  readonly kafkaLogLevel?: KafkaLogLevel;
  /** Handler retry policy; `maxAttempts` per subscription overrides it. */
  readonly retry?: RetryOptions;
  /** How long `stop()`/`close()` lets a running handler finish before abandoning it; default 5000. */
  readonly shutdownGraceMs?: number;
  readonly consumer?: KafkaConsumerTuning;
  /**
   * kafkajs retries for connections, metadata and sends. A publish that still fails
   * rejects; the outbox relay publishes the same batch again (duplicates are fine,
   * consumers deduplicate). Default: 8 retries, 300 ms to 5 s apart.
   */
  readonly clientRetry?: KafkaRetryOptions;
  readonly connectionTimeoutMs?: number;
  readonly requestTimeoutMs?: number;
  /** TLS and SASL; absent: plaintext, unauthenticated. */
  readonly security?: KafkaSecurityOptions;
}

/** A healthy acknowledged send takes milliseconds; one pending this long means the broker is not answering. */
const STALLED_SEND_MS = 5000;

const DEFAULT_CLIENT_RETRY: KafkaRetryOptions = { retries: 8, initialRetryTime: 300, maxRetryTime: 5000 };

/**
 * The distributed transport. One message per envelope: key = `messageKey(stream)` (the
 * stream, or for a config's decisions and outcomes the config's name, so they share one
 * partition and stay in order), value = the envelope's JSON, headers with
 * type/version/correlationId. The producer is idempotent with one request in flight,
 * so retries neither duplicate nor reorder within a partition.
 */
export class KafkaMessageBus implements MessageBus {
  private readonly kafka: Kafka;
  private readonly producer: Producer;
  private readonly admin: Admin;
  private readonly names: TopicNames;
  private readonly logger: MessagingLogger;
  private readonly clientRetry: KafkaRetryOptions;
  private readonly subscriptions = new Set<KafkaSubscription>();
  private readonly ensuredTopics = new Set<string>();
  private connecting: Promise<void> | null = null;
  private producerConnected = false;
  private lastSendFailed = false;
  /** Start times of sends still waiting for the broker (kafkajs retries them silently). */
  private readonly pendingSends = new Set<{ readonly startedAt: number }>();
  private closing: Promise<void> | null = null;
  private readonly status = new ConsumerStatus();
  /** One redrive per topic at a time in this process (two would split the redrive group's partitions). */
  private readonly redrives = new Map<string, Promise<number>>();

  constructor(private readonly options: KafkaMessageBusOptions) {
    if (options.brokers.length === 0) throw new RangeError('KafkaMessageBus needs at least one broker');
    resolveRetryPolicy(options.retry); // fail at construction on a bad policy, not at the first delivery
    this.logger = options.logger ?? silentLogger;
    this.names = new TopicNames(options.topicPrefix);
    this.clientRetry = { ...DEFAULT_CLIENT_RETRY, ...options.clientRetry };
    const idleLoopFix = fixKafkajsIdleLoop();
    if (idleLoopFix.startsWith('not applied')) this.logger.warn({ fix: idleLoopFix }, 'kafkajs idle timer loop left as it is (each connection wakes the event loop every millisecond)');
    this.kafka = new Kafka({
      clientId: options.clientId ?? 'sluice',
      brokers: [...options.brokers],
      retry: this.clientRetry,
      connectionTimeout: options.connectionTimeoutMs,
      requestTimeout: options.requestTimeoutMs,
      logLevel: KAFKAJS_LOG_LEVELS[options.kafkaLogLevel ?? 'info'],
      logCreator: kafkaLogCreator(this.logger),
      ...kafkaSecurityConfig(options.security),
    });
    this.producer = this.kafka.producer({
      idempotent: true,
      maxInFlightRequests: 1,
      // Java-compatible murmur2 partitioning: same key → same partition as any other client.
      createPartitioner: Partitioners.DefaultPartitioner,
      // Bounded on purpose (kafkajs warns about it once): we rely on idempotence for
      // ordering, not for exactly-once, and a publish must eventually report failure.
      retry: this.clientRetry,
    });
    this.producer.on(this.producer.events.CONNECT, () => {
      this.producerConnected = true;
    });
    this.producer.on(this.producer.events.DISCONNECT, () => {
      this.producerConnected = false;
    });
    this.admin = this.kafka.admin({ retry: this.clientRetry });
  }

  async publish(topic: string, envelopes: readonly EventEnvelope[]): Promise<void> {
    this.assertOpen();
    if (envelopes.length === 0) return;
    // The broker does not create topics on first use: a topic nobody has created yet (one no
    // consumer subscribed to, e.g. commit-status's sluice.status.v1) is created here, once.
    await this.ensureTopics([topic]);
    const physical = this.names.physical(topic);
    // One produce request stays well under the broker's message.max.bytes (1 MB by
    // default); chunks go out one after the other, so order is kept.
    let chunk: Message[] = [];
    let bytes = 0;
    for (const envelope of envelopes) {
      const message = { key: messageKey(envelope.stream), value: encodeEnvelope(envelope), headers: envelopeHeaders(envelope) };
      const size = Buffer.byteLength(message.value) + Buffer.byteLength(message.key) + 256;
      if (chunk.length > 0 && bytes + size > MAX_PRODUCE_BYTES) {
        await this.send(physical, chunk);
        chunk = [];
        bytes = 0;
      }
      chunk.push(message);
      bytes += size;
    }
    await this.send(physical, chunk);
  }

  async ensureTopics(topics: readonly string[]): Promise<void> {
    this.assertOpen();
    const logical = new Map(
      topics
        .flatMap((topic) => (isDeadLetterTopic(topic) ? [topic] : [topic, deadLetterTopic(topic)]))
        .map((topic) => [this.names.physical(topic), topic] as const)
        .filter(([physical]) => !this.ensuredTopics.has(physical)),
    );
    const wanted = [...logical.keys()];
    if (wanted.length === 0) return;
    await this.connect();
    // Resolves false (no error) for topics that already exist, so this is safe to repeat
    // (settings are applied at creation only).
    // Leaders are awaited below, not by kafkajs: its wait gives up with "does not host this
    // topic-partition" when another client is creating the same topics at that moment.
    await this.admin.createTopics({
      waitForLeaders: false,
      topics: wanted.map((topic) => ({
        topic,
        numPartitions: this.options.partitions ?? 3,
        replicationFactor: this.options.replicationFactor ?? -1,
        configEntries: Object.entries(TOPIC_SETTINGS[logical.get(topic) as Topic] ?? {}).map(([name, value]) => ({ name, value })),
      })),
    });
    // A topic another client created a moment ago makes createTopics return at once, before
    // its partitions have leaders; a metadata request then fails ("does not host this
    // topic-partition"). Wait until every partition has a leader.
    await this.waitForLeaders(wanted);
    for (const topic of wanted) this.ensuredTopics.add(topic);
  }

  private async waitForLeaders(topics: string[]): Promise<void> {
    const deadline = Date.now() + 60_000;
    for (let attempt = 1; ; attempt++) {
      try {
        const { topics: found } = await this.admin.fetchTopicMetadata({ topics });
        if (found.length === topics.length && found.every((t) => t.partitions.length > 0 && t.partitions.every((p) => p.leader >= 0))) return;
      } catch (error) {
        if (Date.now() >= deadline) throw error;
      }
      if (Date.now() >= deadline) throw new Error(`topics without partition leaders after 60 s: ${topics.join(', ')}`);
      await new Promise((r) => setTimeout(r, Math.min(1000, 50 * 2 ** attempt) * (0.5 + Math.random() / 2)));
    }
  }

  async subscribe(options: SubscriptionOptions): Promise<Subscription> {
    this.assertOpen();
    // Subscribing to a missing topic fails in kafkajs, and dead-lettering needs `.dlq`.
    await this.ensureTopics(options.topics);
    const group = `${this.options.groupPrefix ?? ''}${options.group}`;
    const subscription = new KafkaSubscription({ ...options, group }, {
      kafka: this.kafka,
      names: this.names,
      logger: this.logger,
      tuning: this.options.consumer ?? {},
      clientRetry: this.clientRetry,
      policy: resolveRetryPolicy(this.options.retry, options.maxAttempts),
      graceMs: this.options.shutdownGraceMs ?? 5000,
      status: this.status,
      send: (physicalTopic, message) => this.send(physicalTopic, [message]),
    });
    await subscription.start();
    this.subscriptions.add(subscription);
    const stop = async () => {
      this.subscriptions.delete(subscription);
      await subscription.stop();
    };
    return { stop };
  }

  /**
   * Producer connected, its last send succeeded and none is stuck in kafkajs's retries,
   * and every subscription is in its group and hearing from the broker.
   */
  isReady(): boolean {
    if (this.closing || !this.producerConnected || this.lastSendFailed) return false;
    const stalledSince = Date.now() - STALLED_SEND_MS;
    if ([...this.pendingSends].some((send) => send.startedAt < stalledSince)) return false;
    return [...this.subscriptions].every((subscription) => subscription.ready);
  }

  retrying(): readonly RetryingConsumer[] {
    return this.status.retrying();
  }

  redrive(topic: string): Promise<number> {
    if (this.closing) return Promise.reject(new MessageBusClosedError());
    if (isDeadLetterTopic(topic)) return Promise.reject(new RangeError(`redrive takes the original topic, not its dead-letter topic: ${topic}`));
    let running = this.redrives.get(topic);
    if (!running) {
      running = this.ensureTopics([topic])
        .then(() =>
          redriveDeadLetters(topic, {
            kafka: this.kafka,
            admin: this.admin,
            names: this.names,
            logger: this.logger,
            groupId: `${this.options.groupPrefix ?? ''}sluice.redrive.${topic}`,
            send: (physicalTopic, messages) => this.send(physicalTopic, messages),
            timeoutMs: 120_000,
          }),
        )
        .finally(() => this.redrives.delete(topic));
      this.redrives.set(topic, running);
    }
    return running;
  }

  close(): Promise<void> {
    this.closing ??= this.shutdown();
    return this.closing;
  }

  private async shutdown(): Promise<void> {
    await Promise.all([...this.subscriptions].map((subscription) => subscription.stop()));
    this.subscriptions.clear();
    await Promise.allSettled([...this.redrives.values()]);
    this.status.close();
    const results = await Promise.allSettled([this.producer.disconnect(), this.admin.disconnect()]);
    for (const result of results) {
      if (result.status === 'rejected') this.logger.warn({ err: describeError(result.reason) }, 'kafka client did not disconnect cleanly');
    }
  }

  /** Also used for dead letters, which must still go out while subscriptions stop during close(). */
  private async send(physicalTopic: string, messages: Message[]): Promise<void> {
    await this.connect();
    const pending = { startedAt: Date.now() };
    this.pendingSends.add(pending);
    try {
      await this.producer.send({ topic: physicalTopic, acks: -1, messages });
      this.lastSendFailed = false;
    } catch (error) {
      this.lastSendFailed = true;
      throw error;
    } finally {
      this.pendingSends.delete(pending);
    }
  }

  /** Connects producer and admin once; a failed attempt is retried by the next caller. */
  private connect(): Promise<void> {
    this.connecting ??= Promise.all([this.producer.connect(), this.admin.connect()]).then(
      () => undefined,
      (error: unknown) => {
        this.connecting = null;
        throw error;
      },
    );
    return this.connecting;
  }

  private assertOpen(): void {
    if (this.closing) throw new MessageBusClosedError();
  }
}
