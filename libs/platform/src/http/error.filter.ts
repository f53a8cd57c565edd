import type { ServerResponse } from 'node:http';
import { ArgumentsHost, Catch, ExceptionFilter, HttpException } from '@nestjs/common';
import type { Logger } from 'pino';
import { createLogger } from '../logging/logger';
import { codeForStatus, ErrorDetails, MethodNotAllowedError, NotFoundError, RetryLaterError, SluiceError } from './errors';
import { RouteTable } from './routes';

export interface ErrorBody {
  readonly error: { readonly code: string; readonly message: string; readonly details?: ErrorDetails };
}

interface Mapped {
  readonly status: number;
  readonly body: ErrorBody;
  /** Unexpected: log it with its stack at error level. */
  readonly unexpected: boolean;
  /** `Retry-After` in seconds, for a 429 or 503 that says when to come back. */
  readonly retryAfterSeconds?: number;
  /** `Allow`, for a 405. */
  readonly allow?: readonly string[];
}

const INTERNAL: ErrorBody = { error: { code: 'internal', message: 'internal error' } };

/** An error from the `http-errors` family (body-parser, raw-body) meant to be shown to the client. */
interface ExposedHttpError {
  readonly status?: number;
  readonly statusCode?: number;
  readonly expose: true;
  readonly message: string;
  readonly type?: string;
}

function isExposedHttpError(e: unknown): e is ExposedHttpError {
  if (!(e instanceof Error)) return false;
  const x = e as unknown as Partial<ExposedHttpError>;
  const status = x.status ?? x.statusCode;
  return x.expose === true && typeof status === 'number' && status >= 400 && status < 500;
}

function httpExceptionMessage(e: HttpException): string {
  const response = e.getResponse();
  if (typeof response === 'string') return response;
  if (response && typeof response === 'object' && 'message' in response) {
    const m = (response as { message: unknown }).message;
    if (typeof m === 'string') return m;
    if (Array.isArray(m)) return m.map(String).join('; ');
  }
  return e.message;
}

/** Maps anything thrown to the status and body of the error response. */
export function mapError(exception: unknown): Mapped {
  if (exception instanceof SluiceError) {
    const error = exception.details === undefined
      ? { code: exception.code, message: exception.message }
      : { code: exception.code, message: exception.message, details: exception.details };
    if (exception instanceof MethodNotAllowedError) {
      return { status: exception.status, body: { error }, unexpected: false, allow: exception.allow };
    }
    if (exception instanceof RetryLaterError) {
      // Shedding load on purpose is not a fault: no error line per refused request.
      return { status: exception.status, body: { error }, unexpected: false, retryAfterSeconds: exception.retryAfterSeconds };
    }
    return { status: exception.status, body: { error }, unexpected: exception.status >= 500 };
  }
  if (exception instanceof HttpException) {
    const status = exception.getStatus();
    if (status >= 500) {
      const message = status === 503 ? 'service unavailable' : 'internal error';
      return { status, body: { error: { code: codeForStatus(status), message } }, unexpected: true };
    }
    return { status, body: { error: { code: codeForStatus(status), message: httpExceptionMessage(exception) } }, unexpected: false };
  }
  if (isExposedHttpError(exception)) {
    const status = (exception.status ?? exception.statusCode) as number;
    return { status, body: { error: { code: codeForStatus(status), message: exception.message } }, unexpected: false };
  }
  return { status: 500, body: INTERNAL, unexpected: true };
}

/** What the routing layer knows of a request (express: `req.app`, and `req.route` once a route took it). */
export interface RoutedRequest {
  readonly method?: string;
  readonly url?: string;
  readonly originalUrl?: string;
  readonly app?: unknown;
  readonly route?: unknown;
}

/** The answer to a request no route took: 404 for a path no route has, 405 for a path that has routes under other methods. */
export function noRouteError(method: string, path: string, allowed: readonly string[]): SluiceError {
  if (allowed.length > 0 && !allowed.includes(method)) {
    return new MethodNotAllowedError(`${method} is not allowed on ${path}; allowed: ${allowed.join(', ')}`, allowed, { details: { allow: allowed } });
  }
  return new NotFoundError(`no route for ${method} ${path}`);
}

/**
 * Nest answers a request no route took by throwing its own `NotFoundException` ("Cannot GET
 * /x"): replaced by the Sluice 404, or by a 405 when the path exists under other methods.
 * A 404 thrown by a route's handler (`req.route` is set) is left alone.
 */
function routeMissAware(exception: unknown, req: RoutedRequest): unknown {
  if (!(exception instanceof HttpException) || exception.getStatus() !== 404 || req.route !== undefined) return exception;
  const method = (req.method ?? 'GET').toUpperCase();
  const path = (req.originalUrl ?? req.url ?? '/').split('?')[0] || '/';
  return noRouteError(method, path, RouteTable.of(req.app).allowedMethods(path));
}

/**
 * The global exception filter: typed errors, Nest's HttpExceptions (including the ones
 * from body parsing) and exposed http-errors become `{ error: { code, message, details? } }`;
 * anything else is a 500 `internal error`, logged with its stack, which is never sent.
 */
@Catch()
export class HttpErrorFilter implements ExceptionFilter {
  private readonly log: Logger;

  constructor(log?: Logger) {
    this.log = log ?? createLogger('http');
  }

  catch(exception: unknown, host: ArgumentsHost): void {
    if (host.getType() !== 'http') throw exception;
    const res = host.switchToHttp().getResponse<ServerResponse>();
    const req = host.switchToHttp().getRequest<RoutedRequest>();
    const mapped = mapError(routeMissAware(exception, req));
    const where = { method: req.method, url: req.url, status: mapped.status };
    if (mapped.unexpected) this.log.error({ err: exception, ...where }, 'request failed');
    else this.log.debug({ ...where, code: mapped.body.error.code }, 'request rejected');

    writeError(res, mapped);
  }
}

/**
 * Writes an error response as the filter does, for code that answers outside Nest (the
 * all-in-one's router): the same body, status and headers for the same error.
 */
export function sendError(res: ServerResponse, error: unknown): void {
  writeError(res, mapError(error));
}

function writeError(res: ServerResponse, mapped: Mapped): void {
  if (res.headersSent) {
    // Too late for an error body; cut the response so the client sees a failure.
    res.destroy();
    return;
  }
  const payload = JSON.stringify(mapped.body);
  res.statusCode = mapped.status;
  res.setHeader('content-type', 'application/json; charset=utf-8');
  res.setHeader('content-length', Buffer.byteLength(payload));
  if (mapped.status === 401) res.setHeader('www-authenticate', 'Bearer');
  if (mapped.retryAfterSeconds !== undefined) res.setHeader('retry-after', String(mapped.retryAfterSeconds));
  if (mapped.allow !== undefined) res.setHeader('allow', mapped.allow.join(', '));
  res.end(payload);
}
