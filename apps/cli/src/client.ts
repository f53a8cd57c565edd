import createClient, { type Client } from 'openapi-fetch';
import { serviceForPath } from '@sluice/contracts';
import { ApiError, UsageError } from './errors';
import type { paths } from './generated/sluice-api';
import type { Settings } from './settings';

/** The typed client generated from docs/openapi.json (scripts/generate-openapi.ts). */
export type SluiceClient = Client<paths>;

/**
 * A client for the settings: bearer token on every request; with per-service URLs, each
 * request goes to the service that answers its path (contracts' serviceForPath).
 */
export function sluiceClient(settings: Settings, options: { anonymous?: boolean } = {}): SluiceClient {
  const client = createClient<paths>({
    baseUrl: settings.url,
    fetch: async (request: Request) => {
      const url = new URL(request.url);
      const service = settings.serviceUrls[serviceForPath(url.pathname)];
      const target = service ? new Request(`${service}${url.pathname}${url.search}`, request) : request;
      try {
        return await fetch(target);
      } catch (error) {
        throw new ApiError(0, 'unreachable', `cannot reach Sluice at ${new URL(target.url).origin}: ${causeOf(error)}`);
      }
    },
  });
  client.use({
    onRequest({ request }) {
      if (settings.team) request.headers.set('x-sluice-team', settings.team);
      if (options.anonymous) return request;
      if (!settings.token) throw new UsageError('no token: run `sluice login --token <token>`, or set SLUICE_TOKEN');
      request.headers.set('authorization', `Bearer ${settings.token}`);
      return request;
    },
  });
  return client;
}

function causeOf(error: unknown): string {
  const cause = (error as { cause?: { code?: string; message?: string } }).cause;
  return cause?.code ?? cause?.message ?? (error as Error).message;
}

/** The data of a successful answer, or the API's error as written. */
export async function ok<T>(call: Promise<{ data?: T; error?: unknown; response: Response }>): Promise<T> {
  const { data, error, response } = await call;
  if (response.ok) return data as T;
  const body = (error ?? {}) as { error?: { code?: string; message?: string } };
  throw new ApiError(response.status, body.error?.code ?? `http_${response.status}`, body.error?.message ?? response.statusText);
}
