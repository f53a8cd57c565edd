import type { EventEnvelope } from '@sluice/contracts';

/**
 * The messaging port. Two adapters implement it with the same semantics: Kafka
 * (distributed mode) and in-process (all-in-one mode). Delivery is at-least-once and
 * ordered per key (the envelope's `stream`); consumers deduplicate through the inbox.
 */
export interface MessagePublisher {
  /** Publishes envelopes in the given order; resolves once the broker acknowledged all of them. */
  publish(topic: string, envelopes: readonly EventEnvelope[]): Promise<void>;
}

export interface DeliveryContext {
  readonly topic: string;
  readonly partition: number;
  readonly offset: string;
  /** 1 on first delivery of this message to this handler in this process. */
  readonly attempt: number;
}

/**
 * Handles one envelope. Resolve only after the effects (and the inbox row) committed;
 * a rejection is retried with backoff up to `maxAttempts`, then the message goes to
 * `<topic>.dlq` and the partition moves on.
 */
export type MessageHandler = (envelope: EventEnvelope, context: DeliveryContext) => Promise<void>;

export interface SubscriptionOptions {
  /** Consumer group; one per consuming service (e.g. `autodeploy`). */
  readonly group: string;
  readonly topics: readonly string[];
  readonly handler: MessageHandler;
  /** Attempts before dead-lettering; default 5. */
  readonly maxAttempts?: number;
}

export interface Subscription {
  stop(): Promise<void>;
}

export interface MessageBus extends MessagePublisher {
  /** Creates topics (and their `.dlq`) if missing. Idempotent. */
  ensureTopics(topics: readonly string[]): Promise<void>;
  subscribe(options: SubscriptionOptions): Promise<Subscription>;
  /** True while the bus can publish and consume. */
  isReady(): boolean;
  close(): Promise<void>;
}

export const MESSAGE_BUS = Symbol('MESSAGE_BUS');
