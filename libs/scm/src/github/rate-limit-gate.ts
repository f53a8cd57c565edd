/**
 * Keeps a GitHub client from sending anything while it is rate limited. It tracks the
 * primary budget from `x-ratelimit-remaining`/`x-ratelimit-reset` (reserving budget for
 * requests in flight, so concurrent calls never overdraw it) and secondary limits from
 * `retry-after` on 403/429, and keeps at most `maxInFlight` requests of the credentials
 * in flight at once (GitHub's secondary limits allow 100 concurrent requests). Every
 * HTTP call passes `acquire()` first and reports its response headers to `release()`.
 */
export interface GateClock {
  now(): number;
  sleep(ms: number): Promise<void>;
}

const realClock: GateClock = { now: () => Date.now(), sleep: (ms) => new Promise((r) => setTimeout(r, ms)) };

/** Requests of one set of credentials in flight at once by default, well under GitHub's 100. */
export const DEFAULT_MAX_IN_FLIGHT = 64;

type HeaderGetter = (name: string) => string | null | undefined;

export class RateLimitGate {
  private remaining: number | null = null;
  private resetAtMs = 0;
  private limitedUntilMs = 0;
  private inFlight = 0;
  /** The server sends no budget headers: nothing to reserve. */
  private unmetered = false;
  private waiters: Array<() => void> = [];
  /** Total time callers spent waiting, for metrics and tests. */
  waitedMs = 0;

  constructor(
    private readonly clock: GateClock = realClock,
    /** Margin added to a reset time: the server's clock runs in whole seconds. */
    private readonly marginMs = 250,
    /** Requests in flight at once; GitHub's secondary limits allow 100 concurrent requests. */
    private readonly maxInFlight = DEFAULT_MAX_IN_FLIGHT,
  ) {}

  /** Resolves when a request may be sent; the caller must call `release` afterwards. */
  async acquire(): Promise<void> {
    for (;;) {
      const now = this.clock.now();
      if (now < this.limitedUntilMs) {
        await this.wait(this.limitedUntilMs - now);
        continue;
      }
      if (this.remaining !== null && now >= this.resetAtMs && this.resetAtMs > 0) {
        // The window rolled over: the budget is unknown again until the next answer.
        this.remaining = null;
      }
      if (this.inFlight >= this.maxInFlight) {
        await this.nextRelease();
        continue;
      }
      if (this.remaining === null && !this.unmetered && this.inFlight > 0) {
        // Budget unknown (first call, or a new window): one probe finds it out before
        // anything else is sent.
        await this.nextRelease();
        continue;
      }
      if (this.remaining !== null && this.remaining - this.inFlight <= 0) {
        if (this.inFlight > 0) await this.nextRelease();
        else await this.wait(Math.max(this.resetAtMs - now, 10));
        continue;
      }
      this.inFlight++;
      return;
    }
  }

  /** Reports one answer (or a failed attempt: `status` 0 and no headers). */
  release(status: number, header: HeaderGetter = () => undefined): void {
    this.inFlight = Math.max(0, this.inFlight - 1);
    this.observe(status, header);
    const waiters = this.waiters;
    this.waiters = [];
    for (const w of waiters) w();
  }

  /** Whether a request sent now would be sent while limited. */
  isLimited(): boolean {
    const now = this.clock.now();
    return now < this.limitedUntilMs || (this.remaining === 0 && now < this.resetAtMs);
  }

  private observe(status: number, header: HeaderGetter): void {
    const now = this.clock.now();
    const remaining = Number(header('x-ratelimit-remaining'));
    const reset = Number(header('x-ratelimit-reset'));
    if (status > 0 && header('x-ratelimit-remaining') == null) this.unmetered = true;
    if (header('x-ratelimit-remaining') != null && Number.isFinite(remaining)) {
      this.unmetered = false;
      const resetAtMs = Number.isFinite(reset) && reset > 0 ? reset * 1000 + this.marginMs : now + 60_000;
      if (resetAtMs > this.resetAtMs + this.marginMs) {
        // A new window: its figure replaces the old one.
        this.resetAtMs = resetAtMs;
        this.remaining = remaining;
      } else {
        // Answers arrive out of order within a window: the smallest figure is the latest.
        this.remaining = this.remaining === null ? remaining : Math.min(this.remaining, remaining);
        this.resetAtMs = Math.max(this.resetAtMs, resetAtMs);
      }
      if (remaining === 0) this.limitedUntilMs = Math.max(this.limitedUntilMs, this.resetAtMs);
    }
    if (status === 403 || status === 429) {
      const retryAfter = Number(header('retry-after'));
      if (header('retry-after') != null && Number.isFinite(retryAfter)) {
        this.limitedUntilMs = Math.max(this.limitedUntilMs, now + retryAfter * 1000 + this.marginMs);
      } else if (remaining === 0) {
        this.limitedUntilMs = Math.max(this.limitedUntilMs, this.resetAtMs);
      } else if (status === 429) {
        // A 429 without guidance: GitHub asks for at least a minute.
        this.limitedUntilMs = Math.max(this.limitedUntilMs, now + 60_000);
      }
    }
  }

  private async wait(ms: number): Promise<void> {
    this.waitedMs += ms;
    await this.clock.sleep(ms);
  }

  private nextRelease(): Promise<void> {
    return new Promise((resolve) => this.waiters.push(resolve));
  }
}
