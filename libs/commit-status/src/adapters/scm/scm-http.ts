import { createHash } from 'node:crypto';
import { ScmError, ScmRateLimitedError } from '../../application/scm-errors';
import { rateLimited } from '../../application/metrics';
import { limitFromResponse, type RateGate } from './rate-gate';

export interface ScmRequest {
  method: 'GET' | 'POST' | 'PATCH' | 'PUT';
  url: string;
  /** The rate-gate key of the credential (never the credential itself). */
  credential: string;
  headers: Record<string, string>;
  body?: unknown;
  /** A write: spaced per credential. */
  write?: boolean;
  /** Statuses that are an answer, not an error (e.g. 404 for "no such status"). */
  accept?: readonly number[];
}

export interface ScmResponse<T> {
  status: number;
  body: T;
  headers: Headers;
}

export interface ScmHttpOptions {
  gate: RateGate;
  timeoutMs?: number;
  userAgent?: string;
  fetch?: typeof fetch;
}

/** A rate-gate key for a secret: a short hash, so the secret never appears in logs or maps. */
export function credentialKey(kind: string, secret: string): string {
  return `${kind}:${createHash('sha256').update(secret).digest('hex').slice(0, 16)}`;
}

/** JSON over fetch through the rate gate; errors typed as ScmError / ScmRateLimitedError. */
export class ScmHttp {
  private readonly timeoutMs: number;
  private readonly userAgent: string;
  private readonly fetchFn: typeof fetch;

  constructor(private readonly opts: ScmHttpOptions) {
    this.timeoutMs = opts.timeoutMs ?? 15_000;
    this.userAgent = opts.userAgent ?? 'sluice-commit-status';
    this.fetchFn = opts.fetch ?? fetch;
  }

  get gate(): RateGate {
    return this.opts.gate;
  }

  async request<T>(req: ScmRequest): Promise<ScmResponse<T>> {
    if (req.write) await this.opts.gate.beforeWrite(req.credential);
    else this.opts.gate.check(req.credential);
    const where = `${req.method} ${redactUrl(req.url)}`;
    let res: Response;
    try {
      res = await this.fetchFn(req.url, {
        method: req.method,
        headers: {
          Accept: 'application/json',
          'User-Agent': this.userAgent,
          ...(req.body !== undefined ? { 'Content-Type': 'application/json' } : {}),
          ...req.headers,
        },
        body: req.body === undefined ? undefined : JSON.stringify(req.body),
        signal: AbortSignal.timeout(this.timeoutMs),
      });
    } catch (err) {
      throw new ScmError(`${where}: ${(err as Error).message}`, undefined, true, { cause: err });
    }
    const text = await res.text().catch(() => '');
    let body: unknown = text;
    if (text && (res.headers.get('content-type') ?? '').includes('json')) {
      try {
        body = JSON.parse(text);
      } catch {
        // keep text
      }
    }
    const until = limitFromResponse(res.status, res.headers, Date.now());
    const failed = res.status >= 400 && !(req.accept ?? []).includes(res.status);
    if (until !== undefined) {
      rateLimited.inc({ status: String(res.status) });
      this.opts.gate.limit(req.credential, until);
      if (failed && (res.status === 403 || res.status === 429)) {
        throw new ScmRateLimitedError(req.credential, until, `${where}: ${res.status} rate limited until ${new Date(until).toISOString()}`);
      }
    }
    if (failed) {
      const detail = typeof body === 'object' && body !== null && 'message' in body ? String((body as { message: unknown }).message) : text.slice(0, 300);
      const retryable = res.status >= 500 || res.status === 408;
      throw new ScmError(`${where}: ${res.status} ${detail}`.trim(), res.status, retryable);
    }
    return { status: res.status, body: body as T, headers: res.headers };
  }
}

/** Query strings may carry tokens on some providers: never log them. */
function redactUrl(url: string): string {
  const u = new URL(url);
  return `${u.origin}${u.pathname}`;
}
