import type { FakeRequest, FakeResponse } from './types';

export interface FailureInjection {
  /** HTTP status to answer with (e.g. 500, 502, 503). */
  readonly status: number;
  /** How many matching requests fail; default 1. */
  readonly times?: number;
  /** Only requests whose path matches fail; default all. */
  readonly path?: RegExp;
  /** Only requests with this method fail; default all. */
  readonly method?: string;
  readonly body?: unknown;
}

export interface RateLimitInjection {
  /** 403 (GitHub's secondary limit) or 429. */
  readonly status: 403 | 429;
  readonly retryAfterSeconds: number;
  /** How many requests are refused; default 1. */
  readonly times?: number;
  readonly path?: RegExp;
}

interface Pending<T> {
  spec: T;
  remaining: number;
}

/**
 * Queued failures and secondary rate limits, plus the "limited until" clock that tells
 * whether a client came back before the time it was told to wait.
 */
export class FaultPlan {
  private failures: Pending<FailureInjection>[] = [];
  private limits: Pending<RateLimitInjection>[] = [];
  private limitedUntilMs = 0;
  latencyMs = 0;

  constructor(private readonly now: () => number) {}

  injectFailure(spec: FailureInjection): void {
    this.failures.push({ spec, remaining: spec.times ?? 1 });
  }

  injectRateLimit(spec: RateLimitInjection): void {
    this.limits.push({ spec, remaining: spec.times ?? 1 });
  }

  clear(): void {
    this.failures = [];
    this.limits = [];
    this.limitedUntilMs = 0;
  }

  /** The client must not send anything before `untilMs`. */
  limitUntil(untilMs: number): void {
    this.limitedUntilMs = Math.max(this.limitedUntilMs, untilMs);
  }

  isLimited(): boolean {
    return this.now() < this.limitedUntilMs;
  }

  get pendingFailures(): number {
    return this.failures.reduce((n, f) => n + f.remaining, 0);
  }

  takeFailure(req: FakeRequest): FailureInjection | undefined {
    const hit = this.failures.find(
      (f) => f.remaining > 0 && (!f.spec.path || f.spec.path.test(req.path)) && (!f.spec.method || f.spec.method === req.method),
    );
    if (!hit) return undefined;
    hit.remaining -= 1;
    this.failures = this.failures.filter((f) => f.remaining > 0);
    return hit.spec;
  }

  takeRateLimit(req: FakeRequest): RateLimitInjection | undefined {
    const hit = this.limits.find((l) => l.remaining > 0 && (!l.spec.path || l.spec.path.test(req.path)));
    if (!hit) return undefined;
    hit.remaining -= 1;
    this.limits = this.limits.filter((l) => l.remaining > 0);
    this.limitUntil(this.now() + hit.spec.retryAfterSeconds * 1000);
    return hit.spec;
  }
}

export function defaultFailureBody(status: number): FakeResponse['body'] {
  const text: Record<number, string> = { 500: 'Server Error', 502: 'Bad Gateway', 503: 'Service Unavailable', 504: 'Gateway Timeout' };
  return { message: text[status] ?? `HTTP ${status}` };
}
