import type { TestsSpec } from '@sluice/contracts';

/** Where a test run is: waiting for a slot, holding one, or ended. */
export type TestRunState = 'queued' | 'running' | 'passed' | 'failed' | 'timed-out';

/** One run of a deploy's tests (docs/architecture.md §1 "Steps", step `test`). */
export interface TestRun {
  readonly id: string;
  readonly deployId: string;
  readonly config: string;
  readonly team: string;
  readonly namespace: string;
  /** The image the deploy rolled out (`SLUICE_IMAGE` in the Job); null for an artifactless config. */
  readonly deployedImage: string | null;
  readonly tests: TestsSpec;
  readonly state: TestRunState;
  readonly queuedAt: string;
  readonly startedAt: string | null;
  readonly endedAt: string | null;
  readonly message: string | null;
}

/** A Job's status, as far as a test run follows it. */
export interface TestJobStatus {
  readonly startTime?: string;
  readonly conditions?: ReadonlyArray<{ readonly type: string; readonly status: string; readonly reason?: string; readonly message?: string }>;
}

export type TestVerdict = { readonly state: 'running' } | { readonly state: 'passed' | 'failed' | 'timed-out'; readonly message: string };

/** The Job of a test run (Kubernetes names: 63 characters at most). */
export function testJobName(run: Pick<TestRun, 'deployId'>): string {
  return `sluice-test-${run.deployId}`;
}

/**
 * What a test run's Job says (pure): Complete passes, Failed fails (DeadlineExceeded: timed out);
 * a run past its time and a grace (its Job stuck, or never started) is timed out — a slot is never
 * held by a run that cannot end. No Job yet is running: the pool starts it.
 */
export function verdictOf(run: TestRun, job: { status?: TestJobStatus } | undefined, now: number, graceMs: number): TestVerdict {
  const condition = (type: string) => job?.status?.conditions?.find((c) => c.type === type && c.status === 'True');
  if (condition('Complete')) return { state: 'passed', message: `${run.tests.command.join(' ')} passed` };
  const failed = condition('Failed');
  if (failed) {
    if (failed.reason === 'DeadlineExceeded') return { state: 'timed-out', message: `the tests ran past their ${run.tests.timeoutSeconds} s` };
    return { state: 'failed', message: `the tests failed: ${failed.message ?? failed.reason ?? 'the test Job failed'}` };
  }
  const started = Date.parse(run.startedAt ?? run.queuedAt);
  if (now - started > run.tests.timeoutSeconds * 1000 + graceMs) return { state: 'timed-out', message: `the tests ran past their ${run.tests.timeoutSeconds} s` };
  return { state: 'running' };
}
