import { existsSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { join, resolve } from 'node:path';
import express from 'express';

/**
 * Where `npm run build:dashboard` writes the dashboard (apps/dashboard, issue #21). Found from this
 * file, so `npm start` serves it whatever the working directory, and so does the compiled
 * distribution (scripts/build-dist.mjs copies it to the same place relative to this file).
 */
export const DASHBOARD_DIR = resolve(__dirname, '..', '..', '..', 'apps', 'dashboard', 'dist');

/**
 * The dashboard's files and its pages (apps/dashboard/src/router.tsx): only these fall back to
 * index.html, so `/api/*`, `/webhooks/*`, `/chat/*`, the health paths and any other unknown path
 * keep the one JSON 404 of the API (e2e/errors.e2e-spec.ts).
 */
const DASHBOARD_PATH = /^\/(index\.html|favicon\.ico|assets\/[^/]+|configs\/[^/]+|deploys\/[^/]+|events|commit-statuses|dora|auth\/callback)?\/?$/;

export const isDashboardPath = (method: string, pathname: string): boolean => (method === 'GET' || method === 'HEAD') && DASHBOARD_PATH.test(pathname);

/**
 * The built app has no inline script or style: everything comes from this origin, and the API is
 * only called with fetch from it. With sign-in through OpenID Connect, the browser also calls the
 * provider (discovery at the issuer, then its token endpoint, which may live on another https
 * origin, as Google's does): the issuer's origin and https origins may then be fetched; without
 * it, nothing but this origin.
 */
function securityHeaders(oidcIssuer: string | undefined): Record<string, string> {
  const connect = oidcIssuer ? ` ${new URL(oidcIssuer).origin} https:` : '';
  return {
    'content-security-policy': `default-src 'self'; connect-src 'self'${connect}; img-src 'self' data:; frame-ancestors 'none'; base-uri 'none'; form-action 'self'`,
    'x-content-type-options': 'nosniff',
    'referrer-policy': 'no-referrer',
  };
}

const NOT_BUILT = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Sluice</title></head>
<body><h1>Sluice</h1>
<p>The dashboard is not built. Build it with <code>npm run build:dashboard</code> and reload this page.</p>
<p>The API is at <a href="/api/docs">/api/docs</a>.</p></body></html>
`;

/**
 * The dashboard's files (Express's static middleware) with the single-page-app fallback: a path
 * that is no file is answered with index.html, so `/configs/billing-api` can be reloaded. Without
 * a build, a short page saying how to build it. Checked per request, so a build made while Sluice
 * runs is served without a restart.
 */
export function dashboardHandler(dir: string = DASHBOARD_DIR, options: { oidcIssuer?: string } = {}): (req: IncomingMessage, res: ServerResponse) => void {
  const headers = securityHeaders(options.oidcIssuer);
  const app = express();
  app.disable('x-powered-by');
  app.use((_req, res, next) => {
    res.set(headers);
    next();
  });
  app.use((_req, res, next) => {
    if (existsSync(join(dir, 'index.html'))) return next();
    res.status(200).type('html').set('cache-control', 'no-store').send(NOT_BUILT);
  });
  app.use(
    express.static(dir, {
      index: 'index.html',
      fallthrough: true,
      // Vite names the assets by their content: cached for good; index.html always revalidated.
      setHeaders: (res, path) => res.setHeader('cache-control', path.includes(`${join(dir, 'assets')}`) ? 'public, max-age=31536000, immutable' : 'no-cache'),
    }),
  );
  app.use((req, res) => {
    // A missing asset is a 404, not the app: a stale page asking for an old bundle fails visibly.
    if (req.path.startsWith('/assets/') || req.path === '/favicon.ico') return void res.status(404).type('text').send('not found\n');
    res.set('cache-control', 'no-cache').sendFile(join(dir, 'index.html'));
  });
  return app;
}
