import type { KubeStatus } from './types';

/**
 * Typed errors for Kubernetes API failures. `retryable` says whether the same request may
 * succeed later (backoff with jitter); everything else is terminal for that request.
 */
export class KubeError extends Error {
  override readonly name: string = 'KubeError';
  /** HTTP status, absent for network errors. */
  readonly status: number | undefined;
  /** metav1.Status reason (NotFound, Conflict, Invalid, ...), or Network / Unknown. */
  readonly reason: string;
  readonly causes: ReadonlyArray<{ reason?: string; message?: string; field?: string }>;
  /** From Retry-After or Status.details.retryAfterSeconds. */
  readonly retryAfterMs: number | undefined;
  readonly retryable: boolean;

  constructor(
    message: string,
    opts: { status?: number; reason: string; causes?: KubeError['causes']; retryAfterMs?: number; retryable: boolean; cause?: unknown },
  ) {
    super(message, { cause: opts.cause });
    this.status = opts.status;
    this.reason = opts.reason;
    this.causes = opts.causes ?? [];
    this.retryAfterMs = opts.retryAfterMs;
    this.retryable = opts.retryable;
  }
}

export class KubeBadRequestError extends KubeError {
  override readonly name = 'KubeBadRequestError';
}
export class KubeUnauthorizedError extends KubeError {
  override readonly name = 'KubeUnauthorizedError';
}
export class KubeForbiddenError extends KubeError {
  override readonly name = 'KubeForbiddenError';
}
export class KubeNotFoundError extends KubeError {
  override readonly name = 'KubeNotFoundError';
}
/** 409 AlreadyExists: a create of a name that is taken. */
export class KubeAlreadyExistsError extends KubeError {
  override readonly name = 'KubeAlreadyExistsError';
}
/**
 * 409 Conflict. Either a stale resourceVersion (retryable after re-reading) or a server-side
 * apply conflict with another field manager (`fieldConflicts` non-empty; not retryable: only
 * a forced apply or giving up the fields resolves it).
 */
export class KubeConflictError extends KubeError {
  override readonly name = 'KubeConflictError';
  get fieldConflicts(): ReadonlyArray<{ field?: string; message?: string }> {
    return this.causes.filter((c) => c.reason === 'FieldManagerConflict');
  }
}
/** 410 Gone: the resourceVersion (or continue token) was compacted away; relist. */
export class KubeGoneError extends KubeError {
  override readonly name = 'KubeGoneError';
}
/** 422 Invalid: schema or admission validation; `causes` name the fields. */
export class KubeInvalidError extends KubeError {
  override readonly name = 'KubeInvalidError';
}
export class KubeTooManyRequestsError extends KubeError {
  override readonly name = 'KubeTooManyRequestsError';
}
export class KubeServerError extends KubeError {
  override readonly name = 'KubeServerError';
}
export class KubeNetworkError extends KubeError {
  override readonly name = 'KubeNetworkError';
}

function isStatus(body: unknown): body is KubeStatus {
  return typeof body === 'object' && body !== null && (body as KubeStatus).kind === 'Status';
}

function parseRetryAfter(header: string | undefined, status: KubeStatus | undefined): number | undefined {
  const seconds = header !== undefined && /^\d+$/.test(header.trim()) ? Number(header) : status?.details?.retryAfterSeconds;
  return seconds !== undefined && Number.isFinite(seconds) ? seconds * 1000 : undefined;
}

/** Maps an HTTP error response (body: parsed JSON when it was JSON, else text) to a KubeError. */
export function errorFromResponse(httpStatus: number, body: unknown, retryAfterHeader?: string, context?: string): KubeError {
  const status = isStatus(body) ? body : undefined;
  const reason = status?.reason || reasonForHttpStatus(httpStatus);
  const detail = status?.message ?? (typeof body === 'string' && body ? body.slice(0, 500) : `HTTP ${httpStatus}`);
  const message = context ? `${context}: ${detail}` : detail;
  const opts = {
    status: httpStatus,
    reason,
    causes: status?.details?.causes ?? [],
    retryAfterMs: parseRetryAfter(retryAfterHeader, status),
  };
  switch (httpStatus) {
    case 400:
      return new KubeBadRequestError(message, { ...opts, retryable: false });
    case 401:
      return new KubeUnauthorizedError(message, { ...opts, retryable: false });
    case 403:
      return new KubeForbiddenError(message, { ...opts, retryable: false });
    case 404:
      return new KubeNotFoundError(message, { ...opts, retryable: false });
    case 409:
      if (reason === 'AlreadyExists') return new KubeAlreadyExistsError(message, { ...opts, retryable: false });
      return new KubeConflictError(message, {
        ...opts,
        retryable: !opts.causes.some((c) => c.reason === 'FieldManagerConflict'),
      });
    case 410:
      return new KubeGoneError(message, { ...opts, retryable: false });
    case 422:
      return new KubeInvalidError(message, { ...opts, retryable: false });
    case 429:
      return new KubeTooManyRequestsError(message, { ...opts, retryable: true });
    default:
      if (httpStatus >= 500) return new KubeServerError(message, { ...opts, retryable: httpStatus !== 501 });
      return new KubeError(message, { ...opts, retryable: httpStatus === 408 });
  }
}

/** A watch ERROR event carries a Status object instead of an HTTP status. */
export function errorFromStatus(status: KubeStatus, context?: string): KubeError {
  return errorFromResponse(status.code ?? 500, { ...status, kind: 'Status' }, undefined, context);
}

export function networkError(cause: unknown, context?: string): KubeNetworkError {
  const detail = cause instanceof Error ? cause.message : String(cause);
  return new KubeNetworkError(context ? `${context}: ${detail}` : detail, { reason: 'Network', retryable: true, cause });
}

/** Normalises anything thrown by this library or by @kubernetes/client-node into a KubeError. */
export function toKubeError(err: unknown, context?: string): KubeError {
  if (err instanceof KubeError) return err;
  if (typeof err === 'object' && err !== null) {
    // client-node's generated APIs throw ApiException {code, body, headers}; its Watch
    // throws Error with statusCode.
    const e = err as { code?: unknown; body?: unknown; headers?: Record<string, string>; statusCode?: unknown };
    const httpStatus = typeof e.code === 'number' ? e.code : typeof e.statusCode === 'number' ? e.statusCode : undefined;
    if (httpStatus !== undefined && httpStatus >= 300) {
      let body = e.body;
      if (typeof body === 'string') {
        try {
          body = JSON.parse(body);
        } catch {
          // keep the text
        }
      }
      return errorFromResponse(httpStatus, body, e.headers?.['retry-after'], context);
    }
  }
  if (isNetworkFailure(err)) return networkError(err, context);
  const detail = err instanceof Error ? err.message : String(err);
  return new KubeError(context ? `${context}: ${detail}` : detail, { reason: 'Unknown', retryable: false, cause: err });
}

const NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ECONNABORTED',
  'EPIPE',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EAI_AGAIN',
  'ENOTFOUND',
  'ERR_STREAM_PREMATURE_CLOSE',
]);

/** Socket-level failures (node errors, node-fetch FetchError of type "system"). */
export function isNetworkFailure(err: unknown): boolean {
  if (typeof err !== 'object' || err === null) return false;
  const e = err as { code?: unknown; errno?: unknown; type?: unknown; cause?: unknown };
  if (typeof e.code === 'string' && (NETWORK_CODES.has(e.code) || e.code.startsWith('UND_ERR_'))) return true;
  if (e.type === 'system' || e.type === 'request-timeout') return true;
  return e.cause !== undefined && e.cause !== err && isNetworkFailure(e.cause);
}

function reasonForHttpStatus(status: number): string {
  const reasons: Record<number, string> = {
    400: 'BadRequest',
    401: 'Unauthorized',
    403: 'Forbidden',
    404: 'NotFound',
    405: 'MethodNotAllowed',
    409: 'Conflict',
    410: 'Gone',
    415: 'UnsupportedMediaType',
    422: 'Invalid',
    429: 'TooManyRequests',
    500: 'InternalError',
    503: 'ServiceUnavailable',
    504: 'Timeout',
  };
  return reasons[status] ?? (status >= 500 ? 'InternalError' : 'Unknown');
}
