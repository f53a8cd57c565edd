/** The SCM answered that the thing does not exist (or is hidden from these credentials). */
export class ScmNotFoundError extends Error {
  constructor(readonly what: string) {
    super(`not found on the SCM: ${what}`);
    this.name = 'ScmNotFoundError';
  }
}

/** Credentials refused (401) or lacking permission (403 that is not a rate limit). */
export class ScmAuthError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
    this.name = 'ScmAuthError';
  }
}

/** Anything else the SCM refused after retries; `transient` tells callers whether trying later may help. */
export class ScmRequestError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly transient: boolean,
  ) {
    super(message);
    this.name = 'ScmRequestError';
  }
}

/**
 * The credentials are rate limited (a 403/429 with retry-after, or an exhausted budget) and
 * the caller asked not to wait: nothing is sent for them before `untilMs`.
 */
export class ScmRateLimitedError extends ScmRequestError {
  constructor(
    readonly untilMs: number,
    message = `rate limited until ${new Date(untilMs).toISOString()}`,
  ) {
    super(429, message, true);
    this.name = 'ScmRateLimitedError';
  }
}
