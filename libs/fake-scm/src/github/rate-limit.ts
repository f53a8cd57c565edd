import { RateBudget, type RateBudgetOptions } from '../common/rate-budget';

export type PrimaryRateLimitOptions = RateBudgetOptions;

/** GitHub's primary ("core") rate limit, reported in x-ratelimit-* headers. */
export class PrimaryRateLimit extends RateBudget {
  constructor(options: PrimaryRateLimitOptions, now: () => number) {
    super(options, now, { limit: 5000, windowSeconds: 3600 });
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
