import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { serviceForPath, type ServiceName } from '@sluice/contracts';
import { createLogger } from '@sluice/platform';
import { createProxyMiddleware, type RequestHandler } from 'http-proxy-middleware';
import type { ServiceUrls } from './settings';

/** The dashboard's API calls: `/api` and everything under it. */
export const isApiPath = (pathname: string): boolean => pathname === '/api' || pathname.startsWith('/api/');

const pathOf = (req: IncomingMessage): string => (req.url ?? '/').split('?')[0] || '/';

/** The service that answers the request's path and its base URL (docs/architecture.md §2, §7). */
export function upstreamFor(urls: ServiceUrls, path: string): { readonly service: ServiceName; readonly url: string } {
  const service = serviceForPath(path);
  // Every /api path belongs to an API service, each of which the settings require.
  return { service, url: urls[service] ?? urls.autodeploy };
}

/**
 * Forwards `/api/*` to the service that owns the path (`serviceForPath`), as the browser sent it:
 * method, path and query, body (streamed, never parsed: the server runs without body parsers),
 * `Authorization` and every other header, plus `X-Forwarded-For/-Host/-Port/-Proto` and this
 * request's correlation id (`X-Correlation-Id`, so one id follows it into the service's log). The answer
 * streams back as it comes (no buffering, no compression), so the Server-Sent Events of
 * `GET /api/deploys/{id}/logs` arrive one by one, and the service's own errors (401, 403, 404…)
 * pass through unchanged. A service that cannot be reached is a 502 in Sluice's error body; the
 * log line names the service and the path, never a header or the query.
 */
export function apiProxy(urls: ServiceUrls): RequestHandler {
  const log = createLogger('api-proxy');
  return createProxyMiddleware<IncomingMessage, ServerResponse>({
    pathFilter: (pathname) => isApiPath(pathname),
    // The first target is a placeholder: the router picks the service for every request.
    target: urls.autodeploy,
    router: (req) => upstreamFor(urls, pathOf(req)).url,
    changeOrigin: true,
    xfwd: true,
    on: {
      proxyReq: (proxyReq, _req, res) => {
        const correlationId = res.getHeader('x-correlation-id');
        if (typeof correlationId === 'string') proxyReq.setHeader('x-correlation-id', correlationId);
      },
      error: (err: NodeJS.ErrnoException, req: IncomingMessage, res: ServerResponse | Socket) => {
        const { service, url } = upstreamFor(urls, pathOf(req));
        log.warn({ upstream: service, upstreamUrl: url, method: req.method, path: pathOf(req), code: err.code }, 'upstream unavailable');
        if (!('writeHead' in res)) return void res.destroy();
        // Failed after the answer began (the service went away mid-stream): end it, the client sees a cut.
        if (res.headersSent) return void res.destroy();
        res.writeHead(502, { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' });
        res.end(JSON.stringify({ error: { code: 'upstream_unavailable', message: `${service} is unreachable at ${url}` } }));
      },
    },
  });
}
