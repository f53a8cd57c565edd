/**
 * How a failing handler is retried: backoff from `baseDelayMs` doubling up to `maxDelayMs`;
 * `maxAttempts` bounds only failures `classifyFailure` cannot classify (transient ones are
 * retried without limit, permanent ones not at all).
 */
export interface RetryPolicy {
  readonly maxAttempts: number;
  readonly baseDelayMs: number;
  readonly maxDelayMs: number;
}

export type RetryOptions = Partial<RetryPolicy>;

export const DEFAULT_RETRY_POLICY: RetryPolicy = { maxAttempts: 5, baseDelayMs: 200, maxDelayMs: 10_000 };

export function resolveRetryPolicy(options: RetryOptions = {}, maxAttemptsOverride?: number): RetryPolicy {
  const policy = { ...DEFAULT_RETRY_POLICY, ...stripUndefined(options) };
  if (maxAttemptsOverride !== undefined) policy.maxAttempts = maxAttemptsOverride;
  if (!Number.isInteger(policy.maxAttempts) || policy.maxAttempts < 1) {
    throw new RangeError(`maxAttempts must be a positive integer, got ${policy.maxAttempts}`);
  }
  return policy;
}

/**
 * Delay before the next attempt after `failedAttempts` failures: exponential, capped,
 * with "equal jitter" — half fixed so retries really back off, half random so consumers
 * that failed together (a database blip) do not retry in lockstep.
 */
export function backoffDelayMs(failedAttempts: number, policy: RetryPolicy, random: () => number = Math.random): number {
  const exponential = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** Math.max(0, failedAttempts - 1));
  return exponential / 2 + (random() * exponential) / 2;
}

function stripUndefined<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}
