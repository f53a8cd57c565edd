import type { ServerResponse } from 'node:http';
import { ArgumentsHost, Catch, ExceptionFilter, HttpException } from '@nestjs/common';
import type { Logger } from 'pino';
import { createLogger } from '../logging/logger';
import { codeForStatus, ErrorDetails, RetryLaterError, SluiceError } from './errors';

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
    const req = host.switchToHttp().getRequest<{ method?: string; url?: string }>();
    const mapped = mapError(exception);
    const where = { method: req.method, url: req.url, status: mapped.status };
    if (mapped.unexpected) this.log.error({ err: exception, ...where }, 'request failed');
    else this.log.debug({ ...where, code: mapped.body.error.code }, 'request rejected');

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
    res.end(payload);
  }
}
