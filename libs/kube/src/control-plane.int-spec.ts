// The test control plane runs kube-controller-manager's Job, garbage-collector, namespace
// and ServiceAccount controllers for real (infra/kube.sh); no kubelet: the test plays the
// node by patching Pod status, the Job controller does the rest.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { patchStatus } from './apply';
import type { KubeClient } from './client';
import type { KubeObject } from './types';
import { adminClient, createTestNamespace, deleteTestNamespace, eventually } from './testing';

describe('the test control plane (kube-apiserver + kube-controller-manager)', () => {
  let kube: KubeClient;
  let namespace: string;

  before(async () => {
    kube = adminClient();
    namespace = await createTestNamespace(kube, 'control-plane');
  });

  after(async () => {
    await deleteTestNamespace(kube, namespace);
  });

  const podsOf = async (job: string) =>
    (await kube.list<KubeObject>({ apiVersion: 'v1', kind: 'Pod', namespace }, { labelSelector: `job-name=${job}` })).items;

  const job = (name: string): KubeObject =>
    ({
      apiVersion: 'batch/v1',
      kind: 'Job',
      metadata: { name, namespace },
      spec: {
        backoffLimit: 0,
        activeDeadlineSeconds: 600,
        template: { spec: { restartPolicy: 'Never', containers: [{ name: 'build', image: 'registry.invalid/builder:1', command: ['true'] }] } },
      },
    }) as KubeObject;

  it('a Job gets its Pod from the Job controller, and completes when the Pod succeeds', async () => {
    await kube.create(job('succeeds'));
    const [pod] = await eventually(async () => {
      const pods = await podsOf('succeeds');
      return pods.length ? pods : undefined;
    }, 30_000, 'the Job controller to create the Pod');
    assert.equal(pod!.metadata.ownerReferences?.[0]?.kind, 'Job');
    await patchStatus(kube, { apiVersion: 'v1', kind: 'Pod', namespace, name: pod!.metadata.name! }, { phase: 'Succeeded', conditions: [{ type: 'Ready', status: 'False', reason: 'PodCompleted' }] });
    const done = await eventually(async () => {
      const j = await kube.get<KubeObject & { status?: { succeeded?: number; conditions?: Array<{ type: string; status: string }> } }>({ apiVersion: 'batch/v1', kind: 'Job', namespace, name: 'succeeds' });
      return j.status?.conditions?.some((c) => c.type === 'Complete' && c.status === 'True') ? j : undefined;
    }, 30_000, 'the Job to complete');
    assert.equal(done.status?.succeeded, 1);
  });

  it('deleting an owner garbage-collects its dependents', async () => {
    await kube.create(job('collected'));
    await eventually(async () => ((await podsOf('collected')).length ? true : undefined), 30_000, 'the Pod');
    await kube.delete({ apiVersion: 'batch/v1', kind: 'Job', namespace, name: 'collected' }, { propagationPolicy: 'Background' });
    await eventually(async () => ((await podsOf('collected')).length === 0 ? true : undefined), 30_000, 'the garbage collector to delete the Pod');
  });

  it('a deleted namespace goes away (the namespace controller empties and finalizes it)', async () => {
    const doomed = await createTestNamespace(kube, 'doomed');
    await kube.create({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'x', namespace: doomed }, data: { a: '1' } } as KubeObject);
    await eventually(async () => ((await kube.find({ apiVersion: 'v1', kind: 'ServiceAccount', namespace: doomed, name: 'default' })) ? true : undefined), 30_000, 'the default ServiceAccount');
    await deleteTestNamespace(kube, doomed);
    await eventually(async () => ((await kube.find({ apiVersion: 'v1', kind: 'Namespace', name: doomed })) === undefined ? true : undefined), 60_000, 'the namespace to be gone');
  });
});
