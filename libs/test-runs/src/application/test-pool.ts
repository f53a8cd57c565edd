import type { UnitOfWork } from '@sluice/event-store';
import { PeriodicTask } from '@sluice/platform';
import { verdictOf, type TestRun } from '../domain/test-run';
import type { JobLog, TestJobs, TestReports, TestRunStore } from './ports';

export interface TestPoolOptions {
  /** How many test runs may hold a slot at once (KUBE_APPLIER_TEST_SLOTS). */
  readonly size: number;
  /** This runner's name: the owner of the leases it takes. */
  readonly owner: string;
  /** How long a lease lasts unless renewed; a runner that dies frees its runs to another after this. */
  readonly leaseMs: number;
  /** How long past its time a run may take before it is ended as timed out. */
  readonly graceMs: number;
}

interface Logger {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
}

/**
 * The test-server pool (docs/architecture.md §1 "Steps", step `test`): runs wait in a FIFO queue
 * for one of `size` slots; a slot is a lease on the run, renewed while its runner follows the Job,
 * so a runner that crashes leaks nothing — another (or the same, restarted) takes the run over when
 * the lease expires and follows the same Job. A run ends once: its state and the deploy's result
 * are written in one transaction.
 */
export class TestPool {
  private readonly task = new PeriodicTask(
    () => this.tick(),
    (e) => this.log.warn({ err: e.message }, 'test pool pass failed; the next one retries'),
  );

  constructor(
    private readonly store: TestRunStore,
    private readonly jobs: TestJobs,
    private readonly reports: TestReports,
    private readonly uow: UnitOfWork,
    private readonly options: TestPoolOptions,
    private readonly log: Logger,
  ) {}

  /** One pass: follow the runs this runner holds (or takes over), then start queued ones in free slots. */
  async tick(now = Date.now()): Promise<void> {
    for (const run of await this.store.leaseRunning(this.options.owner, this.options.leaseMs)) await this.follow(run, now);
    for (const run of await this.store.acquire(this.options.owner, this.options.size, this.options.leaseMs)) await this.begin(run);
  }

  /** Starts the run's Job (once: its name is the run's) and reports the `test` step started. */
  private async begin(run: TestRun): Promise<void> {
    await this.jobs.start(run);
    await this.reports.started(run);
    this.log.info({ testRun: run.id, deployId: run.deployId, config: run.config }, 'test run started');
  }

  private async follow(run: TestRun, now: number): Promise<void> {
    const job = await this.jobs.find(run);
    const verdict = verdictOf(run, job, now, this.options.graceMs);
    if (verdict.state === 'running') {
      // Taken over from a runner that died between its lease and the Job (or the Job was deleted): start it.
      if (!job) await this.begin(run);
      return;
    }
    // Read before the transaction (the API server may be slow); a log that cannot be read never holds the result back.
    const log = await this.jobs.logs(run).catch((error: Error): JobLog => ({ unavailable: error.message }));
    await this.uow.transact(async (tx) => {
      if (await this.store.finish(tx, run.id, verdict.state, verdict.message)) await this.reports.ended(tx, run, verdict.state, verdict.message, log);
    });
    this.log.info({ testRun: run.id, deployId: run.deployId, config: run.config, state: verdict.state }, 'test run ended');
  }

  start(intervalMs: number): void {
    this.task.start(intervalMs);
  }

  stop(): Promise<void> {
    return this.task.stop();
  }
}
