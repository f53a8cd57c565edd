export interface PrimaryRateLimitOptions {
  /** Requests per window (GitHub: 5000 for tokens, 15000 for large installations). */
  readonly limit?: number;
  /** Window length in seconds (GitHub: one hour). */
  readonly windowSeconds?: number;
}

/** GitHub's primary ("core") rate limit: a budget per window, reported in x-ratelimit-* headers. */
export class PrimaryRateLimit {
  readonly limit: number;
  private readonly windowSeconds: number;
  used = 0;
  private resetAtSec: number;

  constructor(
    options: PrimaryRateLimitOptions,
    private readonly now: () => number,
  ) {
    this.limit = options.limit ?? 5000;
    this.windowSeconds = options.windowSeconds ?? 3600;
    this.resetAtSec = this.nowSec() + this.windowSeconds;
  }

  private nowSec(): number {
    return Math.floor(this.now() / 1000);
  }

  private roll(): void {
    if (this.nowSec() >= this.resetAtSec) {
      this.used = 0;
      this.resetAtSec = this.nowSec() + this.windowSeconds;
    }
  }

  get remaining(): number {
    this.roll();
    return Math.max(0, this.limit - this.used);
  }

  /** Epoch seconds at which the budget refills. */
  get resetAt(): number {
    this.roll();
    return this.resetAtSec;
  }

  isExhausted(): boolean {
    return this.remaining === 0;
  }

  /** Takes one request from the budget; false when none is left. */
  consume(): boolean {
    this.roll();
    if (this.used >= this.limit) return false;
    this.used += 1;
    return true;
  }

  /** Sets what is left (e.g. 0 to exhaust) and, optionally, when the window resets. */
  set(options: { remaining: number; resetInSeconds?: number }): void {
    this.used = Math.max(0, this.limit - options.remaining);
    if (options.resetInSeconds !== undefined) this.resetAtSec = this.nowSec() + options.resetInSeconds;
  }

  headers(): Record<string, string> {
    return {
      'x-ratelimit-limit': String(this.limit),
      'x-ratelimit-remaining': String(this.remaining),
      'x-ratelimit-reset': String(this.resetAt),
      'x-ratelimit-used': String(this.used),
      'x-ratelimit-resource': 'core',
    };
  }
}
