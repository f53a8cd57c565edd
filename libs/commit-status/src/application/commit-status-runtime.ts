import type { Logger } from '@sluice/platform';
import { keyString, type CommitStatusKey, type CommitStatusStore } from './ports';
import type { Reconciler } from './reconciler';
import { WorkQueue, type WorkQueueOptions } from './work-queue';

/** The controller loop: store change notifications → keyed work queue → reconciler. */
export class CommitStatusRuntime {
  private queue: WorkQueue;
  private started = false;
  private running = false;
  private stopped = false;

  constructor(
    private readonly store: CommitStatusStore,
    private readonly reconciler: Reconciler,
    private readonly log: Logger,
    private readonly queueOptions: WorkQueueOptions = {},
  ) {
    this.queue = this.newQueue();
  }

  private newQueue(): WorkQueue {
    return new WorkQueue(
      (id) => this.reconciler.reconcile(parseKey(id)),
      (id, err, delayMs) => this.log.warn({ commitStatus: id, err: err instanceof Error ? err.message : String(err), delayMs }, 'reconcile failed; retrying'),
      this.queueOptions,
    );
  }

  /** Starts the loop; after a `stop` (a replica that stopped leading and leads again) with a fresh queue. */
  async start(): Promise<void> {
    if (this.started) return;
    this.started = true;
    if (this.stopped) this.queue = this.newQueue();
    this.stopped = false;
    await this.store.start((key) => this.enqueue(key));
    this.running = true;
    this.log.info({ store: this.store.kind }, 'commit-status controller started');
  }

  get isStarted(): boolean {
    return this.running;
  }

  enqueue(key: CommitStatusKey): void {
    this.queue.add(keyString(key));
  }

  /** Resolves when no reconcile is queued or running (tests). */
  idle(): Promise<void> {
    return this.queue.idle();
  }

  async stop(): Promise<void> {
    this.running = false;
    this.started = false;
    this.stopped = true;
    this.queue.stop();
    await this.store.stop();
    await this.queue.idle();
  }
}

function parseKey(id: string): CommitStatusKey {
  const i = id.indexOf('/');
  return { namespace: id.slice(0, i), name: id.slice(i + 1) };
}
