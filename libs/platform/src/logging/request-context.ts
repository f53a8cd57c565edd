import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { isSafeId, runWithCorrelation } from './correlation';
import { rootLogger } from './logger';

/** Probes and scrapes are too frequent to log one line each. */
const QUIET_PATHS = new Set(['/healthz', '/readyz', '/metrics']);

/**
 * The request's correlation id: a harmless `x-correlation-id` (or `x-request-id`) from
 * the caller, else a new UUID; echoed in the `x-correlation-id` response header.
 */
function correlationIdOf(req: IncomingMessage, res: ServerResponse): string {
  const header = req.headers['x-correlation-id'] ?? req.headers['x-request-id'];
  const id = isSafeId(header) ? header : randomUUID();
  res.setHeader('x-correlation-id', id);
  return id;
}

/**
 * Every request of a Sluice HTTP app (`configureApp` installs it as plain Express
 * middleware, so nothing is matched per request): its correlation id, the correlation
 * context for every log line written while it is handled, and one line when it ends
 * (not for probes) with method, url, user agent, status and time. No headers: they may
 * carry secrets, and a service logs the headers it needs in its own line. The level is
 * info, warn for a 4xx or a request closed before its response finished (the client went
 * away, or the server gave up on it: then no status, as none was sent), error for a 5xx.
 *
 * In place of nestjs-pino's pino-http middleware: its per-request child logger and its
 * request and response serializers took more CPU than verifying and rejecting a webhook.
 */
export function requestContextMiddleware(req: IncomingMessage, res: ServerResponse, next: () => void): void {
  const correlationId = correlationIdOf(req, res);
  const delivery = req.headers['x-github-delivery'];
  if (!QUIET_PATHS.has((req.url ?? '').split('?')[0])) logWhenDone(req, res, correlationId);
  runWithCorrelation({ correlationId, deliveryId: isSafeId(delivery) ? delivery : undefined }, next);
}

function logWhenDone(req: IncomingMessage, res: ServerResponse, correlationId: string): void {
  const started = process.hrtime.bigint();
  res.once('close', () => {
    const finished = res.writableFinished;
    // Until headers are sent `statusCode` is only Node's default 200: a request the server
    // gave up on (request timeout, shutdown) or the client left is logged without a status.
    const status = res.headersSent ? res.statusCode : null;
    const level = status !== null && status >= 500 ? 'error' : !finished || (status ?? 0) >= 400 ? 'warn' : 'info';
    const responseTime = Math.round(Number(process.hrtime.bigint() - started) / 1e5) / 10;
    rootLogger()[level](
      { correlationId, req: { method: req.method, url: req.url, userAgent: req.headers['user-agent'] }, res: { statusCode: status }, responseTime },
      finished ? 'request completed' : 'request aborted',
    );
  });
}
