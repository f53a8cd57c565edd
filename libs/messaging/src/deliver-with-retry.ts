import type { EventEnvelope } from '@sluice/contracts';
import type { ConsumerStatus } from './consumer-status';
import { classifyFailure } from './failure-class';
import { describeError, type MessagingLogger } from './logger';
import { messageHandleDuration } from './metrics';
import type { DeliveryContext, MessageHandler } from './port';
import { backoffDelayMs, type RetryPolicy } from './retry-policy';

export type DeliveryOutcome =
  | { readonly kind: 'handled'; readonly attempts: number }
  /** A permanent failure, or `maxAttempts` unclassified ones: the caller dead-letters the message and moves on. */
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
  /**
   * Runs before each retry (Kafka: heartbeat, so a long backoff does not cost the group
   * membership); false abandons the message (the partition was taken away by a rebalance).
   */
  readonly beforeRetry?: () => Promise<boolean>;
  /** Told about failures and recoveries, for `/metrics` and `/readyz`. */
  readonly status?: ConsumerStatus;
}

/**
 * The retry loop both adapters share, so that failures mean the same thing in both modes
 * (see `classifyFailure`): a transient failure (an outage of the database, the SCM or the
 * API server) is retried without limit, with capped exponential backoff and jitter, while
 * the caller keeps the partition where it is (per-key order, nothing committed past it); a
 * permanent one is dead-lettered at once; an unclassified one after `maxAttempts`. Handler
 * errors are caught here and never escape.
 */
export async function deliverWithRetry(request: DeliveryRequest): Promise<DeliveryOutcome> {
  const timer = messageHandleDuration.startTimer({ topic: request.context.topic, group: request.group });
  let failedBefore = false;
  const onFailure = () => {
    failedBefore = true;
  };
  try {
    const outcome = await attemptDelivery(request, onFailure);
    timer({ outcome: outcome.kind });
    return outcome;
  } finally {
    if (failedBefore) request.status?.recovered(request.group, request.context.topic);
  }
}

async function attemptDelivery(request: DeliveryRequest, onFailure: () => void): Promise<DeliveryOutcome> {
  const { envelope, context, handler, policy, logger, signal, status, group } = request;
  const fields = { eventId: envelope.id, type: envelope.type, stream: envelope.stream, correlationId: envelope.correlationId, topic: context.topic, partition: context.partition, offset: context.offset };
  let unclassified = 0;
  for (let attempt = 1; ; attempt++) {
    if (signal.aborted) return { kind: 'abandoned', attempts: attempt - 1 };
    try {
      // `then` turns a synchronous throw into a rejection like any other failure.
      const handled = Promise.resolve().then(() => handler(envelope, { ...context, attempt }));
      if ((await finishWithinGrace(handled, signal, request.graceMs)) === 'abandoned') {
        logger.warn({ ...fields, attempt }, 'handler still running at shutdown; message left uncommitted for redelivery');
        return { kind: 'abandoned', attempts: attempt };
      }
      if (attempt > 1) logger.info({ ...fields, attempt }, 'message handled after retries');
      return { kind: 'handled', attempts: attempt };
    } catch (error) {
      const failureClass = classifyFailure(error);
      const described = describeError(error);
      status?.failed(group, context.topic, error instanceof Error ? error : { name: typeof error }, failureClass, attempt === 1);
      onFailure();
      if (failureClass === 'unknown') unclassified++;
      const exhausted = failureClass === 'permanent' || unclassified >= policy.maxAttempts;
      // A long outage logs every attempt at first, then every tenth, so the log stays readable.
      if (exhausted || attempt <= policy.maxAttempts || attempt % 10 === 0) {
        logger.warn({ ...fields, attempt, failureClass, maxAttempts: policy.maxAttempts, err: described }, 'message handler failed');
      }
      if (exhausted) return { kind: 'exhausted', attempts: attempt, error: described };
    }
    if (!(await sleep(backoffDelayMs(attempt, policy), signal))) return { kind: 'abandoned', attempts: attempt };
    if (request.beforeRetry && !(await request.beforeRetry())) return { kind: 'abandoned', attempts: attempt };
  }
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
