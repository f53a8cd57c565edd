import type { EventEnvelope } from '@sluice/contracts';
import type { RetryingConsumer } from './consumer-status';

/**
 * The messaging port. Two adapters implement it with the same semantics: Kafka
 * (distributed mode) and in-process (all-in-one mode). Delivery is at-least-once and
 * ordered per key (`messageKey` of the envelope's `stream`: a config's decisions and outcomes share its name); consumers deduplicate through the inbox.
 * Topic names are the logical ones from `@sluice/contracts` (`sluice.scm.v1`, ...);
 * an adapter may map them to physical names (a test prefix) but never shows those.
 */
export interface MessagePublisher {
  /** Publishes envelopes in the given order; resolves once the broker acknowledged all of them. */
  publish(topic: string, envelopes: readonly EventEnvelope[]): Promise<void>;
}

/** Why and where a message was dead-lettered; set when consuming a `<topic>.dlq` topic. */
export interface DeadLetterInfo {
  /** Consumer group whose handler gave up on the message. */
  readonly group: string;
  /** The last handler error, or why the message could not be decoded. */
  readonly error: string;
  /** Handler attempts made; 0 when the message was not a valid envelope. */
  readonly attempts: number;
  /** Logical topic the message was consumed from. */
  readonly originalTopic: string;
  readonly originalPartition: number;
  readonly originalOffset: string;
}

export interface DeliveryContext {
  /** Logical topic name. */
  readonly topic: string;
  readonly partition: number;
  readonly offset: string;
  /** 1 on first delivery of this message to this handler in this process. */
  readonly attempt: number;
  /** Present only on messages read from a dead-letter topic. */
  readonly deadLetter?: DeadLetterInfo;
}

/**
 * Handles one envelope. Resolve only after the effects (and the inbox row) committed. A
 * rejection is classified (`classifyFailure`): transient failures (connection refused,
 * timeouts, 5xx, 429, serialization failures) are retried with backoff for as long as they
 * last, the partition waiting (per-key order); permanent ones (`PermanentDeliveryError`,
 * validation, other 4xx) go to `<topic>.dlq` at once; unclassified ones after `maxAttempts`.
 */
export type MessageHandler = (envelope: EventEnvelope, context: DeliveryContext) => Promise<void>;

export interface SubscriptionOptions {
  /**
   * Consumer group; one per consuming service (e.g. `autodeploy`). A group that has
   * never committed starts from the oldest retained message, so nothing published
   * before the first subscribe is missed.
   */
  readonly group: string;
  readonly topics: readonly string[];
  readonly handler: MessageHandler;
  /**
   * Attempts before dead-lettering a message whose failure is not classified (transient
   * failures are retried without limit); default 5 (or the bus's `retry.maxAttempts`).
   */
  readonly maxAttempts?: number;
}

export interface Subscription {
  /**
   * Stops consuming. An in-flight handler gets the bus's shutdown grace period to
   * finish (and be committed); after that it is abandoned and its message will be
   * redelivered to the group.
   */
  stop(): Promise<void>;
}

export interface MessageBus extends MessagePublisher {
  /** Creates topics (and their `.dlq`) if missing. Idempotent. */
  ensureTopics(topics: readonly string[]): Promise<void>;
  /**
   * Resolves once consuming has started (Kafka: after the first attempt to join the group;
   * a failed join is retried in the background and shows in `isReady()`).
   */
  subscribe(options: SubscriptionOptions): Promise<Subscription>;
  /** True while the bus can publish and consume. */
  isReady(): boolean;
  /** Consumer groups failing now (or a moment ago), for readiness and operators. */
  retrying(): readonly RetryingConsumer[];
  /**
   * Publishes the messages of `<topic>.dlq` not redriven before back to `<topic>` (consumers'
   * inboxes skip what they had applied); resolves how many. Only what was dead-lettered
   * before the call is redriven.
   */
  redrive(topic: string): Promise<number>;
  /** Stops every subscription, then disconnects. Idempotent. */
  close(): Promise<void>;
}

export const MESSAGE_BUS = Symbol('MESSAGE_BUS');
