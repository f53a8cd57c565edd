import type { Octokit } from '@octokit/rest';

/**
 * Sluice's retry and pacing policy for Octokit, in place of `@octokit/plugin-throttling`
 * and `@octokit/plugin-retry`. Both plugins schedule every request through Bottleneck,
 * which yields a macrotask (setTimeout 0) several times per job: on a busy event loop
 * each request waited ~100 ms there, far longer than GitHub took to answer, and no
 * amount of concurrency helped. The policy keeps what they did for us:
 * - rate limits (403/429 with `retry-after`, `x-ratelimit-remaining: 0`, or a secondary
 *   limit message): retried after the wait GitHub asks for, `onRateLimit` /
 *   `onSecondaryRateLimit` decide whether to retry (the rate-limit gate under it holds
 *   every other request meanwhile);
 * - other failures with a status ≥ 400 except 400/401/403/404/410/422/451, and network
 *   failures: retried after (n+1)² seconds;
 * - writes one at a time, at least a second apart; App/OAuth token requests one at a time.
 * Reads are not queued: the gate bounds how many are in flight.
 */
export interface RequestPolicyOptions {
  readonly retries: number;
  onRateLimit(retryAfterSeconds: number, req: { method: string; url: string }, retryCount: number): boolean;
  onSecondaryRateLimit(retryAfterSeconds: number, req: { method: string; url: string }, retryCount: number): boolean;
  readonly sleep?: (ms: number) => Promise<void>;
}

const DO_NOT_RETRY = new Set([400, 401, 403, 404, 410, 422, 451]);
const FALLBACK_SECONDARY_RETRY_AFTER_S = 60;
const WRITE_GAP_MS = 1000;

interface FailedRequest {
  status?: number;
  message?: string;
  response?: { headers?: Record<string, string | undefined> };
}

const realSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** One at a time, starts at least `gapMs` apart (process-wide, as plugin-throttling's groups were). */
class Serial {
  private tail: Promise<unknown> = Promise.resolve();
  private lastStart = 0;

  constructor(private readonly gapMs: number) {}

  run<T>(fn: () => Promise<T>, sleep: (ms: number) => Promise<void>): Promise<T> {
    const result = this.tail.then(async () => {
      const wait = this.lastStart + this.gapMs - Date.now();
      if (wait > 0) await sleep(wait);
      this.lastStart = Date.now();
      return fn();
    });
    this.tail = result.catch(() => undefined);
    return result;
  }
}

const writes = new Serial(WRITE_GAP_MS);
const tokens = new Serial(0);

function isTokenRequest(method: string, pathname: string): boolean {
  return (
    (method === 'PATCH' && /^\/applications\/[^/]+\/token\/scoped$/.test(pathname)) ||
    (method === 'POST' &&
      (/^\/applications\/[^/]+\/token$/.test(pathname) || /^\/app\/installations\/[^/]+\/access_tokens$/.test(pathname) || pathname === '/login/oauth/access_token'))
  );
}

/** Milliseconds to wait before the next attempt, or null when the failure is not retried. */
export function retryDelayMs(error: unknown, attempt: number, req: { method: string; url: string }, policy: RequestPolicyOptions): number | null {
  const e = error as FailedRequest;
  const status = typeof e?.status === 'number' ? e.status : undefined;
  const headers = e?.response?.headers ?? {};
  if (status === 403 || status === 429) {
    if (/\bsecondary rate\b/i.test(e.message ?? '') || (headers['retry-after'] != null && Number.isFinite(Number(headers['retry-after'])))) {
      const after = Number(headers['retry-after']) || FALLBACK_SECONDARY_RETRY_AFTER_S;
      return policy.onSecondaryRateLimit(after, req, attempt) ? after * 1000 : null;
    }
    if (headers['x-ratelimit-remaining'] === '0') {
      const after = Math.max(Math.ceil((Number(headers['x-ratelimit-reset']) * 1000 - Date.now()) / 1000) + 1, 0);
      return policy.onRateLimit(after, req, attempt) ? after * 1000 : null;
    }
  }
  if (attempt >= policy.retries) return null;
  // A network failure reaches us as a RequestError of status 500, like a server error.
  if (status !== undefined && status >= 400 && !DO_NOT_RETRY.has(status)) return (attempt + 1) ** 2 * 1000;
  return null;
}

/** An Octokit plugin applying the policy (see the file comment). */
export function requestPolicy(policy: RequestPolicyOptions) {
  const sleep = policy.sleep ?? realSleep;
  return (octokit: Pick<Octokit, 'hook'>) => {
    octokit.hook.wrap('request', (request, options) => {
      const attempts = async () => {
        for (let attempt = 0; ; attempt++) {
          try {
            return await request(options);
          } catch (error) {
            const delay = retryDelayMs(error, attempt, options, policy);
            if (delay === null) throw error;
            await sleep(delay);
          }
        }
      };
      const method = options.method.toUpperCase();
      if (method === 'GET' || method === 'HEAD') return attempts();
      const pathname = new URL(options.url, 'http://github.test').pathname;
      return (isTokenRequest(method, pathname) ? tokens : writes).run(attempts, sleep);
    });
    return {};
  };
}
