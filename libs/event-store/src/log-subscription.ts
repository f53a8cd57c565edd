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
  /** Fallback polling interval; `wake()` (e.g. from LISTEN) makes it react at once. */
  pollIntervalMs?: number;
  logger?: SubscriptionLogger;
}

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
    const interval = this.options.pollIntervalMs ?? 250;
    while (this.running) {
      let handled = 0;
      try {
        this.pendingWake = false;
        handled = await this.pollOnce();
        this.failures = 0;
      } catch (error) {
        this.failures++;
        this.options.logger?.error({ err: error, subscription: this.name, failures: this.failures }, 'subscription batch failed');
      }
      if (!this.running) break;
      if (handled > 0 && this.failures === 0) continue;
      const delay = this.failures > 0 ? backoffWithJitter(this.failures, interval) : interval;
      if (this.pendingWake && this.failures === 0) continue;
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
      const events = await this.store.readAll(after, { limit: this.options.batchSize ?? 500, manager });
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
