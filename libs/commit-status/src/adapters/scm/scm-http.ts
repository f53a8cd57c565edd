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
    const res = await this.send(req, where);
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
      const retryable = res.status >= 500 || res.status === 408;
      throw new ScmError(`${where}: ${res.status} ${providerMessage(body)}`.trim(), res.status, retryable);
    }
    return { status: res.status, body: body as T, headers: res.headers };
  }

  /**
   * One request, following redirects only on the same origin: the trusted API host may move
   * a renamed repository, but never hand the Authorization header on to another host.
   */
  private async send(req: ScmRequest, where: string): Promise<Response> {
    let url = req.url;
    for (let hop = 0; ; hop++) {
      let res: Response;
      try {
        res = await this.fetchFn(url, {
          method: req.method,
          headers: {
            Accept: 'application/json',
            'User-Agent': this.userAgent,
            ...(req.body !== undefined ? { 'Content-Type': 'application/json' } : {}),
            ...req.headers,
          },
          body: req.body === undefined ? undefined : JSON.stringify(req.body),
          redirect: 'manual',
          signal: AbortSignal.timeout(this.timeoutMs),
        });
      } catch (err) {
        throw new ScmError(`${where}: ${(err as Error).message}`, undefined, true, { cause: err });
      }
      const location = res.status >= 300 && res.status < 400 ? res.headers.get('location') : null;
      if (location === null) return res;
      await res.body?.cancel();
      const next = new URL(location, url);
      if (next.origin !== new URL(url).origin || hop >= MAX_REDIRECTS) {
        throw new ScmError(`${where}: ${res.status} redirect to another origin (or too many redirects) not followed`, res.status, false);
      }
      url = next.href;
    }
  }
}

const MAX_REDIRECTS = 3;
/** Longest provider error message kept in an error (and so in status and logs). */
const MAX_MESSAGE = 200;

/**
 * What of a failed answer goes into the error: only the provider's own JSON `message` field
 * (GitHub, GitLab and Bitbucket all explain a refusal there), one line, cut short; never the
 * raw body. Requests only ever go to trusted API origins (ApiOriginPolicy), so this is the
 * provider's wording, not an arbitrary server's page.
 */
export function providerMessage(body: unknown): string {
  if (typeof body !== 'object' || body === null) return '';
  const message = (body as { message?: unknown }).message;
  if (typeof message !== 'string') return '';
  return message.replace(/[\u0000-\u001f\u007f]+/g, ' ').trim().slice(0, MAX_MESSAGE);
}

/** Query strings may carry tokens on some providers: never log them. */
function redactUrl(url: string): string {
  const u = new URL(url);
  return `${u.origin}${u.pathname}`;
}
