import { ScmRateLimitedError } from '../../application/scm-errors';

export interface RateGateOptions {
  /** Minimum time between two writes with one credential. Default 1000 ms (GitHub's guidance for content-creating requests). */
  minWriteIntervalMs?: number;
  now?: () => number;
  sleep?: (ms: number) => Promise<void>;
}

/**
 * SCM etiquette per credential (installation or token): writes are spaced by at least
 * `minWriteIntervalMs` (queued in order), and once the SCM says the credential is limited
 * (retry-after, x-ratelimit-reset) no call at all is made before that time.
 */
export class RateGate {
  private readonly limitedUntil = new Map<string, number>();
  private readonly nextWriteAt = new Map<string, number>();
  private readonly interval: number;
  private readonly now: () => number;
  private readonly sleep: (ms: number) => Promise<void>;

  constructor(opts: RateGateOptions = {}) {
    this.interval = opts.minWriteIntervalMs ?? 1000;
    this.now = opts.now ?? Date.now;
    this.sleep = opts.sleep ?? ((ms) => new Promise((r) => setTimeout(r, ms)));
  }

  /** Throws ScmRateLimitedError while the credential is limited. */
  check(credential: string): void {
    const until = this.limitedUntil.get(credential);
    if (until === undefined) return;
    if (this.now() < until) throw new ScmRateLimitedError(credential, until);
    this.limitedUntil.delete(credential);
  }

  /** Waits for the credential's next write slot (and reserves it), then checks the limit. */
  async beforeWrite(credential: string): Promise<void> {
    this.check(credential);
    const now = this.now();
    const slot = Math.max(now, this.nextWriteAt.get(credential) ?? 0);
    this.nextWriteAt.set(credential, slot + this.interval);
    if (slot > now) await this.sleep(slot - now);
    this.check(credential);
  }

  /** Records that the SCM asked for no calls before `untilMs` (the later of two limits wins). */
  limit(credential: string, untilMs: number): void {
    const current = this.limitedUntil.get(credential) ?? 0;
    if (untilMs > current) this.limitedUntil.set(credential, untilMs);
  }

  limitedUntilOf(credential: string): number | undefined {
    const until = this.limitedUntil.get(credential);
    return until !== undefined && until > this.now() ? until : undefined;
  }
}

/**
 * When a response says the credential is limited: `retry-after` (seconds or an HTTP date),
 * else an exhausted budget's reset (`x-ratelimit-reset`/`ratelimit-reset`, epoch seconds, with
 * `x-ratelimit-remaining: 0`), else for a 429 one minute (GitHub's advice for secondary limits).
 */
export function limitFromResponse(status: number, headers: Headers, nowMs: number): number | undefined {
  const retryAfter = headers.get('retry-after');
  if (retryAfter !== null && (status === 429 || status === 403 || status === 503)) {
    const seconds = /^\s*\d+\s*$/.test(retryAfter) ? Number(retryAfter) : undefined;
    if (seconds !== undefined) return nowMs + seconds * 1000;
    const date = Date.parse(retryAfter);
    if (!Number.isNaN(date)) return Math.max(nowMs, date);
  }
  const remaining = headers.get('x-ratelimit-remaining') ?? headers.get('ratelimit-remaining');
  const reset = headers.get('x-ratelimit-reset') ?? headers.get('ratelimit-reset');
  if (remaining !== null && Number(remaining) === 0 && reset !== null && /^\d+$/.test(reset.trim())) {
    const resetMs = Number(reset) * 1000;
    // Some servers send seconds-until-reset instead of an epoch: anything before 2001 is relative.
    return resetMs < 1_000_000_000_000 ? nowMs + resetMs : resetMs;
  }
  if (status === 429) return nowMs + 60_000;
  return undefined;
}
