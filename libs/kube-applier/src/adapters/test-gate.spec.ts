import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Transaction, UnitOfWork } from '@sluice/event-store';
import type { TestRunStore } from '@sluice/test-runs';
import type { Verdict } from '@sluice/team-policy';
import type { DeployRecords, DeployUnderTest, OutcomePort, ReportedOutcome } from '../application/ports';
import { TestGate } from './test-gate';

const DEPLOY = '01890000-0000-7000-8000-000000000001';
const underTest: DeployUnderTest = { deployId: DEPLOY, config: 'web', team: 'payments', namespace: 'payments', tests: { image: 'ghcr.io/acme/tests:1', command: ['npm', 'test'], timeoutSeconds: 60 }, deployedImage: null };

function gate(options: { tests?: DeployUnderTest | null; verdict?: Verdict; dryRun?: boolean }) {
  const reported: string[] = [];
  const queued: string[] = [];
  const inner: OutcomePort = {
    report: async (_id, _config, o: ReportedOutcome) => {
      reported.push(o.type === 'deploy.step' ? `${o.step}:${o.state}${o.error ? `:${o.error.reason}` : ''}` : o.type);
      return true;
    },
    log: async (_m, _id, _config, source) => void reported.push(`log:${source}`),
  };
  const records = { testsOf: async () => (options.tests === undefined ? underTest : options.tests) } as unknown as DeployRecords;
  const runs = { enqueue: async (_tx: Transaction, run: { deployId: string }) => void queued.push(run.deployId) } as unknown as TestRunStore;
  const uow = { transact: async <T>(work: (tx: Transaction) => Promise<T>) => work({} as Transaction) } as unknown as UnitOfWork;
  const g = new TestGate(inner, records, runs, uow, options.dryRun ?? false, async () => options.verdict ?? { allowed: true });
  return { g, reported, queued };
}

describe('TestGate', () => {
  it('holds a healthy deploy with tests: wait-healthy done and a test run queued, not succeeded', async () => {
    const { g, reported, queued } = gate({});
    assert.equal(await g.report(DEPLOY, 'web', { type: 'deploy.succeeded' }), false);
    assert.deepEqual(reported, ['wait-healthy:done']);
    assert.deepEqual(queued, [DEPLOY]);
  });

  it('passes everything else through, and a deploy without tests', async () => {
    const { g, reported, queued } = gate({ tests: null });
    await g.report(DEPLOY, 'web', { type: 'deploy.started' });
    await g.report(DEPLOY, 'web', { type: 'deploy.succeeded' });
    assert.deepEqual(reported, ['deploy.started', 'deploy.succeeded']);
    assert.deepEqual(queued, []);
  });

  it('the team policy no longer allowing the namespace fails the test step and the deploy, PolicyDenied; no Job is queued', async () => {
    const { g, reported, queued } = gate({ verdict: { allowed: false, reason: 'NamespaceNotAllowed', message: 'payments may deploy into payments-* only' } });
    await g.report(DEPLOY, 'web', { type: 'deploy.succeeded' });
    assert.deepEqual(reported, ['wait-healthy:done', 'test:failed:PolicyDenied', 'deploy.failed']);
    assert.deepEqual(queued, []);
  });

  it('without a cluster the tests are skipped, saying so, and the deploy succeeds', async () => {
    const { g, reported } = gate({ dryRun: true });
    await g.report(DEPLOY, 'web', { type: 'deploy.succeeded' });
    assert.deepEqual(reported, ['test:skipped', 'deploy.succeeded']);
  });
});
