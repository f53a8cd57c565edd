// The BuildRun controller on the real control plane: kube-apiserver with the BuildRun CRD and
// kube-controller-manager's Job and garbage-collector controllers. No kubelet runs here: the
// test plays the node by patching the build Pod's status; the Job controller does the rest.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { patchStatus, type KubeClient, type KubeObject } from '@sluice/kube';
import { adminClient, createTestNamespace, deleteTestNamespace, eventually } from '@sluice/kube/testing';
import { BuildRunController, BUILD_RUN_LABEL, type BuildRunObject } from './index';
import { playNode, podOfBuildRun } from './testing';

const SHA = '0123456789abcdef0123456789abcdef01234567';
const quiet = { debug: () => undefined, info: () => undefined, warn: () => undefined, error: () => undefined };

describe('BuildRunController on kube-apiserver + kube-controller-manager', { timeout: 240_000 }, () => {
  let kube: KubeClient;
  let namespace: string;
  let controller: BuildRunController;

  before(async () => {
    kube = adminClient();
    namespace = await createTestNamespace(kube, 'payments-builds');
    controller = new BuildRunController(kube, { logger: quiet, namespace, resyncMs: 2_000 });
    await controller.start();
  });

  after(async () => {
    await controller?.stop();
    await deleteTestNamespace(kube, namespace);
  });

  const deployConfig = async (name: string): Promise<KubeObject> =>
    kube.create({ apiVersion: 'sluice.dev/v1alpha1', kind: 'DeployConfig', metadata: { name, namespace }, spec: { team: 'payments', artifactSha: null, configSha: null, imageTag: null, specs: [] } } as KubeObject);

  const buildRun = async (name: string, owner: KubeObject, spec: Partial<BuildRunObject['spec']> = {}): Promise<BuildRunObject> =>
    kube.create({
      apiVersion: 'sluice.dev/v1alpha1',
      kind: 'BuildRun',
      metadata: { name, namespace, ownerReferences: [{ apiVersion: 'sluice.dev/v1alpha1', kind: 'DeployConfig', name: owner.metadata.name!, uid: owner.metadata.uid! }] },
      spec: { config: owner.metadata.name!, target: 'staging', repo: 'acme/billing', ref: 'main', commitSha: SHA, image: 'ghcr.io/acme/builder:1', command: ['make', 'image'], timeoutSeconds: 600, ...spec },
    } as unknown as BuildRunObject);

  const phaseOf = async (name: string) => (await kube.get<BuildRunObject>({ apiVersion: 'sluice.dev/v1alpha1', kind: 'BuildRun', namespace, name })).status;
  const waitPhase = (name: string, phase: string, timeoutMs = 60_000) =>
    eventually(async () => ((await phaseOf(name))?.phase === phase ? phaseOf(name) : undefined), timeoutMs, `BuildRun ${name} ${phase}`);
  const podOf = (run: string) => podOfBuildRun(kube, namespace, run);
  const node = (pod: KubeObject, phase: 'Running' | 'Succeeded' | 'Failed') => playNode(kube, pod, phase);

  it('push → BuildRun → Job (owned, deadline = timeout) → Running → Succeeded, and the target is released', async () => {
    const config = await deployConfig('billing-api');
    await buildRun('billing-api-staging-1', config);
    await patchStatus(kube, { apiVersion: 'sluice.dev/v1alpha1', kind: 'DeployConfig', namespace, name: 'billing-api' }, { currentBuilds: { staging: 'billing-api-staging-1' } });
    const scheduled = await waitPhase('billing-api-staging-1', 'Scheduled');
    assert.equal(scheduled?.jobName, 'billing-api-staging-1');
    const job = await kube.get<KubeObject & { spec: { activeDeadlineSeconds: number; backoffLimit: number } }>({ apiVersion: 'batch/v1', kind: 'Job', namespace, name: 'billing-api-staging-1' });
    assert.deepEqual([job.spec.activeDeadlineSeconds, job.spec.backoffLimit, job.metadata.ownerReferences?.[0]?.kind, job.metadata.ownerReferences?.[0]?.controller], [600, 0, 'BuildRun', true]);
    const pod = await podOf('billing-api-staging-1');
    await node(pod, 'Running');
    await waitPhase('billing-api-staging-1', 'Running');
    await node(pod, 'Succeeded');
    const done = await waitPhase('billing-api-staging-1', 'Succeeded');
    assert.ok(done?.finishedAt, 'finishedAt set');
    await eventually(async () => {
      const dc = await kube.get<KubeObject & { status?: { currentBuilds?: Record<string, string> } }>({ apiVersion: 'sluice.dev/v1alpha1', kind: 'DeployConfig', namespace, name: 'billing-api' });
      return dc.status?.currentBuilds?.['staging'] === undefined ? true : undefined;
    }, 30_000, 'currentBuilds.staging cleared');
  });

  it('a failing build ends Failed with the Job’s reason', async () => {
    const config = await deployConfig('fails');
    await buildRun('fails-staging-1', config);
    await node(await podOf('fails-staging-1'), 'Failed');
    const failed = await waitPhase('fails-staging-1', 'Failed');
    assert.match(failed?.message ?? '', /^the build Job failed: /);
  });

  it('a build past its time limit ends TimedOut', async () => {
    const config = await deployConfig('slow');
    await buildRun('slow-staging-1', config, { timeoutSeconds: 30 });
    await node(await podOf('slow-staging-1'), 'Running');
    const timedOut = await waitPhase('slow-staging-1', 'TimedOut', 90_000);
    assert.equal(timedOut?.message, 'the build ran past its 30 s');
  });

  it('converges after a controller restart mid-build', async () => {
    const config = await deployConfig('restart');
    await buildRun('restart-staging-1', config);
    const pod = await podOf('restart-staging-1');
    await node(pod, 'Running');
    await waitPhase('restart-staging-1', 'Running');
    await controller.stop();
    await node(pod, 'Succeeded'); // while nobody watches
    controller = new BuildRunController(kube, { logger: quiet, namespace, resyncMs: 2_000 });
    await controller.start();
    await waitPhase('restart-staging-1', 'Succeeded');
    const jobs = (await kube.list({ apiVersion: 'batch/v1', kind: 'Job', namespace }, { labelSelector: `${BUILD_RUN_LABEL}=restart-staging-1` })).items;
    assert.equal(jobs.length, 1, 'no second Job');
  });

  it('deleting the DeployConfig garbage-collects its BuildRuns and their Jobs', async () => {
    const config = await deployConfig('gone');
    await buildRun('gone-staging-1', config);
    await podOf('gone-staging-1');
    await kube.delete({ apiVersion: 'sluice.dev/v1alpha1', kind: 'DeployConfig', namespace, name: 'gone' }, { propagationPolicy: 'Background' });
    await eventually(async () => ((await kube.find({ apiVersion: 'sluice.dev/v1alpha1', kind: 'BuildRun', namespace, name: 'gone-staging-1' })) ? undefined : true), 60_000, 'the BuildRun collected');
    await eventually(async () => ((await kube.find({ apiVersion: 'batch/v1', kind: 'Job', namespace, name: 'gone-staging-1' })) ? undefined : true), 60_000, 'the Job collected');
  });
});
