import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { EventData } from '@sluice/contracts';
import type { ConfigEvent } from './config-events';
import { foldDeploySteps, type DeployStep } from './deploy-steps';

const ID = '01890000-0000-7000-8000-000000000001';
const A = 'a'.repeat(40);
const C = 'c'.repeat(40);
const requested: EventData<'deploy.requested'> = {
  deployId: ID,
  config: 'billing-api',
  team: 'payments',
  namespace: 'payments',
  configRepo: 'acme/deploy-configs',
  path: 'deploy/billing-api',
  artifactRepo: 'acme/billing',
  artifactImage: 'ghcr.io/acme/billing',
  artifactSha: A,
  configSha: C,
  imageTag: 'main-aaaaaaa',
  cause: 'autodeploy',
  requestedBy: 'autodeploy',
  reason: 'green build',
  reappliedFrom: null,
};
const step = (data: Partial<EventData<'deploy.step'>> & Pick<EventData<'deploy.step'>, 'step' | 'state'>): ConfigEvent => ({
  type: 'deploy.step',
  data: { deployId: ID, config: 'billing-api', result: null, error: null, childId: null, startedAt: null, endedAt: null, ...data },
});

/** Folds `events` (one second apart) from no steps; the states in order, by name. */
function fold(events: ConfigEvent[]): DeployStep[] {
  return events.reduce<DeployStep[]>((steps, e, i) => foldDeploySteps(steps, e, `2026-12-04T07:00:0${i}.000Z`), []);
}
const states = (steps: DeployStep[]) => Object.fromEntries(steps.map((s) => [s.name, s.state]));

describe('foldDeploySteps', () => {
  it('a deploy that succeeds: resolve, check-image and render as reported, apply from started to applied, wait-healthy to succeeded, no tests', () => {
    const steps = fold([
      { type: 'deploy.requested', data: requested },
      step({ step: 'check-image', state: 'done', result: 'ghcr.io/acme/billing:main-aaaaaaa is sha256:1', startedAt: '2026-12-04T06:59:59.000Z', endedAt: '2026-12-04T07:00:00.500Z' }),
      step({ step: 'render', state: 'done', result: '2 objects rendered' }),
      { type: 'deploy.started', data: { deployId: ID, config: 'billing-api' } },
      { type: 'deploy.applied', data: { deployId: ID, config: 'billing-api', dryRun: false, inventory: [{ apiVersion: 'apps/v1', kind: 'Deployment', namespace: 'payments', name: 'billing-api' }] } },
      { type: 'deploy.succeeded', data: { deployId: ID, config: 'billing-api' } },
    ]);
    assert.deepEqual(states(steps), { resolve: 'done', 'check-image': 'done', build: 'skipped', render: 'done', apply: 'done', 'wait-healthy': 'done', test: 'skipped' });
    const byName = Object.fromEntries(steps.map((s) => [s.name, s]));
    assert.equal(byName['resolve']!.result, 'main-aaaaaaa from config ccccccc');
    assert.deepEqual([byName['check-image']!.startedAt, byName['check-image']!.endedAt], ['2026-12-04T06:59:59.000Z', '2026-12-04T07:00:00.500Z'], 'the reported times');
    assert.deepEqual([byName['apply']!.startedAt, byName['apply']!.endedAt, byName['apply']!.result], ['2026-12-04T07:00:03.000Z', '2026-12-04T07:00:04.000Z', '1 object applied']);
    assert.deepEqual([byName['wait-healthy']!.startedAt, byName['wait-healthy']!.endedAt, byName['wait-healthy']!.result], ['2026-12-04T07:00:04.000Z', '2026-12-04T07:00:05.000Z', 'healthy']);
    assert.equal(byName['test']!.result, 'no tests declared');
  });

  it('a missing image fails check-image with its error; every step that did not run is skipped, and the deploy’s failure changes nothing more', () => {
    const error = { reason: 'ImageNotFound', message: 'ghcr.io/acme/billing:main-aaaaaaa is not in the registry' };
    const steps = fold([
      { type: 'deploy.requested', data: requested },
      step({ step: 'check-image', state: 'failed', error }),
      { type: 'deploy.started', data: { deployId: ID, config: 'billing-api' } },
      { type: 'deploy.failed', data: { deployId: ID, config: 'billing-api', ...error, terminal: true } },
    ]);
    assert.deepEqual(states(steps), { resolve: 'done', 'check-image': 'failed', build: 'skipped', render: 'skipped', apply: 'skipped', 'wait-healthy': 'skipped', test: 'skipped' });
    assert.deepEqual(steps[1]!.error, error);
    assert.equal(steps[2]!.result, 'not run: check-image failed');
  });

  it('a deploy that never becomes healthy fails at wait-healthy with the failure’s reason and message', () => {
    const steps = fold([
      { type: 'deploy.requested', data: requested },
      step({ step: 'check-image', state: 'skipped', result: 'image check off' }),
      step({ step: 'render', state: 'done', result: '1 object rendered' }),
      { type: 'deploy.started', data: { deployId: ID, config: 'billing-api' } },
      { type: 'deploy.applied', data: { deployId: ID, config: 'billing-api', dryRun: false, inventory: [] } },
      { type: 'deploy.failed', data: { deployId: ID, config: 'billing-api', reason: 'ProgressDeadlineExceeded', message: 'not ready after 600 s', terminal: true } },
    ]);
    assert.deepEqual(states(steps), { resolve: 'done', 'check-image': 'skipped', build: 'skipped', render: 'done', apply: 'done', 'wait-healthy': 'failed', test: 'skipped' });
    assert.deepEqual(steps[5]!.error, { reason: 'ProgressDeadlineExceeded', message: 'not ready after 600 s' });
  });

  it('a step report arriving twice, or after the step ended, changes nothing; a superseded deploy skips what it did not run', () => {
    const once = fold([{ type: 'deploy.requested', data: requested }, step({ step: 'render', state: 'done', result: '1 object rendered' })]);
    const again = foldDeploySteps(once, step({ step: 'render', state: 'failed', error: { reason: 'X', message: 'late' } }), '2026-12-04T07:01:00.000Z');
    assert.deepEqual(again, once);
    const superseded = foldDeploySteps(once, { type: 'deploy.superseded', data: { deployId: ID, config: 'billing-api', supersededBy: 'other' } }, '2026-12-04T07:01:00.000Z');
    assert.equal(superseded.find((s) => s.name === 'apply')!.result, 'superseded by deploy other');
  });

  it('an undeploy has two steps; a deploy recorded before steps existed fills the steps its outcomes imply', () => {
    const undeploy = fold([
      { type: 'undeploy.requested', data: { ...requested, artifactSha: null, configSha: null, imageTag: null } },
      { type: 'deploy.started', data: { deployId: ID, config: 'billing-api' } },
      { type: 'deploy.undeployed', data: { deployId: ID, config: 'billing-api' } },
    ]);
    assert.deepEqual(states(undeploy), { resolve: 'done', apply: 'done' });
    const old = fold([
      { type: 'deploy.requested', data: requested },
      { type: 'deploy.started', data: { deployId: ID, config: 'billing-api' } },
      { type: 'deploy.applied', data: { deployId: ID, config: 'billing-api', dryRun: true, inventory: [] } },
      { type: 'deploy.succeeded', data: { deployId: ID, config: 'billing-api' } },
    ]);
    assert.deepEqual(states(old), { resolve: 'done', 'check-image': 'skipped', build: 'skipped', render: 'skipped', apply: 'done', 'wait-healthy': 'done', test: 'skipped' });
    assert.equal(old[1]!.result, 'not recorded');
  });

  it('a deploy that waits for its build: build started (its child the BuildRun) holds apply at deploy.started; done, the deploy goes on; a build nobody started was not needed', () => {
    const held = fold([
      { type: 'deploy.requested', data: requested },
      step({ step: 'check-image', state: 'done', result: 'ghcr.io/acme/billing:main-aaaaaaa is not in the registry: building it' }),
      step({ step: 'build', state: 'started', childId: 'billing-api-staging-aaaaaaa-000001', startedAt: '2026-12-04T07:00:01.000Z' }),
      { type: 'deploy.started', data: { deployId: ID, config: 'billing-api' } },
    ]);
    assert.deepEqual(states(held), { resolve: 'done', 'check-image': 'done', build: 'started', render: 'pending', apply: 'pending', 'wait-healthy': 'pending', test: 'pending' });
    assert.equal(held.find((x) => x.name === 'build')!.childId, 'billing-api-staging-aaaaaaa-000001');
    const went = [
      step({ step: 'build', state: 'done', result: 'succeeded', childId: 'billing-api-staging-aaaaaaa-000001' }),
      step({ step: 'render', state: 'done', result: '1 object rendered' }),
      step({ step: 'apply', state: 'started' }),
      { type: 'deploy.applied', data: { deployId: ID, config: 'billing-api', dryRun: false, inventory: [] } },
      { type: 'deploy.succeeded', data: { deployId: ID, config: 'billing-api' } },
    ].reduce<DeployStep[]>((steps, e, i) => foldDeploySteps(steps, e as ConfigEvent, `2026-12-04T07:01:0${i}.000Z`), held);
    assert.deepEqual(states(went), { resolve: 'done', 'check-image': 'done', build: 'done', render: 'done', apply: 'done', 'wait-healthy': 'done', test: 'skipped' });
    const failed = foldDeploySteps(held, step({ step: 'build', state: 'failed', childId: 'billing-api-staging-aaaaaaa-000001', error: { reason: 'BuildFailed', message: 'BuildRun x Failed' } }), '2026-12-04T07:02:00.000Z');
    assert.deepEqual(states(failed), { resolve: 'done', 'check-image': 'done', build: 'failed', render: 'skipped', apply: 'skipped', 'wait-healthy': 'skipped', test: 'skipped' });
    assert.equal(failed.find((x) => x.name === 'render')!.result, 'not run: build failed');
    // Past the step deadline (ExpireStep): the failure is the build's.
    const expired = foldDeploySteps(held, { type: 'deploy.failed', data: { deployId: ID, config: 'billing-api', reason: 'StepDeadlineExceeded', message: 'stuck in step build', terminal: true } }, '2026-12-04T07:30:00.000Z');
    assert.deepEqual([expired.find((x) => x.name === 'build')!.state, expired.find((x) => x.name === 'build')!.error?.reason], ['failed', 'StepDeadlineExceeded']);
    const plain = fold([{ type: 'deploy.requested', data: requested }, step({ step: 'check-image', state: 'done' }), step({ step: 'render', state: 'done' }), { type: 'deploy.started', data: { deployId: ID, config: 'billing-api' } }]);
    assert.deepEqual([plain.find((x) => x.name === 'build')!.state, plain.find((x) => x.name === 'build')!.result, plain.find((x) => x.name === 'apply')!.state], ['skipped', 'nothing to build', 'started']);
  });

  it('a step ended by kube-applier’s clock a little before autodeploy recorded its start still ends after it starts', () => {
    const steps = fold([
      { type: 'deploy.requested', data: requested },
      { type: 'deploy.started', data: { deployId: ID, config: 'billing-api' } },
      { type: 'deploy.applied', data: { deployId: ID, config: 'billing-api', dryRun: false, inventory: [] } },
      step({ step: 'wait-healthy', state: 'done', result: 'healthy', endedAt: '2026-12-04T07:00:01.500Z' }),
    ]);
    const waited = steps.find((x) => x.name === 'wait-healthy')!;
    assert.deepEqual([waited.state, waited.startedAt, waited.endedAt], ['done', '2026-12-04T07:00:02.000Z', '2026-12-04T07:00:02.000Z']);
  });
});
