import type { IncomingMessage, ServerResponse } from 'node:http';
import { collectDefaultMetrics, Histogram, Registry } from 'prom-client';

/**
 * The process's Prometheus registry, served at `GET /metrics`. Other libraries register
 * their counters and histograms here: `new Counter({ ..., registers: [metricsRegistry] })`.
 */
export const metricsRegistry = new Registry();

let defaultMetricsOn = false;

/** Node/process default metrics, once per process (registering twice would throw). */
export function enableDefaultMetrics(): void {
  if (defaultMetricsOn) return;
  defaultMetricsOn = true;
  collectDefaultMetrics({ register: metricsRegistry });
}

export const httpRequestDuration = new Histogram({
  name: 'http_request_duration_seconds',
  help: 'Duration of HTTP requests, by method, route pattern and status code',
  labelNames: ['method', 'route', 'status_code'] as const,
  buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
  registers: [metricsRegistry],
});

interface RoutedRequest extends IncomingMessage {
  baseUrl?: string;
  route?: { path?: unknown };
}

/**
 * The route pattern (`/api/configs/:name`), never the raw URL: raw paths would make a
 * label value per config name or sha. Requests that matched no route share one value.
 */
function routeLabel(req: RoutedRequest): string {
  const path = req.route?.path;
  if (typeof path !== 'string') return 'unmatched';
  return `${req.baseUrl ?? ''}${path}` || '/';
}

/** Observes every request's duration when the response is finished (or aborted). */
export function httpMetricsMiddleware(req: IncomingMessage, res: ServerResponse, next: () => void): void {
  const started = process.hrtime.bigint();
  let done = false;
  const observe = (): void => {
    if (done) return;
    done = true;
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    httpRequestDuration.observe(
      { method: req.method ?? 'UNKNOWN', route: routeLabel(req as RoutedRequest), status_code: String(res.statusCode) },
      seconds,
    );
  };
  res.once('finish', observe);
  res.once('close', observe);
  next();
}
