export interface RateBudgetOptions {
  /** Requests per window (GitHub: 5000; GitLab.com: 2000 per minute for API traffic). */
  readonly limit?: number;
  /** Window length in seconds. */
  readonly windowSeconds?: number;
}

/** A request budget per fixed window: what providers report as limit/remaining/reset. */
export class RateBudget {
  readonly limit: number;
  private readonly windowSeconds: number;
  used = 0;
  private resetAtSec: number;

  constructor(
    options: RateBudgetOptions,
    private readonly now: () => number,
    defaults: { limit: number; windowSeconds: number },
  ) {
    this.limit = options.limit ?? defaults.limit;
    this.windowSeconds = options.windowSeconds ?? defaults.windowSeconds;
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

  /** Seconds until the budget refills (at least 1). */
  get secondsToReset(): number {
    return Math.max(1, this.resetAt - this.nowSec());
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
    this.roll();
    this.used = Math.max(0, this.limit - options.remaining);
    if (options.resetInSeconds !== undefined) this.resetAtSec = this.nowSec() + options.resetInSeconds;
  }
}
