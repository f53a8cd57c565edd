import { Inject, Injectable, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { SERVICE_DATA_SOURCE } from '@sluice/event-store';
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
    const runner = this.dataSource.createQueryRunner();
    await runner.connect();
    try {
      const [{ ok }] = await runner.query(`SELECT pg_try_advisory_lock(hashtext('webhook-ingest:recovery')) AS ok`);
      if (!ok) return;
      try {
        const result = await recovery.runOnce();
        if (result.redelivered > 0 || result.errors > 0) this.log.info({ ...result }, 'missed-webhook recovery run');
      } finally {
        await runner.query(`SELECT pg_advisory_unlock(hashtext('webhook-ingest:recovery'))`);
      }
    } catch (err) {
      this.log.warn({ err }, 'missed-webhook recovery run failed; next run retries');
    } finally {
      await runner.release();
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
