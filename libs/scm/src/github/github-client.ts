import { createAppAuth } from '@octokit/auth-app';
import { retry } from '@octokit/plugin-retry';
import { throttling } from '@octokit/plugin-throttling';
import { Octokit } from '@octokit/rest';
import { RateLimitGate } from './rate-limit-gate';

export type GitHubCredentials =
  | { readonly kind: 'token'; readonly token: string }
  | { readonly kind: 'app'; readonly appId: string; readonly privateKey: string };

export interface GitHubClientOptions {
  /** REST base, e.g. `https://api.github.com` or a GitHub Enterprise / test server. */
  readonly baseUrl: string;
  readonly credentials: GitHubCredentials;
  /** Attempts on secondary/primary rate limits and on 5xx before giving up; default 5. */
  readonly maxRetries?: number;
  readonly userAgent?: string;
  readonly logger?: { warn(obj: object, msg: string): void; debug?(obj: object, msg: string): void };
  /** Shared between clients of the same credentials (e.g. one per installation); it also bounds requests in flight. */
  readonly gate?: RateLimitGate;
}

const SluiceOctokit = Octokit.plugin(throttling, retry);

/**
 * plugin-throttling sends every read through one process-wide Bottleneck group of 10 at
 * once ("octokit-global"), whatever the credentials: a global sync reading 4 heads of
 * each of 16 repositories waited there, not on GitHub. Reads pass straight through
 * instead; the rate-limit gate (one per set of credentials) bounds how many are in flight.
 * The plugin still serialises writes and search, and retries on rate limits.
 */
const unqueued = {
  key: () => ({
    schedule: <A extends unknown[], R>(_job: unknown, fn: (...args: A) => Promise<R>, ...args: A): Promise<R> => fn(...args),
  }),
};
export type GitHubOctokit = InstanceType<typeof SluiceOctokit>;

/**
 * An Octokit with Sluice's policy: `@octokit/plugin-throttling` (retries after
 * `retry-after` / `x-ratelimit-reset`), `@octokit/plugin-retry` (5xx with backoff), and a
 * rate-limit gate in front of every HTTP call so that no request leaves while the
 * credentials are limited. App credentials use installation tokens from
 * `@octokit/auth-app`, which caches each token and fetches a new one before it expires.
 */
export function createGitHubOctokit(options: GitHubClientOptions, installationId?: number): GitHubOctokit {
  const gate = options.gate ?? new RateLimitGate();
  const maxRetries = options.maxRetries ?? 5;
  const log = options.logger;
  const gatedFetch: typeof fetch = async (input, init) => {
    await gate.acquire();
    let response: Response | undefined;
    try {
      response = await fetch(input, init);
      return response;
    } finally {
      gate.release(response?.status ?? 0, (name) => response?.headers.get(name));
    }
  };
  const auth =
    options.credentials.kind === 'token'
      ? { auth: options.credentials.token }
      : {
          authStrategy: createAppAuth,
          auth: {
            appId: options.credentials.appId,
            privateKey: options.credentials.privateKey,
            ...(installationId !== undefined ? { installationId } : {}),
          },
        };
  return new SluiceOctokit({
    ...auth,
    baseUrl: options.baseUrl,
    userAgent: options.userAgent ?? 'sluice',
    request: { fetch: gatedFetch },
    log: {
      debug: () => undefined,
      info: () => undefined,
      warn: (message: string) => log?.warn({ component: 'github-client' }, message),
      error: (message: string) => log?.warn({ component: 'github-client' }, message),
    },
    retry: { retries: maxRetries },
    throttle: {
      // `global` is read by the plugin (wrap-request.js) though its options type omits it.
      ...({ global: unqueued } as object),
      onRateLimit: (retryAfter: number, req: { method: string; url: string }, _o: unknown, retryCount: number) => {
        log?.warn({ retryAfter, method: req.method, url: req.url, retryCount }, 'GitHub primary rate limit; waiting');
        return retryCount < maxRetries;
      },
      onSecondaryRateLimit: (retryAfter: number, req: { method: string; url: string }, _o: unknown, retryCount: number) => {
        log?.warn({ retryAfter, method: req.method, url: req.url, retryCount }, 'GitHub secondary rate limit; waiting');
        return retryCount < maxRetries;
      },
    },
  });
}
