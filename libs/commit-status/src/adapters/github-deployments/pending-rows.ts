import type { Logger } from '@sluice/platform';
import { ScmRateLimitedError } from '@sluice/scm';
import type { DataSource } from 'typeorm';

/** A row a converge loop brings GitHub in line with. */
export interface PendingRow {
  attempts: number;
}

export interface PendingRowsPass<R extends PendingRow> {
  dataSource: DataSource;
  logger: Logger;
  random: () => number;
  /** What the log lines call the work (`github deployment`, `preview comment`). */
  what: string;
  /** The rows due (oldest first, a bounded batch). */
  select: string;
  sync(row: R): Promise<void>;
  /** Records a failed attempt: the next one not before `delayMs` from now. */
  failed(row: R, message: string, delayMs: number): Promise<void>;
  /** The row in the log lines. */
  describe(row: R): Record<string, unknown>;
}

/**
 * The wait before a failed row is tried again: until the credentials' limit lifts when rate
 * limited (no call before then), else full jitter on an exponential backoff (0.5 s … 5 min).
 */
export function retryDelayMs(err: unknown, attempts: number, random: () => number): number {
  if (err instanceof ScmRateLimitedError) return Math.max(0, err.untilMs - Date.now());
  return Math.round(500 + random() * Math.min(300_000, 1000 * 2 ** attempts));
}

/** One pass of a converge loop over the due rows: each synced, a failure recorded with its backoff. */
export async function syncPendingRows<R extends PendingRow>(pass: PendingRowsPass<R>): Promise<void> {
  let rows: R[];
  try {
    rows = await pass.dataSource.query(pass.select);
  } catch (err) {
    pass.logger.warn({ err: (err as Error).message }, `${pass.what}: cannot read pending rows`);
    return;
  }
  for (const row of rows) {
    try {
      await pass.sync(row);
    } catch (err) {
      const delayMs = retryDelayMs(err, row.attempts, pass.random);
      const message = err instanceof Error ? err.message : String(err);
      pass.logger.warn({ ...pass.describe(row), err: message, delayMs }, `${pass.what} sync failed; retrying`);
      await pass.failed(row, message.slice(0, 2000), delayMs).catch((e: unknown) =>
        pass.logger.warn({ ...pass.describe(row), err: e instanceof Error ? e.message : String(e) }, `${pass.what}: cannot record the failure`),
      );
    }
  }
}
