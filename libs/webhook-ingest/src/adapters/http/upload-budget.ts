import { TooManyRequestsError } from '@sluice/platform';

export interface UploadBudgetLimits {
  /** Bytes of webhook bodies held in memory before their signature was checked, all requests together. */
  readonly maxBytes: number;
  /** Webhook bodies being read (and checked) at once. */
  readonly maxReaders: number;
  /** What `Retry-After` tells a refused sender. */
  readonly retryAfterSeconds: number;
}

/** 64 MiB: two deliveries at GitHub's 25 MB cap, or thousands of ordinary pushes, at once. */
export const DEFAULT_INFLIGHT_BYTES = 64 * 1024 * 1024;
export const DEFAULT_MAX_READERS = 64;
export const DEFAULT_RETRY_AFTER_SECONDS = 5;

/**
 * 429 + Retry-After: the bound on unverified uploads is reached; nothing more of this body is
 * buffered. A 4xx: the senders together are sending too much (a flood of slow clients must not
 * read as Sluice failing), and GitHub redelivers a refused delivery like any other.
 */
export class UploadBudgetExceededError extends TooManyRequestsError {
  constructor(what: 'bytes' | 'readers', retryAfterSeconds: number) {
    super(
      what === 'bytes'
        ? 'too many webhook bytes are being received at once; retry later'
        : 'too many webhook deliveries are being received at once; retry later',
      { code: 'webhook_busy', retryAfterSeconds },
    );
  }
}

/**
 * A body's share of the budget: a reader's slot and the bytes it holds. `release` gives
 * back both and may be called any number of times, so every exit path can call it.
 */
export interface UploadTicket {
  /** Takes `bytes` more, or throws `UploadBudgetExceededError`, taking nothing, when that would pass the budget. */
  take(bytes: number): void;
  release(): void;
}

/**
 * Bounds what unauthenticated senders can make the process hold: anyone can send a
 * webhook request, and its body has to be buffered before its signature can be checked.
 * Without a bound, slow or many concurrent 25 MB uploads exhaust memory. Per process, in
 * memory: each instance of the service keeps its own.
 */
export class UploadBudget {
  private bytes = 0;
  private readers = 0;

  constructor(readonly limits: UploadBudgetLimits) {
    if (!(limits.maxBytes > 0) || !(limits.maxReaders > 0)) throw new Error('UploadBudget: limits must be positive');
  }

  /** What is held now (for tests and metrics). */
  get inUse(): { readonly bytes: number; readonly readers: number } {
    return { bytes: this.bytes, readers: this.readers };
  }

  /** A reader's slot, or `UploadBudgetExceededError` when `maxReaders` bodies are already being read. */
  admit(): UploadTicket {
    if (this.readers >= this.limits.maxReaders) throw new UploadBudgetExceededError('readers', this.limits.retryAfterSeconds);
    this.readers++;
    let held = 0;
    let released = false;
    return {
      take: (bytes: number): void => {
        if (released) throw new Error('UploadTicket: take after release');
        if (this.bytes + bytes > this.limits.maxBytes) throw new UploadBudgetExceededError('bytes', this.limits.retryAfterSeconds);
        this.bytes += bytes;
        held += bytes;
      },
      release: (): void => {
        if (released) return;
        released = true;
        this.bytes -= held;
        this.readers--;
      },
    };
  }
}
