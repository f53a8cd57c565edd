import { createAppAuth } from '@octokit/auth-app';
import { Octokit } from '@octokit/rest';
import { RateLimitGate } from './rate-limit-gate';
import { requestPolicy } from './request-policy';

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

export type GitHubOctokit = Octokit;

/**
 * An Octokit with Sluice's policy (request-policy.ts: retries after `retry-after` /
 * `x-ratelimit-reset` and on 5xx with backoff, writes paced) and a rate-limit gate in
 * front of every HTTP call so that no request leaves while the credentials are limited
 * and no more than the gate allows are in flight. App credentials use installation
 * tokens from `@octokit/auth-app`, which caches each token and fetches a new one before it expires.
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
  // The policy's options are the client's, so each client gets its own class.
  const Client = Octokit.plugin(
    requestPolicy({
      retries: maxRetries,
      onRateLimit: (retryAfter, req, retryCount) => {
        log?.warn({ retryAfter, method: req.method, url: req.url, retryCount }, 'GitHub primary rate limit; waiting');
        return retryCount < maxRetries;
      },
      onSecondaryRateLimit: (retryAfter, req, retryCount) => {
        log?.warn({ retryAfter, method: req.method, url: req.url, retryCount }, 'GitHub secondary rate limit; waiting');
        return retryCount < maxRetries;
      },
    }),
  );
  return new Client({
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
  });
}
