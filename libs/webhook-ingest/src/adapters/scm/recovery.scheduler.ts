import { Inject, Injectable, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { runExclusive, SERVICE_DATA_SOURCE } from '@sluice/event-store';
import { createLogger } from '@sluice/platform';
import type { DataSource } from 'typeorm';
import { RecoverMissedDeliveries } from '../../application/recover-missed-deliveries';

export const RECOVERY_SETTINGS = Symbol('RECOVERY_SETTINGS');

export interface RecoverySettings {
  readonly recovery: RecoverMissedDeliveries | null;
  readonly intervalMs: number;
}

/**
 * Runs missed-webhook recovery every interval (with jitter, so replicas spread out);
 * one replica at a time holds a session advisory lock for a run.
 */
@Injectable()
export class RecoveryScheduler implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly log = createLogger('webhook-recovery');
  private timer: NodeJS.Timeout | null = null;
  private current: Promise<void> | null = null;
  private stopped = false;

  constructor(
    @Inject(RECOVERY_SETTINGS) private readonly settings: RecoverySettings,
    @Inject(SERVICE_DATA_SOURCE) private readonly dataSource: DataSource,
  ) {}

  onApplicationBootstrap(): void {
    if (!this.settings.recovery || this.settings.intervalMs <= 0) {
      this.log.info({}, 'missed-webhook recovery is off (needs GitHub credentials and a hook)');
      return;
    }
    this.schedule();
  }

  async onApplicationShutdown(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    await this.current;
  }

  /** One run now, under the lock (also used by tests). */
  async runNow(): Promise<void> {
    const recovery = this.settings.recovery;
    if (!recovery) return;
    try {
      // Through the pool, not a lock connection held during GitHub calls: on the embedded
      // database that would be the only connection, and every request would wait for it.
      await runExclusive(this.dataSource, 'webhook-ingest:recovery', async () => {
        const result = await recovery.runOnce();
        if (result.redelivered > 0 || result.errors > 0) this.log.info({ ...result }, 'missed-webhook recovery run');
      });
    } catch (err) {
      this.log.warn({ err }, 'missed-webhook recovery run failed; next run retries');
    }
  }

  private schedule(): void {
    if (this.stopped) return;
    const delay = this.settings.intervalMs * (0.8 + Math.random() * 0.4);
    this.timer = setTimeout(() => {
      this.current = this.runNow().finally(() => {
        this.current = null;
        this.schedule();
      });
    }, delay);
    this.timer.unref();
  }
}
