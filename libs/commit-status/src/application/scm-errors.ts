/** A failed SCM call. `retryable`: the same call may succeed later (5xx, network, timeouts). */
export class ScmError extends Error {
  override readonly name: string = 'ScmError';
  constructor(
    message: string,
    readonly status: number | undefined,
    readonly retryable: boolean,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/**
 * The credential is rate limited (a 403/429 with retry-after or an exhausted
 * x-ratelimit-remaining): no call is made for it before `untilMs`.
 */
export class ScmRateLimitedError extends ScmError {
  override readonly name = 'ScmRateLimitedError';
  constructor(
    readonly credential: string,
    readonly untilMs: number,
    message = `rate limited until ${new Date(untilMs).toISOString()}`,
  ) {
    super(message, 429, true);
  }
}
