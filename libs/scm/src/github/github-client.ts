import { createAppAuth } from '@octokit/auth-app';
import { retry } from '@octokit/plugin-retry';
import { throttling } from '@octokit/plugin-throttling';
import { Octokit } from '@octokit/rest';
import { sameOriginFetch } from '../http/provider-fetch';
import { RateLimitGate } from '../http/rate-limit-gate';

export type GitHubCredentials =
  | { readonly kind: 'token'; readonly token: string }
  | { readonly kind: 'app'; readonly appId: string; readonly privateKey: string };

/**
 * A request option of Sluice's (`request: { [FAIL_FAST]: true }`): on a rate limit the call
 * fails (ScmRateLimitedError) instead of being waited out — for callers that come back later.
 */
export const FAIL_FAST = 'sluiceFailFast';

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
export type GitHubOctokit = InstanceType<typeof SluiceOctokit>;

/**
 * plugin-throttling sends every read through one process-wide Bottleneck group of 10 at
 * once ("octokit-global"), whatever the credentials. Reads pass straight through instead;
 * the rate-limit gate (one per set of credentials) bounds how many are in flight and spaces
 * writes (below). The plugin still serialises search and token requests, and waits out rate
 * limits unless a call asks to fail fast (FAIL_FAST).
 */
const unqueued = {
  key: () => ({
    schedule: <A extends unknown[], R>(_job: unknown, fn: (...args: A) => Promise<R>, ...args: A): Promise<R> => fn(...args),
  }),
};

const CLIENTS_PER_CREDENTIALS = 8;

/**
 * Clients of one set of credentials handed out in turn. Each Octokit with the plugins
 * submits every request through its own Bottleneck (the retry limiter), whose submit lock
 * takes one request per event-loop turn (a timer of at least 1 ms): one client tops out
 * near 650 requests/s, whatever the concurrency (global sync of 1,000 repositories × 10
 * branches: 100 s with one client, 38–48 s with eight). The members share the gate and the
 * credentials' auth, so an App installation's token is fetched and cached once.
 */
export class GitHubClients {
  private readonly clients: readonly GitHubOctokit[];
  private turn = 0;

  constructor(options: GitHubClientOptions, installationId?: number, size = CLIENTS_PER_CREDENTIALS) {
    const gate = options.gate ?? new RateLimitGate();
    const first = createGitHubOctokit({ ...options, gate }, installationId);
    const shared = first.auth as SharedAuth;
    this.clients = [first, ...Array.from({ length: size - 1 }, () => createGitHubOctokit({ ...options, gate }, installationId, shared))];
  }

  next(): GitHubOctokit {
    this.turn = (this.turn + 1) % this.clients.length;
    return this.clients[this.turn];
  }
}

/** An Octokit auth (a function with a request hook), as an `authStrategy` returns it. */
type SharedAuth = ((...args: unknown[]) => Promise<unknown>) & { hook: (...args: unknown[]) => Promise<unknown> };

/**
 * An Octokit with Sluice's policy: `@octokit/plugin-throttling` (rate limits waited out as
 * `retry-after` / `x-ratelimit-reset` ask, the handlers below deciding), `@octokit/plugin-retry`
 * (5xx and network failures with backoff), and a rate-limit gate in front of every HTTP
 * call so that no request leaves while the credentials are limited and no more than the
 * gate allows are in flight. App credentials use installation tokens from
 * `@octokit/auth-app`, which caches each token and fetches a new one before it expires;
 * `sharedAuth` reuses another client's (see GitHubClients).
 */
export function createGitHubOctokit(options: GitHubClientOptions, installationId?: number, sharedAuth?: SharedAuth): GitHubOctokit {
  const gate = options.gate ?? new RateLimitGate();
  const maxRetries = options.maxRetries ?? 5;
  const log = options.logger;
  const gatedFetch: typeof fetch = async (input, init) => {
    await gate.acquire();
    let response: Response | undefined;
    try {
      response = await sameOriginFetch(input, init);
      return response;
    } finally {
      gate.release(response?.status ?? 0, (name) => response?.headers.get(name));
    }
  };
  const auth = sharedAuth
    ? { authStrategy: () => sharedAuth }
    : options.credentials.kind === 'token'
      ? { auth: options.credentials.token }
      : {
          authStrategy: createAppAuth,
          auth: {
            appId: options.credentials.appId,
            privateKey: options.credentials.privateKey,
            ...(installationId !== undefined ? { installationId } : {}),
          },
        };
  const onLimit =
    (kind: string) => (retryAfter: number, req: { method: string; url: string; request?: Record<string, unknown> }, _octokit: unknown, retryCount: number) => {
      if (req.request?.[FAIL_FAST]) return false;
      log?.warn({ retryAfter, method: req.method, url: req.url, retryCount }, `GitHub ${kind} rate limit; waiting`);
      return retryCount < maxRetries;
    };
  // Writes are spaced by the credentials' gate (shared with every client of them), not by the
  // plugin's process-wide write group.
  const paced = {
    key: () => ({
      schedule: async <A extends unknown[], R>(_job: unknown, fn: (...args: A) => Promise<R>, ...args: A): Promise<R> => {
        await gate.writeSlot();
        return fn(...args);
      },
    }),
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
      // `global` is read by the plugin (it replaces its group) though its options type omits it.
      ...({ global: unqueued, write: paced } as object),
      onRateLimit: onLimit('primary'),
      onSecondaryRateLimit: onLimit('secondary'),
    },
  });
}
