import { Backoff, KubeConflictError, patchStatus, watchResources, type KubeClient, type KubeLogger, type KubeObject, type ResourceWatcher } from '@sluice/kube';
import {
  BUILD_RUN_API_VERSION,
  BUILD_RUN_KIND,
  BUILD_RUN_LABEL,
  jobFor,
  sameStatus,
  statusFor,
  isTerminal,
  type BuildRunObject,
  type BuildRunStatus,
  type JobStatus,
} from '../domain/build-run';
import { BUILDS_FIELD_MANAGER } from './build-requests';

export interface BuildRunControllerOptions {
  readonly logger: KubeLogger;
  /** Watch only this namespace (tests); default all namespaces. */
  readonly namespace?: string;
  /** Every BuildRun is looked at again at least this often (default 30 s): level-triggered. */
  readonly resyncMs?: number;
  /**
   * Called after every pass with the BuildRun's status (e.g. to write the build's reports into the
   * log); it must be idempotent. A failure retries the pass.
   */
  readonly onStatus?: (run: BuildRunObject, status: BuildRunStatus) => Promise<void>;
}

const FIELD_MANAGER = BUILDS_FIELD_MANAGER;

/**
 * Turns BuildRuns into Jobs and follows them (docs/architecture.md §5): a BuildRun without its
 * Job gets one (owned by the BuildRun, `activeDeadlineSeconds` = its timeout, no retries) and
 * phase Scheduled; the Job's state moves the phase — Running, Succeeded, Failed, TimedOut
 * (DeadlineExceeded). A terminal phase clears the target in its DeployConfig's
 * `status.currentBuilds`. Level-triggered: a pass reads the BuildRun and its Job from the API
 * server and decides from them alone (`statusFor`, pure), so a restart or a missed watch event
 * converges to the same state; watches of BuildRuns and of their Jobs only say when to look.
 */
export class BuildRunController {
  private runs: ResourceWatcher<BuildRunObject> | undefined;
  private jobs: ResourceWatcher | undefined;
  private loops: Array<Promise<void>> = [];
  private readonly queue = new Set<string>();
  private readonly backoffs = new Map<string, Backoff>();
  private wake: (() => void) | null = null;
  private worker: Promise<void> | undefined;
  private resync: NodeJS.Timeout | undefined;
  private stopped = false;

  constructor(
    private readonly client: KubeClient,
    private readonly opts: BuildRunControllerOptions,
  ) {}

  async start(): Promise<void> {
    const namespace = this.opts.namespace;
    this.runs = watchResources<BuildRunObject>(this.client, { apiVersion: BUILD_RUN_API_VERSION, kind: BUILD_RUN_KIND, namespace, logger: this.opts.logger });
    this.jobs = watchResources(this.client, { apiVersion: 'batch/v1', kind: 'Job', namespace, labelSelector: BUILD_RUN_LABEL, logger: this.opts.logger });
    this.loops.push(
      this.runs.run((event) => {
        if (event.type === 'SYNCED') this.runs!.items().forEach((run) => this.enqueue(keyOf(run.metadata.namespace, run.metadata.name)));
        else if (event.type !== 'DELETED') this.enqueue(keyOf(event.object.metadata.namespace, event.object.metadata.name));
      }),
      this.jobs.run((event) => {
        if (event.type === 'SYNCED') return;
        const run = event.object.metadata.labels?.[BUILD_RUN_LABEL];
        if (run) this.enqueue(keyOf(event.object.metadata.namespace, run));
      }),
    );
    this.worker = this.work();
    const resyncMs = this.opts.resyncMs ?? 30_000;
    this.resync = setInterval(() => this.runs?.items().forEach((run) => this.enqueue(keyOf(run.metadata.namespace, run.metadata.name))), resyncMs);
    await Promise.all([this.runs.waitForSync(), this.jobs.waitForSync()]);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearInterval(this.resync);
    this.runs?.stop();
    this.jobs?.stop();
    this.wake?.();
    await Promise.allSettled([...this.loops, this.worker]);
  }

  private enqueue(key: string): void {
    this.queue.add(key);
    this.wake?.();
  }

  private async work(): Promise<void> {
    while (!this.stopped) {
      const [key] = this.queue;
      if (key === undefined) {
        await new Promise<void>((resolve) => (this.wake = resolve));
        this.wake = null;
        continue;
      }
      this.queue.delete(key);
      try {
        await this.reconcile(key);
        this.backoffs.delete(key);
      } catch (error) {
        const backoff = this.backoffs.get(key) ?? new Backoff({ initialDelayMs: 200, maxDelayMs: 30_000 });
        this.backoffs.set(key, backoff);
        const delay = backoff.next();
        this.opts.logger.warn({ buildRun: key, err: (error as Error).message, retryInMs: delay }, 'BuildRun pass failed; retrying');
        setTimeout(() => this.enqueue(key), delay).unref();
      }
    }
  }

  /** One pass over one BuildRun, from what the API server holds now. */
  private async reconcile(key: string): Promise<void> {
    const [namespace, name] = key.split('/') as [string, string];
    const run = await this.client.find<BuildRunObject>({ apiVersion: BUILD_RUN_API_VERSION, kind: BUILD_RUN_KIND, namespace, name });
    if (!run || run.metadata.deletionTimestamp) return; // its Job goes with it (owner reference)
    const ref = { apiVersion: 'batch/v1', kind: 'Job', namespace, name };
    let job = await this.client.find<KubeObject & { status?: JobStatus }>(ref);
    if (!job && !isTerminal(run)) {
      try {
        job = await this.client.create(jobFor(run), { fieldManager: FIELD_MANAGER });
        this.opts.logger.info({ buildRun: key, commit: run.spec.commitSha, target: run.spec.target }, 'build Job created');
      } catch (error) {
        if (!(error instanceof KubeConflictError)) throw error;
        job = await this.client.get(ref); // created by an earlier pass whose answer was lost
      }
    }
    const next = statusFor(run, job);
    if (!sameStatus(next, run.status ?? {})) {
      // At the version read: a cancel written meanwhile is not overwritten (the conflict retries the pass).
      await patchStatus(this.client, { apiVersion: BUILD_RUN_API_VERSION, kind: BUILD_RUN_KIND, namespace, name }, { ...next }, { fieldManager: FIELD_MANAGER, resourceVersion: run.metadata.resourceVersion });
      this.opts.logger.info({ buildRun: key, phase: next.phase, message: next.message }, 'BuildRun phase');
    }
    if (isTerminal({ status: next })) await this.releaseTarget(run);
    await this.opts.onStatus?.(run, next);
  }

  /** The DeployConfig's `status.currentBuilds[target]` no longer names this BuildRun once it ended. */
  private async releaseTarget(run: BuildRunObject): Promise<void> {
    const ref = { apiVersion: 'sluice.dev/v1alpha1', kind: 'DeployConfig', namespace: run.metadata.namespace, name: run.spec.config };
    const config = await this.client.find<KubeObject & { status?: { currentBuilds?: Record<string, string> } }>(ref);
    if (config?.status?.currentBuilds?.[run.spec.target] !== run.metadata.name) return;
    // At the version read: a newer build named meanwhile (by the request that canceled this one) is kept.
    await patchStatus(this.client, ref, { currentBuilds: { [run.spec.target]: null } }, { fieldManager: FIELD_MANAGER, resourceVersion: config!.metadata.resourceVersion });
  }
}

const keyOf = (namespace: string | undefined, name: string | undefined): string => `${namespace ?? ''}/${name ?? ''}`;
