import { metricsRegistry } from '@sluice/platform';
import { Counter, Gauge } from 'prom-client';
import type { EntityManager } from 'typeorm';
import { Checkpoints } from './checkpoints';
import type { EventStore } from './event-store';
import type { LogPosition, StoredEvent } from './stored-event';

export interface SubscriptionLogger {
  warn(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
}

export interface LogSubscriptionOptions {
  /** Checkpoint name; one per projection or relay. */
  name: string;
  batchSize?: number;
  /**
   * Fallback polling interval (read before each wait); `wake()` (e.g. from LISTEN) makes it react
   * at once.
   */
  pollIntervalMs?: number | (() => number);
  /** Warn (naming the server's oldest open transaction) once events are held back this long; default 10 s. */
  heldBackWarnMs?: number;
  logger?: SubscriptionLogger;
}

/** The first re-poll of a reader whose events are held back; doubled each time, up to the poll interval. */
const HELD_BACK_FIRST_RETRY_MS = 5;

const heldBackPolls = new Counter({
  name: 'sluice_log_reader_held_back_polls_total',
  help: 'Polls of a log reader that found committed events held back by an older transaction still open on the server',
  labelNames: ['subscription'],
  registers: [metricsRegistry],
});

const heldBackSeconds = new Gauge({
  name: 'sluice_log_reader_held_back_seconds',
  help: 'How long a log reader has been held back by an older transaction still open on the server (0 = not held back)',
  labelNames: ['subscription'],
  registers: [metricsRegistry],
});

/**
 * Reads a service's log from a checkpoint, batch by batch, in (transaction_id,
 * global_position) order. Subclasses decide how a batch is handled and when the
 * checkpoint is saved.
 */
export abstract class LogSubscription {
  protected readonly checkpoints: Checkpoints;
  private running = false;
  private loop: Promise<void> | null = null;
  private wakeUp: (() => void) | null = null;
  private pendingWake = false;
  private failures = 0;
  /** The last poll saw committed events past the fence (`EventStore.readBatch`); subclasses set it. */
  protected heldBack = false;
  private heldBackSince: number | null = null;
  private heldBackStreak = 0;
  private lastHeldBackWarning = 0;

  protected constructor(
    protected readonly store: EventStore,
    protected readonly options: LogSubscriptionOptions,
  ) {
    this.checkpoints = new Checkpoints(store.schema);
  }

  get name(): string {
    return this.options.name;
  }

  /** Handles at most one batch; returns how many events it handled. */
  abstract pollOnce(): Promise<number>;

  /** Polls until a poll finds nothing (for tests, replays and benchmarks). */
  async catchUp(): Promise<number> {
    let total = 0;
    for (let n = await this.pollOnce(); n > 0; n = await this.pollOnce()) total += n;
    return total;
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    this.loop = this.run();
  }

  async stop(): Promise<void> {
    this.running = false;
    this.wake();
    await this.loop;
    this.loop = null;
  }

  /** Asks the loop to poll now (new events were announced). */
  wake(): void {
    this.pendingWake = true;
    this.wakeUp?.();
  }

  private async run(): Promise<void> {
    while (this.running) {
      const poll = this.options.pollIntervalMs ?? 250;
      const interval = typeof poll === 'function' ? poll() : poll;
      let handled = 0;
      try {
        this.pendingWake = false;
        this.heldBack = false;
        handled = await this.pollOnce();
        this.failures = 0;
      } catch (error) {
        this.failures++;
        this.options.logger?.error({ err: error, subscription: this.name, failures: this.failures }, 'subscription batch failed');
      }
      if (!this.running) break;
      if (handled > 0 && this.failures === 0) continue;
      if (this.pendingWake && this.failures === 0) continue;
      const delay = this.failures > 0 ? backoffWithJitter(this.failures, interval) : await this.idleDelay(interval);
      if (this.pendingWake) continue;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, delay);
        this.wakeUp = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      this.wakeUp = null;
    }
  }

  /**
   * How long an empty poll waits. Events committed after the oldest transaction still open on the
   * server are held back (`EventStore.readBatch` says so); no announcement comes when that
   * transaction ends (it may be anyone's, in any database), so the reader polls again soon, 5 ms
   * doubling up to the interval, and warns, naming that transaction, once held back for
   * `heldBackWarnMs`.
   */
  private async idleDelay(interval: number): Promise<number> {
    const now = Date.now();
    if (!this.heldBack) {
      if (this.heldBackSince !== null) heldBackSeconds.set({ subscription: this.name }, 0);
      this.heldBackSince = null;
      this.heldBackStreak = 0;
      return interval;
    }
    heldBackPolls.inc({ subscription: this.name });
    this.heldBackSince ??= now;
    const heldMs = now - this.heldBackSince;
    heldBackSeconds.set({ subscription: this.name }, heldMs / 1000);
    const warnAfter = this.options.heldBackWarnMs ?? 10_000;
    if (heldMs >= warnAfter && now - this.lastHeldBackWarning >= warnAfter) {
      this.lastHeldBackWarning = now;
      const oldest = await this.store.oldestOpenTransaction().catch(() => null);
      this.options.logger?.warn(
        { subscription: this.name, heldBackMs: heldMs, oldestOpenTransaction: oldest ?? 'not visible to this database user (pg_read_all_stats shows it)' },
        'log reader held back: its committed events wait for an older transaction still open on the database server',
      );
    }
    return Math.min(interval, HELD_BACK_FIRST_RETRY_MS * 2 ** Math.min(this.heldBackStreak++, 16));
  }
}

/** Exponential backoff with full jitter, capped at 10 s. */
export function backoffWithJitter(attempt: number, baseMs: number, capMs = 10_000): number {
  const ceiling = Math.min(capMs, baseMs * 2 ** Math.min(attempt, 16));
  return Math.floor(ceiling / 2 + Math.random() * (ceiling / 2));
}

export type ProjectionHandler = (events: readonly StoredEvent[], manager: EntityManager) => Promise<void>;

/**
 * A projection: each batch's read-model writes and the new checkpoint commit in one
 * transaction, so a crash never applies a batch twice or loses one.
 */
export class Projection extends LogSubscription {
  constructor(
    store: EventStore,
    private readonly handle: ProjectionHandler,
    options: LogSubscriptionOptions,
  ) {
    super(store, options);
  }

  async pollOnce(): Promise<number> {
    return this.store.dataSource.transaction(async (manager) => {
      const after = await this.checkpoints.lock(manager, this.name);
      const { events, heldBack } = await this.store.readBatch(after, { limit: this.options.batchSize ?? 500, manager });
      this.heldBack = heldBack;
      if (events.length === 0) return 0;
      await this.handle(events, manager);
      await this.checkpoints.save(manager, this.name, events[events.length - 1].position);
      return events.length;
    });
  }

  /** Forgets the checkpoint so the next poll starts from the beginning of the log (replay). */
  async reset(manager?: EntityManager): Promise<void> {
    const run = (m: EntityManager) => this.checkpoints.reset(m, this.name);
    await (manager ? run(manager) : this.store.dataSource.transaction(run));
  }

  async position(): Promise<LogPosition> {
    return this.checkpoints.read(this.store.dataSource.manager, this.name);
  }
}
