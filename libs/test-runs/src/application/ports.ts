import type { Transaction } from '@sluice/event-store';
import type { TestRun, TestJobStatus } from '../domain/test-run';

/** A test run waiting in the queue or holding a slot, with its place in the queue. */
export interface TestRunView extends TestRun {
  /** 1 for the next to run; null once running. */
  readonly position: number | null;
}

/** The pool's state: the runs and their slot leases (the pool's size is the runner's setting). */
export interface TestRunStore {
  /** Queues a run, once per deploy (a second request for the same deploy adds nothing). */
  enqueue(tx: Transaction, run: Omit<TestRun, 'state' | 'queuedAt' | 'startedAt' | 'endedAt' | 'message'>): Promise<void>;
  /** Gives free slots (of `size`) to the oldest queued runs, leased to `owner` for `leaseMs`. */
  acquire(owner: string, size: number, leaseMs: number): Promise<TestRun[]>;
  /** Takes over the running runs whose lease expired (their runner died) and renews `owner`'s. */
  leaseRunning(owner: string, leaseMs: number): Promise<TestRun[]>;
  /** Ends a run (within the transaction that reports its result). False if it had ended already. */
  finish(tx: Transaction, id: string, state: 'passed' | 'failed' | 'timed-out', message: string): Promise<boolean>;
  /** Queued and running runs, oldest first; a team's only, or all (null). */
  open(team: string | null): Promise<TestRunView[]>;
}

/** The test Jobs in the cluster. */
export interface TestJobs {
  /** Creates the run's Job unless it exists. */
  start(run: TestRun): Promise<void>;
  /** The run's Job, or undefined when there is none. */
  find(run: TestRun): Promise<{ status?: TestJobStatus } | undefined>;
  /** The end of the log of the run's Pod, where a kubelet serves it; else why not. */
  logs(run: TestRun): Promise<JobLog>;
}

/** A Job's Pod log (its last lines), or why it could not be read: a test Job's, a deploy's build Job's. */
export type JobLog = { readonly lines: readonly string[] } | { readonly unavailable: string };

/** Where a test run's progress goes: the deploy's `test` step and, at the end, its result. */
export interface TestReports {
  started(run: TestRun): Promise<void>;
  ended(tx: Transaction, run: TestRun, state: 'passed' | 'failed' | 'timed-out', message: string, log: JobLog): Promise<void>;
}
