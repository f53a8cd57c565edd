import { ScmRateLimitedError, ScmRequestError } from '../errors';
import { failureMessage, redactUrl, sameOriginFetch } from './provider-fetch';
import type { RateLimitGate } from './rate-limit-gate';

export interface ProviderRequest {
  readonly method: 'GET' | 'POST' | 'PATCH' | 'PUT';
  readonly url: string;
  readonly headers: Record<string, string>;
  readonly body?: unknown;
  /** Statuses that are an answer, not an error (e.g. 404 for "no such status"). */
  readonly accept?: readonly number[];
}

export interface ProviderResponse<T> {
  readonly status: number;
  readonly body: T;
}

/**
 * How a provider call is retried: 5xx, 408 and network failures with exponential backoff and
 * full jitter; a rate limit (429/403/503 with retry-after, an exhausted budget) is waited out
 * when it ends within `maxRateLimitWaitMs`, else the call fails at once with
 * ScmRateLimitedError — a controller with a work queue comes back later rather than hold a
 * worker for an hour.
 */
export interface RetryPolicy {
  /** Tries in all, the first included; default 3. */
  readonly attempts?: number;
  readonly baseDelayMs?: number;
  readonly maxDelayMs?: number;
  /** Longest rate limit waited out inline; default 0 (fail fast). */
  readonly maxRateLimitWaitMs?: number;
}

export interface ProviderHttpOptions {
  readonly gate: RateLimitGate;
  readonly retry?: RetryPolicy;
  readonly timeoutMs?: number;
  readonly userAgent?: string;
  readonly fetch?: typeof fetch;
  readonly random?: () => number;
  readonly sleep?: (ms: number) => Promise<void>;
}

/**
 * JSON over fetch for providers without a client library in the project (GitLab, Bitbucket):
 * through the credentials' rate-limit gate, same-origin redirects only, retries per
 * RetryPolicy, failures as the SCM errors with the provider's `message` only.
 */
export class ProviderHttp {
  private readonly attempts: number;
  private readonly baseDelayMs: number;
  private readonly maxDelayMs: number;
  private readonly maxRateLimitWaitMs: number;
  private readonly random: () => number;
  private readonly sleep: (ms: number) => Promise<void>;

  constructor(private readonly options: ProviderHttpOptions) {
    this.attempts = Math.max(1, options.retry?.attempts ?? 3);
    this.baseDelayMs = options.retry?.baseDelayMs ?? 200;
    this.maxDelayMs = options.retry?.maxDelayMs ?? 5000;
    this.maxRateLimitWaitMs = options.retry?.maxRateLimitWaitMs ?? 0;
    this.random = options.random ?? Math.random;
    this.sleep = options.sleep ?? ((ms) => new Promise((r) => setTimeout(r, ms)));
  }

  async request<T>(req: ProviderRequest): Promise<ProviderResponse<T>> {
    const gate = this.options.gate;
    for (let attempt = 1; ; attempt++) {
      await this.waitOutLimit();
      if (req.method !== 'GET') await gate.writeSlot();
      await this.waitOutLimit();
      let res: Response | undefined;
      await gate.acquire();
      try {
        res = await this.send(req);
      } catch (err) {
        if (err instanceof ScmRequestError) throw err;
        if (attempt < this.attempts) {
          await this.sleep(this.backoff(attempt));
          continue;
        }
        throw new ScmRequestError(0, `${req.method} ${redactUrl(req.url)}: ${(err as Error).message}`, true);
      } finally {
        gate.release(res?.status ?? 0, (name) => res?.headers.get(name));
      }
      const body = await readBody(res);
      if (res.status < 400 || (req.accept ?? []).includes(res.status)) return { status: res.status, body: body as T };
      if (gate.blockedUntil() !== null && (res.status === 403 || res.status === 429 || res.status === 503)) {
        if (attempt < this.attempts) continue; // waitOutLimit waits, or throws when too long
        throw new ScmRateLimitedError(gate.blockedUntil()!, `${req.method} ${redactUrl(req.url)}: ${res.status} rate limited until ${new Date(gate.blockedUntil()!).toISOString()}`);
      }
      const transient = res.status >= 500 || res.status === 408;
      if (transient && attempt < this.attempts) {
        await this.sleep(this.backoff(attempt));
        continue;
      }
      throw new ScmRequestError(res.status, failureMessage(req.method, req.url, res.status, body), transient);
    }
  }

  /** Full jitter: a random delay up to base × 2^(attempt-1), capped. */
  private backoff(attempt: number): number {
    return Math.round(this.random() * Math.min(this.maxDelayMs, this.baseDelayMs * 2 ** (attempt - 1)));
  }

  private async waitOutLimit(): Promise<void> {
    const until = this.options.gate.blockedUntil();
    if (until === null) return;
    const wait = until - Date.now();
    if (wait > this.maxRateLimitWaitMs) throw new ScmRateLimitedError(until);
    await this.sleep(wait);
  }

  private send(req: ProviderRequest): Promise<Response> {
    return sameOriginFetch(
      req.url,
      {
        method: req.method,
        headers: {
          Accept: 'application/json',
          'User-Agent': this.options.userAgent ?? 'sluice',
          ...(req.body !== undefined ? { 'Content-Type': 'application/json' } : {}),
          ...req.headers,
        },
        body: req.body === undefined ? undefined : JSON.stringify(req.body),
        signal: AbortSignal.timeout(this.options.timeoutMs ?? 15_000),
      },
      this.options.fetch,
    );
  }
}

async function readBody(res: Response): Promise<unknown> {
  const text = await res.text().catch(() => '');
  if (!text || !(res.headers.get('content-type') ?? '').includes('json')) return text;
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}
