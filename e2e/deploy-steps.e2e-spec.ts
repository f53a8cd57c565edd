// Issue 20, "Done when": each step's state and timings through the API of the all-in-one, for a
// deploy that succeeds (its tests pass) and for each way one fails — a missing image (checked in the
// real registry of the test infrastructure, token auth), failed tests (a Job on the real API server's
// Job controller; the test plays the node) and an unhealthy rollout.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { TestRegistry } from '@sluice/image-registry/testing';
import { finishTestPod } from '@sluice/test-runs/testing';
import { CONFIG_NAME, CONFIG_REPO, imageOf, Scenario, tagOf, waitFor } from './support/scenario';
import { startAllInOneApp, type AllInOneApp } from './support/sluice';
import { deploymentYaml, deployYaml, startWorld, type World } from './support/world';

interface Step {
  name: string;
  state: string;
  result: string | null;
  error: { reason: string; message: string } | null;
  childId: string | null;
  startedAt: string | null;
  endedAt: string | null;
}
interface Deploy {
  id: string;
  phase: string;
  failure: { reason: string; message: string } | null;
  steps: Step[];
}

describe('deploy steps through the API: check-image, render, apply, wait-healthy, test', { timeout: 300_000 }, () => {
  const registry = new TestRegistry();
  const repository = `acme/billing-${randomBytes(4).toString('hex')}`;
  const image = `${registry.host}/${repository}`;
  let world: World;
  let sluice: AllInOneApp;
  let s: Scenario;

  const deploy = async (id: string) => (await s.api.request<Deploy>('GET', `/api/deploys/${id}`)).body;
  const states = (d: Deploy) => d.steps.map((x) => `${x.name}:${x.state}`);
  /** A green build of a new commit; its deploy once it has ended, or once `until` holds. */
  const build = async (label: string, until: (d: Deploy) => boolean = (d) => d.phase === 'succeeded' || d.phase === 'failed') => {
    const sha = await s.pushArtifact(label);
    return { sha, deployOf: async () => {
      await s.buildCompleted(sha);
      const { id } = await s.waitForDeployOf(sha);
      let last: Deploy | undefined;
      await waitFor(async () => until((last = await deploy(id))), () => `deploy ${id}: ${JSON.stringify(last)}`, 90_000);
      return last!;
    } };
  };
  const testStep = (d: Deploy) => d.steps.find((x) => x.name === 'test')!;
  /** What the Deployment controller reports once `sha`'s image is applied and its pods are up. */
  const rollOutWhenApplied = async (sha: string) => {
    await waitFor(async () => imageOf(await s.deployment()) === `${image}:${tagOf(sha)}`, () => `${image}:${tagOf(sha)} applied`, 60_000);
    await s.rollOut();
  };

  before(async () => {
    world = await startWorld('steps');
    const tests = 'tests:\n  image: ghcr.io/acme/billing-tests:1\n  command: npm run smoke\n  timeoutSeconds: 120\n';
    world.github.seed.commit(CONFIG_REPO, {
      message: 'billing-api: images from the registry, with tests',
      files: { 'deploy/billing-api/deploy.yaml': deployYaml(world.namespace, tests, { repo: 'acme/billing', image }), 'deploy/billing-api/deployment.yaml': deploymentYaml(CONFIG_NAME, image) },
    });
    sluice = await startAllInOneApp(world, {
      KUBE_APPLIER_IMAGE_CHECK: registry.host,
      SLUICE_REGISTRY_CREDENTIALS: JSON.stringify(registry.credentials),
      KUBE_APPLIER_TEST_SLOTS: '1',
      KUBE_APPLIER_PROGRESS_DEADLINE_SECONDS: '10',
    });
    s = await Scenario.discovered(world, sluice);
  });

  after(async () => {
    await sluice?.stop();
    await world?.stop();
  });

  it('a tag missing from the registry fails at check-image, before anything is rendered or applied', async () => {
    const d = await (await build('missing')).deployOf();
    assert.equal(d.phase, 'failed');
    assert.equal(d.failure?.reason, 'ImageNotFound');
    assert.deepEqual(states(d), ['resolve:done', 'check-image:failed', 'build:skipped', 'render:skipped', 'apply:skipped', 'wait-healthy:skipped', 'test:skipped']);
    assert.match(d.steps[1]!.error!.message, /is not in the registry/);
    assert.equal(await s.deployment(), undefined, 'nothing applied');
  });

  it('a pushed image, healthy, tests that pass: every step done, in order, with its times; the test run is the step’s child', async () => {
    const { sha, deployOf } = await build('good', (d) => testStep(d).state === 'started');
    const digest = await registry.pushImage(repository, tagOf(sha));
    const rollout = rollOutWhenApplied(sha);
    const running = await deployOf();
    await rollout;
    assert.equal(running.phase, 'applied', 'healthy, but not succeeded while its tests run');
    await finishTestPod(world.kube, world.namespace, testStep(running).childId!, 'Succeeded');
    let d: Deploy = running;
    await waitFor(async () => (d = await deploy(running.id)).phase === 'succeeded', () => JSON.stringify(d), 60_000);
    assert.deepEqual(states(d), ['resolve:done', 'check-image:done', 'build:skipped', 'render:done', 'apply:done', 'wait-healthy:done', 'test:done']);
    assert.equal(d.steps[1]!.result, `${image}:${tagOf(sha)} is ${digest}`);
    for (let i = 0; i < d.steps.length; i++) {
      const step = d.steps[i]!;
      assert.ok(step.startedAt && step.endedAt && step.startedAt <= step.endedAt, `${step.name}: ${step.startedAt} → ${step.endedAt}`);
      if (i > 0) assert.ok(d.steps[i - 1]!.endedAt! <= step.endedAt, `${d.steps[i - 1]!.name} ends before ${step.name}`);
    }
  });

  it('tests that fail fail the deploy at test, with the Job’s message', async () => {
    const { sha, deployOf } = await build('bad-tests', (d) => testStep(d).state === 'started');
    await registry.pushImage(repository, tagOf(sha));
    const rollout = rollOutWhenApplied(sha);
    const running = await deployOf();
    await rollout;
    await finishTestPod(world.kube, world.namespace, testStep(running).childId!, 'Failed');
    let d: Deploy = running;
    await waitFor(async () => (d = await deploy(running.id)).phase === 'failed', () => JSON.stringify(d), 60_000);
    assert.equal(d.failure?.reason, 'TestsFailed');
    assert.deepEqual(states(d), ['resolve:done', 'check-image:done', 'build:skipped', 'render:done', 'apply:done', 'wait-healthy:done', 'test:failed']);
    assert.match(testStep(d).error!.message, /^the tests failed: /);
    // The API server reads a Pod's log from its node's kubelet; this cluster has none (the test plays the node).
    const log = await (await fetch(`${sluice.process.url}/api/deploys/${d.id}/logs?follow=false`, { headers: { authorization: `Bearer ${sluice.adminToken}` } })).text();
    assert.match(log, /job: the test Job's log is not available: Pod [^:]+: /, log);
    assert.ok(log.indexOf("job: the test Job's log") < log.indexOf('step test failed'), 'the Job’s log comes before its result');
  });

  it('a rollout that never becomes ready fails at wait-healthy (the progress deadline); its tests never run; the Kubernetes Events of its Pods are in its log', async () => {
    const { sha, deployOf } = await build('unhealthy');
    await registry.pushImage(repository, tagOf(sha));
    // What the kubelet reports about the Deployment's Pod while the rollout hangs (no kubelet here:
    // the test writes the Event as it would), and one about a Pod of something else.
    const ended = deployOf();
    await waitFor(async () => imageOf(await s.deployment()) === `${image}:${tagOf(sha)}`, () => 'applied', 60_000);
    const pod = `${CONFIG_NAME}-5d8c7b9f4-x2x7q`;
    const now = () => new Date().toISOString();
    const kubeEvent = (name: string, object: string, count: number) => ({
      apiVersion: 'v1',
      kind: 'Event',
      metadata: { name, namespace: world.namespace },
      involvedObject: { apiVersion: 'v1', kind: 'Pod', name: object, namespace: world.namespace },
      reason: 'BackOff',
      message: `Back-off pulling image "${image}:${tagOf(sha)}"`,
      type: 'Warning',
      count,
      firstTimestamp: now(),
      lastTimestamp: now(),
      source: { component: 'kubelet' },
    });
    await world.kube.create(kubeEvent(`${pod}.backoff`, pod, 1));
    await world.kube.create(kubeEvent('someone-else.backoff', 'someone-else-6f9d-abcde', 1));
    const d = await ended;
    assert.equal(d.phase, 'failed');
    assert.equal(d.failure?.reason, 'ProgressDeadlineExceeded');
    assert.deepEqual(states(d), ['resolve:done', 'check-image:done', 'build:skipped', 'render:done', 'apply:done', 'wait-healthy:failed', 'test:skipped']);
    const log = await (await fetch(`${sluice.process.url}/api/deploys/${d.id}/logs?follow=false`, { headers: { authorization: `Bearer ${sluice.adminToken}` } })).text();
    assert.match(log, new RegExp(`kubernetes: Warning BackOff Pod/${pod}: Back-off pulling image`), log);
    assert.doesNotMatch(log, /someone-else/, 'only the Events of the deploy’s objects');
    assert.ok(log.indexOf('kubernetes: Warning BackOff') < log.indexOf('deploy failed'), 'the Event comes before the end');
  });
});
