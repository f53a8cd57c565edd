import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { DynamicModule, Global, MiddlewareConsumer, Module, NestModule, RequestMethod } from '@nestjs/common';
import { LoggerModule } from 'nestjs-pino';
import { isSafeId, runWithCorrelation } from './correlation';
import { rootLogger } from './logger';

/** Every route, in Nest 11's path syntax (`*` alone is the deprecated express 4 form). */
export const ALL_ROUTES = { path: '{*path}', method: RequestMethod.ALL };

/** Probes and scrapes are too frequent to log one line each. */
const QUIET_PATHS = new Set(['/healthz', '/readyz', '/metrics']);

type CorrelatedRequest = IncomingMessage & { correlationId?: string };

/**
 * What a request line says of the request and the response: enough to find it, and no
 * headers. They may carry secrets, and redacting and scrubbing them took more of a
 * webhook's CPU than verifying and storing it; a service logs the headers it needs
 * (webhook-ingest: the delivery id and event) in its own line.
 */
const ACCESS_LOG_SERIALIZERS = {
  req: (req: { method?: string; url?: string; headers?: Record<string, string | string[] | undefined> }) => ({
    method: req.method,
    url: req.url,
    userAgent: req.headers?.['user-agent'],
  }),
  res: (res: { statusCode?: number }) => ({ statusCode: res.statusCode }),
};

/**
 * The request's correlation id: a harmless `x-correlation-id` (or `x-request-id`) from
 * the caller, else a new UUID; echoed in the `x-correlation-id` response header.
 */
export function requestCorrelationId(req: IncomingMessage, res: ServerResponse): string {
  const r = req as CorrelatedRequest;
  if (r.correlationId) return r.correlationId;
  const header = req.headers['x-correlation-id'] ?? req.headers['x-request-id'];
  const id = isSafeId(header) ? header : randomUUID();
  r.correlationId = id;
  if (!res.headersSent) res.setHeader('x-correlation-id', id);
  return id;
}

/** Runs the rest of the request inside its correlation context (see `runWithCorrelation`). */
export function correlationMiddleware(req: IncomingMessage, res: ServerResponse, next: () => void): void {
  const correlationId = requestCorrelationId(req, res);
  const delivery = req.headers['x-github-delivery'];
  runWithCorrelation({ correlationId, deliveryId: isSafeId(delivery) ? delivery : undefined }, next);
}

/**
 * nestjs-pino wired to the Sluice root logger: one JSON line per request (not for
 * probes), request-scoped `PinoLogger`, and the correlation context for every request.
 * `bootstrapService` imports it; feature modules do not.
 */
@Global()
@Module({})
export class LoggingModule implements NestModule {
  static forRoot(): DynamicModule {
    return {
      module: LoggingModule,
      imports: [
        LoggerModule.forRoot({
          forRoutes: [ALL_ROUTES],
          pinoHttp: {
            logger: rootLogger(),
            genReqId: (req, res) => requestCorrelationId(req, res),
            customProps: (req) => ({ correlationId: (req as CorrelatedRequest).correlationId }),
            autoLogging: { ignore: (req) => QUIET_PATHS.has((req.url ?? '').split('?')[0]) },
            customLogLevel: (_req, res, err) => (err || res.statusCode >= 500 ? 'error' : res.statusCode >= 400 ? 'warn' : 'info'),
            quietReqLogger: true,
            serializers: ACCESS_LOG_SERIALIZERS,
          },
        }),
      ],
      exports: [LoggerModule],
    };
  }

  configure(consumer: MiddlewareConsumer): void {
    consumer.apply(correlationMiddleware).forRoutes(ALL_ROUTES);
  }
}
