import type { Transaction, UnitOfWork } from '@sluice/event-store';
import { jobLogLines, type JobLog, type TestReports, type TestRun, type TestRunStore } from '@sluice/test-runs';
import { v7 as uuidv7 } from 'uuid';
import type { Verdict } from '@sluice/team-policy';
import type { DeployRecords, DeployUnderTest, OutcomeCause, OutcomePort, ReportedOutcome } from '../application/ports';

const at = () => new Date().toISOString();

/**
 * Outcomes through the test gate (docs/architecture.md §1 "Steps", step `test`): a deploy whose
 * config declares tests is not reported succeeded when it is healthy; its wait-healthy step is
 * reported done and a test run queued in the same transaction, and the test pool reports the
 * result when the tests end. Without a cluster (dry-run) there is nothing to test against: the
 * step is skipped, saying so. The test Job acts for the config's team: the team policy must still
 * allow the namespace when the tests are due, or the step fails, PolicyDenied. Everything else
 * passes through.
 */
export class TestGate implements OutcomePort {
  constructor(
    private readonly inner: OutcomePort,
    private readonly records: DeployRecords,
    private readonly runs: TestRunStore,
    private readonly uow: UnitOfWork,
    private readonly dryRun: boolean,
    /** The team policy's verdict on the deploy's namespace, now. */
    private readonly placement: (deploy: DeployUnderTest) => Promise<Verdict>,
  ) {}

  async report(deployId: string, config: string, outcome: ReportedOutcome, options: { manager?: Transaction; cause?: OutcomeCause } = {}): Promise<boolean> {
    if (outcome.type !== 'deploy.succeeded') return this.inner.report(deployId, config, outcome, options);
    const deploy = await this.records.testsOf(deployId, options.manager);
    if (!deploy) return this.inner.report(deployId, config, outcome, options);
    const step = (state: 'done' | 'skipped', name: 'wait-healthy' | 'test', result: string): ReportedOutcome => ({ type: 'deploy.step', step: name, state, result, error: null, childId: null, startedAt: null, endedAt: at() });
    if (this.dryRun) {
      await this.inner.report(deployId, config, step('skipped', 'test', 'dry run: no cluster to run the tests in'), options);
      return this.inner.report(deployId, config, outcome, options);
    }
    const verdict = await this.placement(deploy);
    if (!verdict.allowed) {
      const error = { reason: 'PolicyDenied', message: `tests in ${deploy.namespace}: ${verdict.reason}: ${verdict.message}` };
      await this.inner.report(deployId, config, step('done', 'wait-healthy', 'healthy'), options);
      await this.inner.report(deployId, config, { type: 'deploy.step', step: 'test', state: 'failed', result: null, error, childId: null, startedAt: null, endedAt: at() }, options);
      return this.inner.report(deployId, config, { type: 'deploy.failed', ...error, terminal: true }, options);
    }
    const queue = async (tx: Transaction) => {
      await this.runs.enqueue(tx, { id: uuidv7(), deployId, config, team: deploy.team, namespace: deploy.namespace, deployedImage: deploy.deployedImage, tests: deploy.tests });
      await this.inner.report(deployId, config, step('done', 'wait-healthy', 'healthy'), { ...options, manager: tx });
    };
    if (options.manager) await queue(options.manager);
    else await this.uow.transact(queue);
    return false;
  }

  log(...args: Parameters<OutcomePort['log']>): Promise<void> {
    return this.inner.log(...args);
  }
}

/** A test run's progress as the deploy's `test` step, then its result (in the run's ending transaction). */
export class TestRunOutcomes implements TestReports {
  constructor(private readonly outcomes: OutcomePort) {}

  async started(run: TestRun): Promise<void> {
    await this.outcomes.report(run.deployId, run.config, { type: 'deploy.step', step: 'test', state: 'started', result: `${run.tests.image}: ${run.tests.command.join(' ')}`, error: null, childId: run.id, startedAt: at(), endedAt: null });
  }

  async ended(tx: Transaction, run: TestRun, state: 'passed' | 'failed' | 'timed-out', message: string, log: JobLog): Promise<void> {
    // The Job's Pod log first, so the deploy's log shows the tests' output before their result.
    await this.outcomes.log(tx, run.deployId, run.config, 'job', jobLogLines(log, 'test'));
    const passed = state === 'passed';
    const reason = state === 'timed-out' ? 'TestsTimedOut' : 'TestsFailed';
    await this.outcomes.report(
      run.deployId,
      run.config,
      { type: 'deploy.step', step: 'test', state: passed ? 'done' : 'failed', result: passed ? message : null, error: passed ? null : { reason, message }, childId: run.id, startedAt: run.startedAt, endedAt: at() },
      { manager: tx },
    );
    await this.outcomes.report(run.deployId, run.config, passed ? { type: 'deploy.succeeded' } : { type: 'deploy.failed', reason, message, terminal: true }, { manager: tx });
  }
}
