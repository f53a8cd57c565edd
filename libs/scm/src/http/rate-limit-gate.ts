/**
 * The rate budget of one set of credentials on one provider API, shared by every client of
 * those credentials in the process (see ScmClients). It keeps a client from sending anything
 * while the credentials are rate limited: it tracks the primary budget from
 * `x-ratelimit-remaining`/`x-ratelimit-reset` (GitHub, Bitbucket) or
 * `ratelimit-remaining`/`ratelimit-reset` (GitLab), reserving budget for requests in flight
 * so concurrent calls never overdraw it, and limits from `retry-after` on 403/429/503; it
 * keeps at most `maxInFlight` requests in flight at once (GitHub's secondary limits allow
 * 100 concurrent requests) and spaces writes by `minWriteIntervalMs` (GitHub's guidance for
 * content-creating requests). Every HTTP call passes `acquire()` first and reports its
 * response headers to `release()`.
 */
export interface GateClock {
  now(): number;
  sleep(ms: number): Promise<void>;
}

const realClock: GateClock = { now: () => Date.now(), sleep: (ms) => new Promise((r) => setTimeout(r, ms)) };

/** Requests of one set of credentials in flight at once by default, well under GitHub's 100. */
export const DEFAULT_MAX_IN_FLIGHT = 64;
/** GitHub's guidance: at least a second between content-creating requests of one set of credentials. */
export const DEFAULT_MIN_WRITE_INTERVAL_MS = 1000;

type HeaderGetter = (name: string) => string | null | undefined;

/**
 * What the replicas of a service share of one set of credentials' budget (a row in PostgreSQL,
 * PgSharedRateLimit): a limit one replica was told of holds every replica, and a restarted one;
 * and the spacing of writes is kept across replicas, so two of them do not double the rate.
 * Durations are relative (ms from now), so the replicas' clocks need not agree.
 */
export interface SharedRateLimit {
  /** Records that the credentials are limited for `ms` from now; a later limit already recorded wins. */
  limitFor(ms: number): Promise<void>;
  /** How much longer the credentials are limited, as any replica recorded it (ms; 0 when not). */
  limitedFor(): Promise<number>;
  /** Reserves the credentials' next write slot, `intervalMs` after the last one of any replica: how long to wait for it (ms). */
  reserveWrite(intervalMs: number): Promise<number>;
}

/** How often a gate re-reads the shared limit (other replicas' `Retry-After`) before it lets a request go. */
export const SHARED_LIMIT_READ_MS = 1000;

export class RateLimitGate {
  private remaining: number | null = null;
  private resetAtMs = 0;
  private limitedUntilMs = 0;
  private inFlight = 0;
  private nextWriteAtMs = 0;
  /** The server sends no budget headers: nothing to reserve. */
  private unmetered = false;
  private waiters: Array<() => void> = [];
  /** Total time callers spent waiting, for metrics and tests. */
  waitedMs = 0;
  private shared: { state: SharedRateLimit; onError: (error: unknown) => void } | null = null;
  private sharedReadAtMs = -Infinity;
  private sharedRead: Promise<void> | null = null;
  private sharedWrites: Promise<void> = Promise.resolve();

  constructor(
    private readonly clock: GateClock = realClock,
    /** Margin added to a reset time: the server's clock runs in whole seconds. */
    private readonly marginMs = 250,
    /** Requests in flight at once; GitHub's secondary limits allow 100 concurrent requests. */
    private readonly maxInFlight = DEFAULT_MAX_IN_FLIGHT,
    /** Minimum time between two writes of the credentials, queued in order. */
    public minWriteIntervalMs = DEFAULT_MIN_WRITE_INTERVAL_MS,
  ) {}

  /**
   * Shares the credentials' limits and write spacing with the other replicas (and with this
   * process after a restart) through `state`. When it cannot be reached the gate goes on alone
   * (`onError` is told): GitHub's own answers still hold every call back.
   */
  share(state: SharedRateLimit, onError: (error: unknown) => void = () => undefined): void {
    this.shared = { state, onError };
    this.sharedReadAtMs = -Infinity;
  }

  /** Resolves when what this gate learnt has been recorded in the shared state (tests). */
  async flushShared(): Promise<void> {
    await this.sharedWrites;
  }

  /** Waits for the credentials' next write slot and reserves it (writes go out in the order they asked). */
  async writeSlot(): Promise<void> {
    if (this.shared && this.minWriteIntervalMs > 0) {
      try {
        const waitMs = await this.shared.state.reserveWrite(this.minWriteIntervalMs);
        if (waitMs > 0) await this.clock.sleep(waitMs);
        return;
      } catch (error) {
        this.shared.onError(error); // spaced by this replica alone, below
      }
    }
    const now = this.clock.now();
    const slot = Math.max(now, this.nextWriteAtMs);
    this.nextWriteAtMs = slot + this.minWriteIntervalMs;
    if (slot > now) await this.clock.sleep(slot - now);
  }

  /**
   * Until when a request sent now would be held for a rate limit (epoch ms), or null when
   * it would not. Callers that would rather come back later than wait (a controller with a
   * work queue) ask this instead of waiting in `acquire()`.
   */
  blockedUntil(): number | null {
    void this.readShared(); // what other replicas were told is taken in for the next ask
    const now = this.clock.now();
    const until = Math.max(this.limitedUntilMs, this.remaining !== null && this.remaining - this.inFlight <= 0 && this.resetAtMs > now ? this.resetAtMs : 0);
    return until > now ? until : null;
  }

  /** Resolves when a request may be sent; the caller must call `release` afterwards. */
  async acquire(): Promise<void> {
    for (;;) {
      await this.readShared();
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

  /** Takes the other replicas' limit in, at most once per SHARED_LIMIT_READ_MS (one read for concurrent callers). */
  private readShared(): Promise<void> {
    const shared = this.shared;
    if (!shared || this.clock.now() - this.sharedReadAtMs < SHARED_LIMIT_READ_MS) return Promise.resolve();
    this.sharedRead ??= shared.state
      .limitedFor()
      .then((ms) => {
        const now = this.clock.now();
        if (ms > 0) this.limitedUntilMs = Math.max(this.limitedUntilMs, now + ms);
      })
      .catch((error: unknown) => shared.onError(error))
      .finally(() => {
        this.sharedReadAtMs = this.clock.now();
        this.sharedRead = null;
      });
    return this.sharedRead;
  }

  private observe(status: number, header: HeaderGetter): void {
    const limitedBefore = this.limitedUntilMs;
    this.observeHeaders(status, header);
    const shared = this.shared;
    if (shared && this.limitedUntilMs > limitedBefore) {
      const ms = this.limitedUntilMs - this.clock.now();
      if (ms > 0) this.sharedWrites = this.sharedWrites.then(() => shared.state.limitFor(ms)).catch((error: unknown) => shared.onError(error));
    }
  }

  private observeHeaders(status: number, header: HeaderGetter): void {
    const now = this.clock.now();
    const remainingText = header('x-ratelimit-remaining') ?? header('ratelimit-remaining');
    const resetText = header('x-ratelimit-reset') ?? header('ratelimit-reset');
    const remaining = Number(remainingText);
    const reset = Number(resetText);
    if (status > 0 && remainingText == null) this.unmetered = true;
    if (remainingText != null && Number.isFinite(remaining)) {
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
    if (status === 403 || status === 429 || status === 503) {
      const retryAfter = retryAfterMs(header('retry-after'), now);
      if (retryAfter !== null) {
        // A duration (or a date) the server asks for: no margin of our own on top.
        this.limitedUntilMs = Math.max(this.limitedUntilMs, now + retryAfter);
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

/** `retry-after` in seconds or as an HTTP date, as milliseconds from now; null when absent or unreadable. */
function retryAfterMs(value: string | null | undefined, now: number): number | null {
  if (value == null) return null;
  if (/^\s*\d+\s*$/.test(value)) return Number(value) * 1000;
  const date = Date.parse(value);
  return Number.isNaN(date) ? null : Math.max(0, date - now);
}

