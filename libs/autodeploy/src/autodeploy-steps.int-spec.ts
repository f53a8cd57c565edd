import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { DeployConfigRoot } from '@sluice/contracts';
import { waitUntil } from '@sluice/testing';
import request from 'supertest';
import { ADMIN_TOKEN, eventsOf, publishOutcome, publishRepo, sha, startAutodeploy, type Harness } from './testing/harness';

/**
 * Deploys as step flows (docs/architecture.md §1 "Steps") on real PostgreSQL: kube-applier's step
 * reports and outcomes (published as it would) become the deploy's `steps`, and a deploy stuck in
 * a step past AUTODEPLOY_STEP_DEADLINE_SECONDS fails there.
 */
const root: DeployConfigRoot = {
  name: 'billing-api',
  team: 'payments',
  namespace: 'payments',
  artifact: { repo: 'acme/billing', image: 'ghcr.io/acme/billing', build: 'ci' },
  track: { branch: 'main' },
  autodeploy: true,
  configRepo: 'acme/config',
  path: 'deploy/billing-api',
};
const C1 = sha('c');

interface Step {
  name: string;
  state: string;
  result: string | null;
  error: { reason: string; message: string } | null;
  startedAt: string | null;
  endedAt: string | null;
}

describe('deploy steps and step deadlines', { timeout: 120_000 }, () => {
  let h: Harness;
  const admin = { Authorization: `Bearer ${ADMIN_TOKEN}` };
  const deployView = async (id: string) => (await request(h.http).get(`/api/deploys/${id}`).set(admin).expect(200)).body as { phase: string; failure: { reason: string; message: string } | null; steps: Step[] };
  const green = async (artifactSha: string) => {
    await publishRepo(h.bus, 'repo.build.recorded', 'acme/billing', { repo: 'acme/billing', sha: artifactSha, branch: 'main', buildName: 'ci', status: 'completed', conclusion: 'success', url: null });
    let deployId = '';
    await waitUntil(
      async () => {
        const requested = (await eventsOf(h.store, 'config-billing-api')).find((e) => e.type === 'deploy.requested' && e.data['artifactSha'] === artifactSha);
        deployId = (requested?.data['deployId'] as string | undefined) ?? '';
        return deployId !== '';
      },
      { timeoutMs: 20_000, message: `deploy of ${artifactSha}` },
    );
    return deployId;
  };

  before(async () => {
    h = await startAutodeploy({ module: { stepDeadlineSeconds: 1 } });
    await publishRepo(h.bus, 'repo.branch.updated', 'acme/config', { repo: 'acme/config', defaultBranch: 'main', branch: 'main', headSha: C1, previousSha: null, headCommit: null, forced: false });
    await publishRepo(h.bus, 'repo.config.discovered', 'acme/config', { config: root, configSha: C1 });
  });

  after(async () => {
    await h?.close();
  });

  it('a deploy stuck in apply past its step deadline fails there, StepDeadlineExceeded; the steps after it are skipped; the step reports before it stay', async () => {
    const id = await green(sha('1'));
    const at = new Date().toISOString();
    await publishOutcome(h.bus, 'deploy.step', { deployId: id, config: 'billing-api', step: 'check-image', state: 'done', result: 'ghcr.io/acme/billing:main-1111111 is sha256:abc', error: null, childId: null, startedAt: at, endedAt: at });
    await publishOutcome(h.bus, 'deploy.step', { deployId: id, config: 'billing-api', step: 'render', state: 'done', result: '2 objects rendered', error: null, childId: null, startedAt: at, endedAt: at });
    // Redelivered: recorded once.
    await publishOutcome(h.bus, 'deploy.step', { deployId: id, config: 'billing-api', step: 'render', state: 'done', result: '2 objects rendered', error: null, childId: null, startedAt: at, endedAt: at });
    await publishOutcome(h.bus, 'deploy.started', { deployId: id, config: 'billing-api' });
    // ...and nothing more from kube-applier.
    await waitUntil(async () => (await deployView(id)).phase === 'failed', { timeoutMs: 20_000, message: 'the deploy failed by its step deadline' });
    const view = await deployView(id);
    assert.equal(view.failure?.reason, 'StepDeadlineExceeded');
    assert.match(view.failure!.message, /^stuck in step apply since \S+, past the step deadline of 1 s \(AUTODEPLOY_STEP_DEADLINE_SECONDS\)$/);
    assert.deepEqual(
      view.steps.map((s) => `${s.name}:${s.state}`),
      ['resolve:done', 'check-image:done', 'render:done', 'apply:failed', 'wait-healthy:skipped', 'test:skipped'],
    );
    assert.equal(view.steps[1]!.result, 'ghcr.io/acme/billing:main-1111111 is sha256:abc');
    assert.equal(view.steps[3]!.error?.reason, 'StepDeadlineExceeded');
    const steps = (await eventsOf(h.store, 'config-billing-api')).filter((e) => e.type === 'deploy.step' && e.data['deployId'] === id);
    assert.equal(steps.length, 2, 'each step report recorded once');
  });

  it('the queue moves on: the next green build deploys, and its steps follow its outcomes to succeeded', async () => {
    const id = await green(sha('2'));
    await publishOutcome(h.bus, 'deploy.started', { deployId: id, config: 'billing-api' });
    await publishOutcome(h.bus, 'deploy.applied', { deployId: id, config: 'billing-api', dryRun: false, inventory: [] });
    await publishOutcome(h.bus, 'deploy.succeeded', { deployId: id, config: 'billing-api' });
    await waitUntil(async () => (await deployView(id)).phase === 'succeeded', { timeoutMs: 20_000, message: 'succeeded' });
    const view = await deployView(id);
    assert.deepEqual(
      view.steps.map((s) => `${s.name}:${s.state}`),
      ['resolve:done', 'check-image:skipped', 'render:skipped', 'apply:done', 'wait-healthy:done', 'test:skipped'],
    );
  });
});
