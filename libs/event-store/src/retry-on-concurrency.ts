import type { DataSource, EntityManager } from 'typeorm';
import { ConcurrencyError } from './errors';
import { backoffWithJitter } from './log-subscription';

/**
 * The one policy for a load → decide → append cycle that lost a race to another writer of the
 * same stream (a ConcurrencyError): run it again, reloaded, up to 8 times, after a backoff of
 * 10 ms doubling to 500 ms with jitter. Any other error, or the 8th conflict, is thrown.
 */
export const CONCURRENCY_RETRY = { attempts: 8, baseMs: 10, capMs: 500 } as const;

export interface ConcurrencyRetryOptions {
  /** Told before each retry (metrics, a debug line). */
  readonly onRetry?: (attempt: number, error: ConcurrencyError) => void;
  /** Tests replace the wait. */
  readonly sleep?: (ms: number) => Promise<void>;
}

/** Runs `attempt` again under CONCURRENCY_RETRY while it fails with a ConcurrencyError. */
export async function retryOnConcurrency<T>(attempt: (n: number) => Promise<T>, options: ConcurrencyRetryOptions = {}): Promise<T> {
  const sleep = options.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
  for (let n = 1; ; n++) {
    try {
      return await attempt(n);
    } catch (error) {
      if (!(error instanceof ConcurrencyError) || n >= CONCURRENCY_RETRY.attempts) throw error;
      options.onRetry?.(n, error);
      await sleep(backoffWithJitter(n, CONCURRENCY_RETRY.baseMs, CONCURRENCY_RETRY.capMs));
    }
  }
}

/** `work` in a transaction of its own, again in a new one (reloading what it read) when a concurrent append moved its stream. */
export function transactWithRetry<T>(dataSource: DataSource, work: (manager: EntityManager) => Promise<T>, options: ConcurrencyRetryOptions = {}): Promise<T> {
  return retryOnConcurrency(() => dataSource.transaction(work), options);
}
