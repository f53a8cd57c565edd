/**
 * A keyed work queue in the manner of client-go's: a key is queued at most once, never
 * processed by two workers at once (a key added while it is processed runs again after),
 * may be delayed, and retried with per-key exponential backoff and full jitter.
 */
export interface WorkQueueOptions {
  concurrency?: number;
  /** Backoff of failures: random(0, min(max, base * 2^n)) with a floor of base/2. */
  baseDelayMs?: number;
  maxDelayMs?: number;
  random?: () => number;
}

export type ProcessResult = { requeueAfterMs?: number } | void;

export class WorkQueue {
  private readonly ready: string[] = [];
  private readonly queued = new Set<string>();
  private readonly active = new Set<string>();
  private readonly dirty = new Set<string>();
  private readonly timers = new Map<string, { at: number; timer: NodeJS.Timeout }>();
  private readonly failures = new Map<string, number>();
  private running = 0;
  private stopped = false;
  private idleWaiters: Array<() => void> = [];
  private readonly concurrency: number;
  private readonly base: number;
  private readonly max: number;
  private readonly random: () => number;

  constructor(
    private readonly process: (key: string) => Promise<ProcessResult>,
    private readonly onError: (key: string, err: unknown, delayMs: number) => void,
    opts: WorkQueueOptions = {},
  ) {
    this.concurrency = opts.concurrency ?? 4;
    this.base = opts.baseDelayMs ?? 500;
    this.max = opts.maxDelayMs ?? 300_000;
    this.random = opts.random ?? Math.random;
  }

  add(key: string): void {
    if (this.stopped) return;
    const t = this.timers.get(key);
    if (t) {
      clearTimeout(t.timer);
      this.timers.delete(key);
    }
    if (this.active.has(key)) {
      this.dirty.add(key);
      return;
    }
    if (this.queued.has(key)) return;
    this.queued.add(key);
    this.ready.push(key);
    this.pump();
  }

  /** Adds after a delay; an earlier pending delay for the key wins. */
  addAfter(key: string, delayMs: number): void {
    if (this.stopped) return;
    if (delayMs <= 0) return this.add(key);
    const at = Date.now() + delayMs;
    const existing = this.timers.get(key);
    if (existing && existing.at <= at) return;
    if (existing) clearTimeout(existing.timer);
    const timer = setTimeout(() => {
      this.timers.delete(key);
      this.add(key);
    }, delayMs);
    timer.unref?.();
    this.timers.set(key, { at, timer });
  }

  /** Resolves when nothing is queued or running (delayed keys do not count). */
  idle(): Promise<void> {
    if (this.running === 0 && this.ready.length === 0) return Promise.resolve();
    return new Promise((r) => this.idleWaiters.push(r));
  }

  stop(): void {
    this.stopped = true;
    for (const t of this.timers.values()) clearTimeout(t.timer);
    this.timers.clear();
    this.ready.length = 0;
    this.queued.clear();
  }

  backoffFor(key: string): number {
    const n = this.failures.get(key) ?? 0;
    const ceiling = Math.min(this.max, this.base * 2 ** n);
    return Math.round(this.base / 2 + this.random() * Math.max(0, ceiling - this.base / 2));
  }

  private pump(): void {
    while (!this.stopped && this.running < this.concurrency && this.ready.length > 0) {
      const key = this.ready.shift()!;
      this.queued.delete(key);
      this.active.add(key);
      this.running++;
      void this.run(key);
    }
    if (this.running === 0 && this.ready.length === 0) {
      const waiters = this.idleWaiters;
      this.idleWaiters = [];
      for (const w of waiters) w();
    }
  }

  private async run(key: string): Promise<void> {
    try {
      const result = await this.process(key);
      this.failures.delete(key);
      if (result && result.requeueAfterMs !== undefined) this.addAfterInternal(key, result.requeueAfterMs);
    } catch (err) {
      const delayMs = this.backoffFor(key);
      this.failures.set(key, (this.failures.get(key) ?? 0) + 1);
      this.onError(key, err, delayMs);
      this.addAfterInternal(key, delayMs);
    } finally {
      this.active.delete(key);
      this.running--;
      if (this.dirty.delete(key)) this.add(key);
      this.pump();
    }
  }

  private addAfterInternal(key: string, delayMs: number): void {
    if (this.dirty.has(key)) return; // runs again at once anyway
    this.addAfter(key, Math.max(1, delayMs));
  }
}
