import { Backoff, toKubeError, watchResources, type KubeClient, type KubeLogger, type KubeObject, type ObjectCache, type ResourceWatcher } from '@sluice/kube';
import { CONFIG_LABEL, DEPLOY_CONFIG_API_VERSION, DEPLOY_CONFIG_KIND, DEPLOY_ID_ANNOTATION, type DeployConfigObject } from '../domain/deploy-config';
import type { DeployConfigReconciler, ReconcileCaches } from './reconciler';

export interface ControllerOptions {
  /** Every DeployConfig is reconciled at least this often: drift is reverted on the next pass. */
  resyncMs: number;
  /** Passes running at once (different DeployConfigs; one DeployConfig never runs twice at once). */
  concurrency: number;
  logger: KubeLogger;
  /** Watch only this namespace (tests); default all namespaces. */
  namespace?: string;
}

type Key = string; // namespace/name

/** The workloads whose status decides a rollout's health, watched so a rollout's end is seen at once. */
const WORKLOAD_KINDS = [
  { apiVersion: 'apps/v1', kind: 'Deployment' },
  { apiVersion: 'apps/v1', kind: 'StatefulSet' },
  { apiVersion: 'apps/v1', kind: 'DaemonSet' },
  { apiVersion: 'batch/v1', kind: 'Job' },
] as const;

/**
 * Level-triggered control loop: a list+watch of DeployConfigs (libs/kube, relisting on 410)
 * feeds a work queue keyed by DeployConfig. Spec or deploy changes enqueue at once (status-only
 * changes, our own included, do not); so does a status change of a workload we applied (label
 * `sluice.dev/config`), so a rollout's end or failure is judged when it happens, not at the next
 * health poll; every key is requeued a resync period (±10 %) after its last pass — spread over the
 * period, not all keys at once; a failed pass backs off with jitter per key.
 */
export class DeployConfigController {
  private watcher: ResourceWatcher<DeployConfigObject> | undefined;
  private workloadWatchers: Array<{ kind: string; watcher: ResourceWatcher; loop: Promise<void> }> = [];
  /** What passes read instead of the API server (set once the watches are started). */
  private caches: ReconcileCaches | undefined;
  /** Last status seen of each workload we applied (kind/namespace/name → JSON). */
  private readonly workloadStatus = new Map<string, string>();
  private readonly known = new Map<Key, string>();
  private readonly queue = new Set<Key>();
  private readonly running = new Set<Key>();
  private readonly dirty = new Set<Key>();
  private readonly timers = new Map<Key, { timer: NodeJS.Timeout; due: number }>();
  private readonly backoffs = new Map<Key, Backoff>();
  private stopped = false;
  private loop: Promise<void> | undefined;
  private idle: Array<() => void> = [];
  /** Passes completed (for readiness and tests). */
  passes = 0;

  constructor(
    private readonly client: KubeClient,
    private readonly reconciler: DeployConfigReconciler,
    private readonly opts: ControllerOptions,
  ) {}

  async start(): Promise<void> {
    this.watcher = watchResources<DeployConfigObject>(this.client, {
      apiVersion: DEPLOY_CONFIG_API_VERSION,
      kind: DEPLOY_CONFIG_KIND,
      namespace: this.opts.namespace,
      logger: this.opts.logger,
    });
    this.loop = this.watcher.run((event) => {
      if (event.type === 'SYNCED') {
        for (const obj of this.watcher!.items()) this.enqueue(keyOf(obj));
        return;
      }
      const key = keyOf(event.object);
      if (event.type === 'DELETED') {
        this.known.delete(key);
        this.cancelTimer(key);
        this.opts.logger.info({ config: event.object.metadata.name, namespace: event.object.metadata.namespace }, 'DeployConfig deleted; its objects are left as they are');
        return;
      }
      const fingerprint = fingerprintOf(event.object);
      if (this.known.get(key) === fingerprint) return; // status-only change
      this.known.set(key, fingerprint);
      this.enqueue(key);
    });
    this.watchWorkloads();
    const workloads = new Map<string, ObjectCache>(this.workloadWatchers.map((w) => [w.kind, w.watcher]));
    this.caches = { deployConfigs: this.watcher, workloads: (kind) => workloads.get(kind) };
    await this.watcher.waitForSync();
  }

  private watchWorkloads(): void {
    for (const ref of WORKLOAD_KINDS) {
      const watcher = watchResources<KubeObject>(this.client, { ...ref, namespace: this.opts.namespace, labelSelector: CONFIG_LABEL, logger: this.opts.logger });
      const loop = watcher.run((event) => {
        if (event.type === 'SYNCED') return;
        const { namespace, name, labels } = event.object.metadata;
        const config = labels?.[CONFIG_LABEL];
        const id = `${ref.kind}/${namespace}/${name}`;
        if (event.type === 'DELETED') {
          this.workloadStatus.delete(id);
          if (config) this.enqueue(`${namespace}/${config}`);
          return;
        }
        const status = JSON.stringify((event.object as { status?: unknown }).status ?? null);
        const before = this.workloadStatus.get(id);
        this.workloadStatus.set(id, status);
        // The first sight (start, relist) is not a change: the resync and the DeployConfig watch cover it.
        if (before !== undefined && before !== status && config) this.enqueue(`${namespace}/${config}`);
      });
      this.workloadWatchers.push({ kind: ref.kind, watcher, loop });
    }
  }

  get synced(): boolean {
    return this.watcher?.resourceVersion !== undefined;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    for (const t of this.timers.values()) clearTimeout(t.timer);
    this.timers.clear();
    this.watcher?.stop();
    for (const w of this.workloadWatchers) w.watcher.stop();
    await Promise.all([this.loop, ...this.workloadWatchers.map((w) => w.loop)]);
    if (this.running.size > 0) await new Promise<void>((r) => this.idle.push(r));
  }

  enqueue(key: Key, afterMs = 0): void {
    if (this.stopped) return;
    if (afterMs > 0) {
      const due = Date.now() + afterMs;
      const scheduled = this.timers.get(key);
      if (scheduled && scheduled.due <= due) return; // an earlier wake-up is already scheduled
      if (scheduled) clearTimeout(scheduled.timer);
      const timer = setTimeout(() => {
        this.timers.delete(key);
        this.enqueue(key);
      }, afterMs);
      this.timers.set(key, { timer, due });
      return;
    }
    if (this.running.has(key)) {
      this.dirty.add(key);
      return;
    }
    this.queue.add(key);
    this.pump();
  }

  private cancelTimer(key: Key): void {
    const scheduled = this.timers.get(key);
    if (!scheduled) return;
    clearTimeout(scheduled.timer);
    this.timers.delete(key);
  }

  private pump(): void {
    while (!this.stopped && this.running.size < this.opts.concurrency && this.queue.size > 0) {
      const key = this.queue.values().next().value as Key;
      this.queue.delete(key);
      this.running.add(key);
      void this.work(key);
    }
  }

  private async work(key: Key): Promise<void> {
    const [namespace, name] = key.split('/') as [string, string];
    try {
      const decision = await this.reconciler.reconcile({ namespace, name }, this.caches);
      this.backoffs.delete(key);
      if (decision?.requeueAfterMs) this.enqueue(key, decision.requeueAfterMs);
      // The periodic pass that reverts drift; an earlier wake-up already scheduled wins.
      if (decision) this.enqueue(key, Math.round(this.opts.resyncMs * (0.9 + Math.random() * 0.2)));
    } catch (raw) {
      const err = toKubeError(raw);
      const backoff = this.backoffs.get(key) ?? new Backoff({ initialDelayMs: 500, maxDelayMs: 60_000 });
      this.backoffs.set(key, backoff);
      const delayMs = Math.max(50, backoff.next(err.retryAfterMs));
      this.opts.logger.warn({ config: name, namespace, status: err.status, reason: err.reason, err: err.message, delayMs }, 'reconcile failed; retrying');
      this.enqueue(key, delayMs);
    } finally {
      this.passes++;
      this.running.delete(key);
      if (this.dirty.delete(key)) this.enqueue(key);
      this.pump();
      if (this.running.size === 0) for (const r of this.idle.splice(0)) r();
    }
  }
}

function keyOf(obj: DeployConfigObject): Key {
  return `${obj.metadata.namespace}/${obj.metadata.name}`;
}

/** What a pass depends on besides status: spec (generation), the deploy it reports on, deletion. */
function fingerprintOf(obj: DeployConfigObject): string {
  return `${obj.metadata.uid}|${obj.metadata.generation}|${obj.metadata.annotations?.[DEPLOY_ID_ANNOTATION] ?? ''}|${obj.metadata.deletionTimestamp ?? ''}`;
}
