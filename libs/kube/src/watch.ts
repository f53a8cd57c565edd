// Not the package index: that loads client-node's whole generated API set (see kube-config.ts).
import type { KubeConfig } from '@kubernetes/client-node';
import { Watch } from '@kubernetes/client-node/dist/watch.js';
import type { KubeClient } from './client';
import { errorFromStatus, KubeGoneError, toKubeError } from './errors';
import { AbortedError, Backoff, sleep, type BackoffOptions } from './retry';
import { noopLogger, type KubeLogger, type KubeObject, type KubeStatus } from './types';

/**
 * An informer-like list+watch loop, level-triggered: it keeps a cache of the watched objects
 * and turns every list and watch into ADDED / MODIFIED / DELETED events against that cache.
 *
 * - Watches resume from the last resourceVersion seen (events and BOOKMARKs), so a watch the
 *   server closes (timeoutSeconds) or a dropped connection continues without relisting.
 * - 410 Gone (the version was compacted away, or the watch cache no longer holds it) relists
 *   and diffs the fresh list against the cache: changes made while disconnected surface as
 *   events, deletions included; nothing is missed.
 * - Everything else (network, 429, 5xx, 403 while RBAC is fixed, ...) retries with
 *   exponential backoff and jitter; the loop runs until stop().
 */

export type WatchEvent<T extends KubeObject> =
  | { type: 'ADDED' | 'MODIFIED' | 'DELETED'; object: T }
  /** The cache matches a complete list at `resourceVersion` (after the first list and every relist). */
  | { type: 'SYNCED'; resourceVersion: string };

export interface ResourceWatcherOptions {
  apiVersion: string;
  kind: string;
  /** Omit for all namespaces (or cluster-scoped kinds). */
  namespace?: string;
  labelSelector?: string;
  fieldSelector?: string;
  /** List page size. Default 500. */
  pageSize?: number;
  /** Server-side watch timeout. Default: random 300-600 s, like client-go, to spread reconnects. */
  watchTimeoutSeconds?: number;
  backoff?: BackoffOptions;
  logger?: KubeLogger;
}

export interface WatcherStats {
  lists: number;
  watches: number;
  gone: number;
  bookmarks: number;
  errors: number;
}

/**
 * A watch cache read by a process that also writes the objects: `fresh` hands out the cached
 * copy unless this process wrote the object (`wrote`) and the watch has not shown that write
 * yet — then the caller reads it from the server (a decision must not be made from a state
 * older than its own last write).
 */
export interface ObjectCache<T extends KubeObject = KubeObject> {
  fresh(key: string): T | undefined;
  wrote(obj: KubeObject): void;
}

const UNSEEN_WRITE_TTL_MS = 30_000;

export class ResourceWatcher<T extends KubeObject = KubeObject> implements AsyncIterable<WatchEvent<T>>, ObjectCache<T> {
  private cache = new Map<string, T>();
  /** Writes of this process the cache has not shown yet: key → the resourceVersion written, and when. */
  private readonly unseen = new Map<string, { resourceVersion: string; at: number }>();
  private rv: string | undefined;
  private readonly queue: WatchEvent<T>[] = [];
  private wake: (() => void) | undefined;
  private stopped = false;
  private loop: Promise<void> | undefined;
  private readonly abort = new AbortController();
  private currentWatch: AbortController | undefined;
  private readonly logger: KubeLogger;
  private syncedResolve!: () => void;
  private readonly synced = new Promise<void>((r) => (this.syncedResolve = r));
  readonly stats: WatcherStats = { lists: 0, watches: 0, gone: 0, bookmarks: 0, errors: 0 };

  constructor(
    private readonly client: KubeClient,
    private readonly opts: ResourceWatcherOptions,
  ) {
    this.logger = opts.logger ?? client.logger ?? noopLogger;
  }

  /** Starts the loop (iterating starts it too). Idempotent. */
  start(): this {
    if (!this.loop && !this.stopped) {
      this.loop = this.runLoop().catch((err) => this.logger.error({ err: String(err) }, 'kube watch loop crashed'));
    }
    return this;
  }

  /** Stops the loop and the current watch; iteration ends. */
  stop(): void {
    if (this.stopped) return;
    this.stopped = true;
    this.abort.abort();
    this.currentWatch?.abort();
    this.wake?.();
  }

  /** Resolves after the first complete list has been turned into events. */
  waitForSync(): Promise<void> {
    this.start();
    return this.synced;
  }

  get resourceVersion(): string | undefined {
    return this.rv;
  }

  /** One cached object by `namespace/name` (`/name` for cluster-scoped kinds). */
  get(key: string): T | undefined {
    return this.cache.get(key);
  }

  /**
   * The cached object, unless the watch is not open right now (the cache may be behind) or this
   * process wrote the object since and the watch has not shown that write yet. A write not seen
   * within UNSEEN_WRITE_TTL_MS while the watch is open is forgotten: its event came before the
   * write was recorded (the response and the watch race) and a later one too; until then reads
   * only go to the server needlessly.
   */
  fresh(key: string): T | undefined {
    if (!this.currentWatch) return undefined;
    const write = this.unseen.get(key);
    if (write && Date.now() - write.at < UNSEEN_WRITE_TTL_MS) return undefined;
    if (write) this.unseen.delete(key);
    return this.cache.get(key);
  }

  /** Records an object this process wrote, as the server returned it. */
  wrote(obj: KubeObject): void {
    const resourceVersion = obj.metadata.resourceVersion;
    const key = keyOf(obj);
    if (!resourceVersion || this.cache.get(key)?.metadata.resourceVersion === resourceVersion) return; // already seen
    const now = Date.now();
    if (this.unseen.size >= 10_000) for (const [k, w] of this.unseen) if (now - w.at >= UNSEEN_WRITE_TTL_MS) this.unseen.delete(k);
    this.unseen.set(key, { resourceVersion, at: now });
  }

  private seen(key: string, resourceVersion: string | undefined): void {
    if (this.unseen.get(key)?.resourceVersion === resourceVersion) this.unseen.delete(key);
  }

  /** The cached objects (the last known state of everything watched). */
  items(): T[] {
    return [...this.cache.values()];
  }

  async *[Symbol.asyncIterator](): AsyncIterator<WatchEvent<T>> {
    this.start();
    for (;;) {
      if (this.stopped) return;
      const next = this.queue.shift();
      if (next) {
        yield next;
        continue;
      }
      await new Promise<void>((r) => (this.wake = r));
      this.wake = undefined;
    }
  }

  /** Callback style: handles events one at a time (awaiting the handler) until stop(). */
  async run(handler: (event: WatchEvent<T>) => void | Promise<void>): Promise<void> {
    for await (const event of this) await handler(event);
  }

  private async runLoop(): Promise<void> {
    const backoff = new Backoff(this.opts.backoff);
    let needList = true;
    let goneStreak = 0;
    while (!this.stopped) {
      try {
        if (needList) {
          await this.relist();
          needList = false;
        }
        await this.watchOnce();
        backoff.reset();
        goneStreak = 0;
      } catch (raw) {
        if (this.stopped || raw instanceof AbortedError) break;
        const err = toKubeError(raw);
        this.stats.errors++;
        let delayMs: number;
        if (err instanceof KubeGoneError) {
          this.stats.gone++;
          needList = true;
          // Relist at once the first time; repeated 410s (continue tokens expiring under heavy
          // writes) back off like any other failure.
          delayMs = goneStreak++ === 0 ? 0 : backoff.next();
          this.logger.info({ kind: this.opts.kind, namespace: this.opts.namespace, resourceVersion: this.rv }, 'kube watch: resourceVersion gone; relisting');
        } else {
          delayMs = backoff.next(err.retryAfterMs);
          this.logger.warn(
            { kind: this.opts.kind, namespace: this.opts.namespace, status: err.status, reason: err.reason, err: err.message, delayMs },
            'kube watch failed; retrying',
          );
        }
        try {
          await sleep(delayMs, this.abort.signal);
        } catch {
          break;
        }
      }
    }
  }

  private ref() {
    return { apiVersion: this.opts.apiVersion, kind: this.opts.kind, namespace: this.opts.namespace };
  }

  private emit(event: WatchEvent<T>): void {
    this.queue.push(event);
    this.wake?.();
  }

  private async relist(): Promise<void> {
    this.stats.lists++;
    // A list is a consistent read: it shows every write that completed before it was asked for.
    const listedAt = Date.now();
    const fresh = new Map<string, T>();
    let continueToken: string | undefined;
    let rv: string | undefined;
    do {
      const page = await this.client.list<T>(this.ref(), {
        labelSelector: this.opts.labelSelector,
        fieldSelector: this.opts.fieldSelector,
        limit: this.opts.pageSize ?? 500,
        continue: continueToken,
      });
      if (this.stopped) throw new AbortedError();
      for (const item of page.items) {
        // Items of built-in lists carry no apiVersion/kind.
        const obj = { ...item, apiVersion: item.apiVersion ?? this.opts.apiVersion, kind: item.kind ?? this.opts.kind };
        fresh.set(keyOf(obj), obj);
      }
      continueToken = page.metadata.continue || undefined;
      rv = page.metadata.resourceVersion;
    } while (continueToken);

    for (const [key, old] of this.cache) {
      const now = fresh.get(key);
      if (!now || now.metadata.uid !== old.metadata.uid) this.emit({ type: 'DELETED', object: old });
    }
    for (const [key, now] of fresh) {
      const old = this.cache.get(key);
      if (!old || old.metadata.uid !== now.metadata.uid) this.emit({ type: 'ADDED', object: now });
      else if (old.metadata.resourceVersion !== now.metadata.resourceVersion) this.emit({ type: 'MODIFIED', object: now });
    }
    this.cache = fresh;
    this.rv = rv;
    for (const [key, write] of this.unseen) if (write.at < listedAt) this.unseen.delete(key);
    this.emit({ type: 'SYNCED', resourceVersion: rv ?? '' });
    this.syncedResolve();
  }

  /** One watch request from this.rv; resolves when the server ends it, rejects on errors. */
  private async watchOnce(): Promise<void> {
    this.stats.watches++;
    const path = await this.client.path(this.ref());
    const timeoutSeconds = this.opts.watchTimeoutSeconds ?? 300 + Math.floor(Math.random() * 300);
    const query = {
      resourceVersion: this.rv,
      allowWatchBookmarks: true,
      timeoutSeconds,
      labelSelector: this.opts.labelSelector,
      fieldSelector: this.opts.fieldSelector,
    };
    await new Promise<void>((resolve, reject) => {
      let settled = false;
      let controller: AbortController | undefined;
      // A connection that dies silently (no FIN) would otherwise hang until TCP keepalive.
      const watchdog = setTimeout(() => finish(), (timeoutSeconds + 30) * 1000);
      const finish = (err?: unknown) => {
        if (settled) return;
        settled = true;
        clearTimeout(watchdog);
        controller?.abort();
        if (this.currentWatch === controller) this.currentWatch = undefined;
        if (err) reject(err);
        else resolve();
      };
      const onEvent = (type: string, obj: unknown) => {
        if (settled) return;
        switch (type) {
          case 'ADDED':
          case 'MODIFIED': {
            const o = obj as T;
            const key = keyOf(o);
            const old = this.cache.get(key);
            this.cache.set(key, o);
            this.seen(key, o.metadata.resourceVersion);
            this.rv = o.metadata.resourceVersion;
            this.emit({ type: old ? 'MODIFIED' : 'ADDED', object: o });
            break;
          }
          case 'DELETED': {
            const o = obj as T;
            this.cache.delete(keyOf(o));
            this.unseen.delete(keyOf(o));
            this.rv = o.metadata.resourceVersion;
            this.emit({ type: 'DELETED', object: o });
            break;
          }
          case 'BOOKMARK':
            this.stats.bookmarks++;
            this.rv = (obj as KubeObject).metadata.resourceVersion;
            break;
          case 'ERROR':
            finish(errorFromStatus(obj as KubeStatus, `watch ${path}`));
            break;
        }
      };
      // Watch only calls getCurrentCluster() and applyToFetchOptions(), which KubeCredentialsLike has.
      new Watch(this.client.config as unknown as KubeConfig)
        .watch(path, query, onEvent, (err: unknown) => finish(err ? toKubeError(err, `watch ${path}`) : undefined))
        .then(
          (c) => {
            controller = c;
            if (settled || this.stopped) c.abort();
            else this.currentWatch = c;
          },
          (err) => finish(toKubeError(err, `watch ${path}`)),
        );
    });
  }
}

export function watchResources<T extends KubeObject = KubeObject>(client: KubeClient, opts: ResourceWatcherOptions): ResourceWatcher<T> {
  return new ResourceWatcher<T>(client, opts);
}

function keyOf(obj: KubeObject): string {
  return `${obj.metadata.namespace ?? ''}/${obj.metadata.name}`;
}
