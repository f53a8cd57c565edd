import type { EventEnvelope } from '@sluice/contracts';
import { isPermanentDeliveryError } from './errors';
import { describeError, type MessagingLogger } from './logger';
import { messageHandleDuration } from './metrics';
import type { DeliveryContext, MessageHandler } from './port';
import { backoffDelayMs, type RetryPolicy } from './retry-policy';

export type DeliveryOutcome =
  | { readonly kind: 'handled'; readonly attempts: number }
  /** Every attempt failed: the caller dead-letters the message and moves on. */
  | { readonly kind: 'exhausted'; readonly attempts: number; readonly error: string }
  /** The subscription stopped first: the message must not be committed, so it is redelivered. */
  | { readonly kind: 'abandoned'; readonly attempts: number };

export interface DeliveryRequest {
  readonly envelope: EventEnvelope;
  /** The consumer group delivering (for the handling metric). */
  readonly group: string;
  readonly context: Omit<DeliveryContext, 'attempt'>;
  readonly handler: MessageHandler;
  readonly policy: RetryPolicy;
  readonly logger: MessagingLogger;
  /** Aborted when the subscription stops. */
  readonly signal: AbortSignal;
  /** How long a handler already running when `signal` aborts may still finish. */
  readonly graceMs: number;
  /** Runs before each retry (Kafka: heartbeat, so a long backoff does not cost the group membership). */
  readonly beforeRetry?: () => Promise<void>;
}

/**
 * The retry loop both adapters share, so that "retry with backoff, then dead-letter" means
 * the same thing in both modes. Handler errors are caught here and never escape.
 */
export async function deliverWithRetry(request: DeliveryRequest): Promise<DeliveryOutcome> {
  const timer = messageHandleDuration.startTimer({ topic: request.context.topic, group: request.group });
  const outcome = await attemptDelivery(request);
  timer({ outcome: outcome.kind });
  return outcome;
}

async function attemptDelivery(request: DeliveryRequest): Promise<DeliveryOutcome> {
  const { envelope, context, handler, policy, logger, signal } = request;
  const fields = { eventId: envelope.id, type: envelope.type, stream: envelope.stream, correlationId: envelope.correlationId, topic: context.topic, partition: context.partition, offset: context.offset };
  let lastError = '';
  for (let attempt = 1; attempt <= policy.maxAttempts; attempt++) {
    if (signal.aborted) return { kind: 'abandoned', attempts: attempt - 1 };
    try {
      // `then` turns a synchronous throw into a rejection like any other failure.
      const handled = Promise.resolve().then(() => handler(envelope, { ...context, attempt }));
      if ((await finishWithinGrace(handled, signal, request.graceMs)) === 'abandoned') {
        logger.warn({ ...fields, attempt }, 'handler still running at shutdown; message left uncommitted for redelivery');
        return { kind: 'abandoned', attempts: attempt };
      }
      return { kind: 'handled', attempts: attempt };
    } catch (error) {
      lastError = describeError(error);
      logger.warn({ ...fields, attempt, maxAttempts: policy.maxAttempts, err: lastError }, 'message handler failed');
      if (isPermanentDeliveryError(error)) return { kind: 'exhausted', attempts: attempt, error: lastError };
    }
    if (attempt < policy.maxAttempts) {
      if (!(await sleep(backoffDelayMs(attempt, policy), signal))) return { kind: 'abandoned', attempts: attempt };
      await request.beforeRetry?.();
    }
  }
  return { kind: 'exhausted', attempts: policy.maxAttempts, error: lastError };
}

/** Resolves 'done' when the handler does, or 'abandoned' once `graceMs` passed after `signal` aborted. */
function finishWithinGrace(handled: Promise<void>, signal: AbortSignal, graceMs: number): Promise<'done' | 'abandoned'> {
  return new Promise((resolve, reject) => {
    let timer: NodeJS.Timeout | undefined;
    const onAbort = () => {
      timer = setTimeout(() => resolve('abandoned'), graceMs);
    };
    if (signal.aborted) onAbort();
    else signal.addEventListener('abort', onAbort, { once: true });
    handled.then(
      () => resolve('done'),
      (error: unknown) => reject(error),
    ).finally(() => {
      signal.removeEventListener('abort', onAbort);
      clearTimeout(timer);
    });
  });
}

/** Waits `ms`; resolves false early if `signal` aborts. */
export function sleep(ms: number, signal?: AbortSignal): Promise<boolean> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve(false);
    const onAbort = () => {
      clearTimeout(timer);
      resolve(false);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve(true);
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
