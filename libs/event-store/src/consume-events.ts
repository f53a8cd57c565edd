import { EventParseError, parseEvent, type EventType, type SluiceEvent } from '@sluice/contracts';
import { PermanentDeliveryError, type MessageBus, type Subscription } from '@sluice/messaging';
import { runWithCorrelation } from '@sluice/platform';
import type { EntityManager } from 'typeorm';
import type { Inbox } from './inbox';

export interface ConsumeEventsOptions<P = undefined> {
  /** Consumer group and inbox consumer name, e.g. `autodeploy`. */
  consumer: string;
  topics: readonly string[];
  /** Only these types reach `handle`; others are acknowledged and skipped. Default: all. */
  types?: readonly EventType[];
  /**
   * Applies one event. Runs inside the transaction that records the event id in the
   * inbox: append resulting events with `store.append(..., { manager })` to publish them
   * through the outbox. A redelivered event is skipped.
   */
  handle: (event: SluiceEvent, manager: EntityManager, prepared: P) => Promise<void>;
  /**
   * Optional I/O before the transaction (e.g. reading from the SCM API), so no
   * transaction stays open during slow calls; its result is passed to `handle`. It may
   * run again for a redelivered event, so it must only read.
   */
  prepare?: (event: SluiceEvent) => Promise<P>;
  /**
   * Optional writes to a system outside the database (e.g. the Kubernetes API server), after
   * `prepare` and before the inbox transaction, so that no transaction stays open across them
   * (an open transaction holds back every outbox relay on the server). Skipped for an event the
   * inbox already holds. An event redelivered after a crash between these writes and the inbox
   * commit runs them again: they must be idempotent. What it returns is passed to `handle`.
   */
  external?: (event: SluiceEvent, prepared: P) => Promise<P>;
  /**
   * Optional work once the inbox transaction committed (not for an event seen before). A crash
   * or failure before it ran is not redelivered to it (the inbox has the event): the consumer
   * must be able to finish that work from its committed state (e.g. a pending marker swept later).
   */
  afterCommit?: (event: SluiceEvent, prepared: P) => Promise<void>;
  maxAttempts?: number;
}

/**
 * The idempotent consumer of docs/architecture.md §3: parse and upcast, skip ids seen before,
 * apply effects and the inbox row in one transaction, within the event's correlation.
 * A message that is not a valid Sluice event is dead-lettered without retries.
 */
export function consumeEvents<P = undefined>(bus: MessageBus, inbox: Inbox, options: ConsumeEventsOptions<P>): Promise<Subscription> {
  const wanted = options.types ? new Set<string>(options.types) : null;
  return bus.subscribe({
    group: options.consumer,
    topics: options.topics,
    maxAttempts: options.maxAttempts,
    handler: async (envelope) => {
      if (wanted && !wanted.has(envelope.type)) return;
      let event: SluiceEvent;
      try {
        event = parseEvent(envelope);
      } catch (error) {
        if (error instanceof EventParseError) {
          const fields = error.issues.map((i) => `${i.path}: ${i.message}`).join('; ');
          throw new PermanentDeliveryError(`${error.message}${fields ? ` (${fields})` : ''}`, { cause: error });
        }
        throw error;
      }
      await runWithCorrelation(
        { correlationId: event.correlationId, eventId: event.id, stream: event.stream, type: event.type },
        async () => {
          if (options.external && (await inbox.seen(options.consumer, event.id))) return;
          let prepared = (options.prepare ? await options.prepare(event) : undefined) as P;
          if (options.external) prepared = await options.external(event, prepared);
          const handled = await inbox.handleOnce(options.consumer, event.id, (manager) => options.handle(event, manager, prepared));
          if (handled && options.afterCommit) await options.afterCommit(event, prepared);
        },
      );
    },
  });
}
