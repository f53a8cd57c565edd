/**
 * Typed errors with their HTTP mapping (CONVENTIONS: 400/401/403/404/409/413/422 at the
 * edge, 405/415 for a request of the wrong method or body type, never a 500 for bad input; 429/503 with `Retry-After` for bounds kept on purpose). Domain and application code throws these (or its
 * own subclasses); the global `HttpErrorFilter` turns them into
 * `{ error: { code, message, details? } }`.
 */
export interface ErrorDetails {
  /** The offending field's path, e.g. `body.artifactSha`. */
  readonly field?: string;
  readonly [key: string]: unknown;
}

export interface SluiceErrorOptions {
  /** Machine-readable code; each class has a default. */
  readonly code?: string;
  readonly details?: ErrorDetails;
  readonly cause?: unknown;
}

export abstract class SluiceError extends Error {
  abstract readonly status: number;
  readonly code: string;
  readonly details?: ErrorDetails;

  protected constructor(message: string, defaultCode: string, options: SluiceErrorOptions = {}) {
    // An answer to bad input, not a fault: no stack trace (capturing one cost more than the
    // rest of a rejected webhook's handling). A `cause` keeps its own.
    const stackTraceLimit = Error.stackTraceLimit;
    Error.stackTraceLimit = 0;
    try {
      super(message, options.cause === undefined ? undefined : { cause: options.cause });
    } finally {
      Error.stackTraceLimit = stackTraceLimit;
    }
    this.name = new.target.name;
    this.code = options.code ?? defaultCode;
    if (options.details !== undefined) this.details = options.details;
  }
}

export class BadRequestError extends SluiceError {
  readonly status = 400;
  constructor(message: string, options?: SluiceErrorOptions) {
    super(message, 'bad_request', options);
  }
}

export class UnauthorizedError extends SluiceError {
  readonly status = 401;
  constructor(message = 'authentication required', options?: SluiceErrorOptions) {
    super(message, 'unauthorized', options);
  }
}

export class ForbiddenError extends SluiceError {
  readonly status = 403;
  constructor(message = 'forbidden', options?: SluiceErrorOptions) {
    super(message, 'forbidden', options);
  }
}

export class NotFoundError extends SluiceError {
  readonly status = 404;
  constructor(message: string, options?: SluiceErrorOptions) {
    super(message, 'not_found', options);
  }
}

/** 405: the path exists, under other methods; the error filter sends them as `Allow`. */
export class MethodNotAllowedError extends SluiceError {
  readonly status = 405;
  readonly allow: readonly string[];
  constructor(message: string, allow: readonly string[], options?: SluiceErrorOptions) {
    super(message, 'method_not_allowed', options);
    this.allow = allow;
  }
}

export class ConflictError extends SluiceError {
  readonly status = 409;
  constructor(message: string, options?: SluiceErrorOptions) {
    super(message, 'conflict', options);
  }
}

export class PayloadTooLargeError extends SluiceError {
  readonly status = 413;
  constructor(message = 'payload too large', options?: SluiceErrorOptions) {
    super(message, 'payload_too_large', options);
  }
}

/** 415: a body of a type the route does not read (every Sluice route reads JSON). */
export class UnsupportedMediaTypeError extends SluiceError {
  readonly status = 415;
  constructor(message: string, options?: SluiceErrorOptions) {
    super(message, 'unsupported_media_type', options);
  }
}

export class UnprocessableError extends SluiceError {
  readonly status = 422;
  constructor(message: string, options?: SluiceErrorOptions) {
    super(message, 'unprocessable', options);
  }
}

export interface RetryLaterOptions extends SluiceErrorOptions {
  /** Sent as `Retry-After` (whole seconds, at least 1). */
  readonly retryAfterSeconds: number;
}

/** An answer that tells the client when to try again: the error filter sends `Retry-After`. */
export abstract class RetryLaterError extends SluiceError {
  readonly retryAfterSeconds: number;
  protected constructor(message: string, defaultCode: string, options: RetryLaterOptions) {
    super(message, defaultCode, options);
    this.retryAfterSeconds = Math.max(1, Math.ceil(options.retryAfterSeconds));
  }
}

/** 429: this client asked too often (e.g. failed authentications); it may try again after `Retry-After`. */
export class TooManyRequestsError extends RetryLaterError {
  readonly status = 429;
  constructor(message: string, options: RetryLaterOptions) {
    super(message, 'too_many_requests', options);
  }
}

/**
 * 503: the service is at a bound it keeps on purpose (load shedding), not broken; the
 * client may try again after `Retry-After`. Not logged as a fault.
 */
export class ServiceUnavailableError extends RetryLaterError {
  readonly status = 503;
  constructor(message: string, options: RetryLaterOptions) {
    super(message, 'unavailable', options);
  }
}

/** The `code` used for an HTTP status that did not come from a `SluiceError`. */
export function codeForStatus(status: number): string {
  switch (status) {
    case 400:
      return 'bad_request';
    case 401:
      return 'unauthorized';
    case 403:
      return 'forbidden';
    case 404:
      return 'not_found';
    case 405:
      return 'method_not_allowed';
    case 408:
      return 'request_timeout';
    case 409:
      return 'conflict';
    case 413:
      return 'payload_too_large';
    case 415:
      return 'unsupported_media_type';
    case 422:
      return 'unprocessable';
    case 429:
      return 'too_many_requests';
    case 503:
      return 'unavailable';
    default:
      return status >= 500 ? 'internal' : 'bad_request';
  }
}
