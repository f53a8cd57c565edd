import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import { applierStream } from '@sluice/contracts';
import type { KubeClient, KubeObject } from '@sluice/kube';
import { adminClient, createTestNamespace, deleteTestNamespace } from '@sluice/kube/testing';
import { finishTestPod } from '@sluice/test-runs/testing';
import { waitUntil } from '@sluice/testing';
import { InMemorySpecSource } from './adapters/spec-sources';
import { applierAccess, installCrd, outcomesOf, publish, request, sha, startKubeApplier, stepsOf, type ApplierAccess, type Harness } from './testing/harness';

/**
 * Post-deploy tests (docs/architecture.md §1 "Steps", step `test`) on the real kube-apiserver and
 * its Job controller: a healthy deploy of a config with tests waits for its test Job, and the
 * tests' result is the deploy's. The test plays the node (the test Pod's end).
 */
const ADMIN = 'kube-applier-admin-token-for-tests';
const C1 = sha('c');
const TESTS = { image: 'ghcr.io/acme/web-tests:1', command: ['npm', 'run', 'smoke'], timeoutSeconds: 120 };
const specs = new InMemorySpecSource().put('acme/config', C1, [{ path: 'deploy/web/cm.yaml', content: 'apiVersion: v1\nkind: ConfigMap\nmetadata: { name: web }\ndata: { mode: live }\n' }]);

describe('kube-applier runs a deploy’s tests on the test-server pool', { timeout: 180_000 }, () => {
  let admin: KubeClient;
  let ns: string;
  let h: Harness;
  let access: ApplierAccess | undefined;
  let base: string;

  const deployWithTests = async (artifact: string, tests: typeof TESTS = TESTS) => {
    const envelope = request({ config: 'web', namespace: ns, artifactSha: sha(artifact), configSha: C1 });
    return publish(h.bus, { ...envelope, data: { ...(envelope.data as object), tests } });
  };
  const testRunOf = async (deployId: string) => {
    const res = await fetch(`${base}/api/test-runs`, { headers: { authorization: `Bearer ${ADMIN}` } });
    assert.equal(res.status, 200);
    const body = (await res.json()) as { slots: number; running: Array<{ id: string; deployId: string; state: string }>; queued: unknown[] };
    return { body, run: body.running.find((r) => r.deployId === deployId) };
  };

  const ended = async (deployId: string) => {
    await waitUntil(async () => (await outcomesOf(h.store, 'web', deployId)).some((o) => o.type === 'deploy.succeeded' || o.type === 'deploy.failed'), { timeoutMs: 60_000, message: 'the deploy ends' });
    return outcomesOf(h.store, 'web', deployId);
  };

  before(async () => {
    admin = adminClient();
    await installCrd(admin);
    ns = await createTestNamespace(admin, 'applier-tests');
    access = await applierAccess(admin, [ns]);
    h = await startKubeApplier({
      env: { SLUICE_ADMIN_TOKEN: ADMIN, KUBE_APPLIER_RESYNC_SECONDS: '1', KUBE_APPLIER_HEALTH_POLL_SECONDS: '0.2', KUBE_APPLIER_TEST_SLOTS: '1' },
      module: { specSource: specs, kubeClient: access.client, watchNamespace: ns },
      http: true,
    });
    base = `http://127.0.0.1:${((h.app.getHttpServer() as Server).address() as AddressInfo).port}`;
  });

  after(async () => {
    await h?.close();
    await access?.rbac.remove();
    if (ns) await deleteTestNamespace(admin, ns);
  });

  it('healthy is not yet succeeded: the test Job runs, in the config’s namespace, and its success is the deploy’s', async () => {
    const id = await deployWithTests('1');
    let run: { id: string } | undefined;
    await waitUntil(async () => (run = (await testRunOf(id)).run) !== undefined, { timeoutMs: 30_000, message: 'the test run holds the slot' });
    assert.deepEqual((await outcomesOf(h.store, 'web', id)).map((o) => o.type), ['deploy.started', 'deploy.applied'], 'healthy, but not succeeded before the tests');
    const job = await admin.get<KubeObject & { spec: { template: { spec: { containers: Array<{ image: string; command: string[] }> } } } }>({ apiVersion: 'batch/v1', kind: 'Job', namespace: ns, name: `sluice-test-${id}` });
    assert.deepEqual(job.spec.template.spec.containers[0]!.command, TESTS.command);
    await finishTestPod(admin, ns, run!.id, 'Succeeded');
    const outcomes = await ended(id);
    assert.deepEqual(outcomes.map((o) => o.type), ['deploy.started', 'deploy.applied', 'deploy.log', 'deploy.succeeded']);
    // The Job's Pod log, where a kubelet serves it: this cluster has no node, so it says why not.
    assert.equal(outcomes[2]!.data['source'], 'job');
    assert.match((outcomes[2]!.data['lines'] as Array<{ text: string }>)[0]!.text, /^the test Job's log is not available: Pod sluice-test-/);
    assert.deepEqual(await stepsOf(h.store, 'web', id), ['check-image:skipped', 'render:done', 'wait-healthy:done', 'test:started', 'test:done']);
  });

  it('failed tests fail the deploy (TestsFailed) with the Job’s message; the slot is free again', async () => {
    const id = await deployWithTests('2');
    let run: { id: string } | undefined;
    await waitUntil(async () => (run = (await testRunOf(id)).run) !== undefined, { timeoutMs: 30_000, message: 'the test run holds the slot' });
    await finishTestPod(admin, ns, run!.id, 'Failed');
    const outcomes = await ended(id);
    assert.deepEqual(outcomes.map((o) => o.type), ['deploy.started', 'deploy.applied', 'deploy.log', 'deploy.failed']);
    assert.equal(outcomes[3]!.data['reason'], 'TestsFailed');
    assert.match(outcomes[3]!.data['message'] as string, /^the tests failed: /);
    assert.deepEqual((await stepsOf(h.store, 'web', id)).slice(-2), ['test:started', 'test:failed']);
    const { body } = await testRunOf(id);
    assert.deepEqual([body.slots, body.running.length, body.queued.length], [1, 0, 0]);
  });

  it('tests past their timeoutSeconds fail the deploy at step test (TestsTimedOut); the slot is free again', async () => {
    const id = await deployWithTests('3', { ...TESTS, timeoutSeconds: 2 });
    let run: { id: string } | undefined;
    await waitUntil(async () => (run = (await testRunOf(id)).run) !== undefined, { timeoutMs: 30_000, message: 'the test run holds the slot' });
    const job = await admin.get<KubeObject & { spec: { activeDeadlineSeconds?: number } }>({ apiVersion: 'batch/v1', kind: 'Job', namespace: ns, name: `sluice-test-${id}` });
    assert.equal(job.spec.activeDeadlineSeconds, 2, 'the Job is bounded by the tests’ timeoutSeconds');
    // The test Pod never ends (nothing plays the node): the Job runs past its deadline.
    const outcomes = await ended(id);
    assert.deepEqual(outcomes.map((o) => o.type), ['deploy.started', 'deploy.applied', 'deploy.log', 'deploy.failed']);
    const failed = outcomes[3]!.data;
    assert.equal(failed['reason'], 'TestsTimedOut');
    assert.equal(failed['message'], 'the tests ran past their 2 s');
    assert.equal(failed['terminal'], true);
    assert.deepEqual((await stepsOf(h.store, 'web', id)).slice(-2), ['test:started', 'test:failed']);
    const testStep = (await h.store.readStream(applierStream('web')))
      .map((e) => e.data as { deployId?: string; step?: string; error?: unknown; childId?: string })
      .filter((d) => d.deployId === id && d.step === 'test')
      .at(-1)!;
    assert.deepEqual(testStep.error, { reason: 'TestsTimedOut', message: 'the tests ran past their 2 s' });
    assert.equal(testStep.childId, run!.id);
    const { body } = await testRunOf(id);
    assert.deepEqual([body.slots, body.running.length, body.queued.length], [1, 0, 0], 'the slot is released');
  });
});
