import { KubeError, toKubeError } from './errors';
import { noopLogger, type KubeLogger } from './types';

/*
 * Exponential backoff with full jitter (delay = random(0, min(max, initial * factor^n))),
 * honouring the server's Retry-After. Written here rather than taken from a retry package
 * because the server's Retry-After must win over the computed delay, which p-retry and
 * exponential-backoff do not support.
 */

export interface BackoffOptions {
  /** First delay ceiling, ms. Default 200. */
  initialDelayMs?: number;
  /** Delay ceiling, ms. Default 30 000. */
  maxDelayMs?: number;
  /** Default 2. */
  factor?: number;
  /** Injectable for tests. Default Math.random. */
  random?: () => number;
}

export interface RetryOptions extends BackoffOptions {
  /** Total attempts including the first. Default 6. */
  maxAttempts?: number;
  /** Which errors to retry. Default: KubeError.retryable (409 stale, 429, 5xx, network). */
  isRetryable?: (err: KubeError) => boolean;
  signal?: AbortSignal;
  logger?: KubeLogger;
  /** Names the operation in logs. */
  operation?: string;
}

export class Backoff {
  private attempt = 0;
  private readonly initial: number;
  private readonly max: number;
  private readonly factor: number;
  private readonly random: () => number;

  constructor(opts: BackoffOptions = {}) {
    this.initial = opts.initialDelayMs ?? 200;
    this.max = opts.maxDelayMs ?? 30_000;
    this.factor = opts.factor ?? 2;
    this.random = opts.random ?? Math.random;
  }

  /** The next delay in ms; a server-requested delay (Retry-After) wins, capped at max. */
  next(retryAfterMs?: number): number {
    const ceiling = Math.min(this.max, this.initial * this.factor ** this.attempt);
    this.attempt++;
    if (retryAfterMs !== undefined && retryAfterMs > 0) return Math.min(this.max, retryAfterMs);
    return Math.round(this.random() * ceiling);
  }

  reset(): void {
    this.attempt = 0;
  }

  get attempts(): number {
    return this.attempt;
  }
}

export class AbortedError extends Error {
  override readonly name = 'AbortedError';
  constructor() {
    super('aborted');
  }
}

/** Resolves after ms, or rejects with AbortedError when the signal fires. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(new AbortedError());
    const onAbort = () => {
      clearTimeout(timer);
      reject(new AbortedError());
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/**
 * Runs fn until it succeeds, a terminal error occurs (thrown as a KubeError), or attempts run
 * out (the last error is thrown).
 */
export async function withRetry<T>(fn: (attempt: number) => Promise<T>, opts: RetryOptions = {}): Promise<T> {
  const maxAttempts = opts.maxAttempts ?? 6;
  const isRetryable = opts.isRetryable ?? ((e: KubeError) => e.retryable);
  const logger = opts.logger ?? noopLogger;
  const backoff = new Backoff(opts);
  for (let attempt = 1; ; attempt++) {
    try {
      return await fn(attempt);
    } catch (raw) {
      const err = toKubeError(raw);
      if (attempt >= maxAttempts || !isRetryable(err)) throw err;
      const delayMs = backoff.next(err.retryAfterMs);
      logger.warn(
        { operation: opts.operation, attempt, delayMs, status: err.status, reason: err.reason, err: err.message },
        'kube request failed; retrying',
      );
      await sleep(delayMs, opts.signal);
    }
  }
}
