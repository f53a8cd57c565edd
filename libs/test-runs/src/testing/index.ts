// Test support (test code only): what a kubelet would report for a test run's Pod; the Job
// controller (kube-controller-manager) does the rest.
import { patchStatus, type KubeClient, type KubeObject } from '@sluice/kube';
import { waitUntil } from '@sluice/testing';
import { TEST_RUN_LABEL } from '../adapters/kube-test-jobs';

export async function finishTestPod(kube: KubeClient, namespace: string, runId: string, phase: 'Succeeded' | 'Failed'): Promise<void> {
  let pod: KubeObject | undefined;
  await waitUntil(async () => (pod = (await kube.list<KubeObject>({ apiVersion: 'v1', kind: 'Pod', namespace }, { labelSelector: `${TEST_RUN_LABEL}=${runId}` })).items[0]) !== undefined, {
    timeoutMs: 30_000,
    message: `the Pod of test run ${runId}`,
  });
  const image = (pod as unknown as { spec: { containers: Array<{ image: string }> } }).spec.containers[0]!.image;
  await patchStatus(kube, { apiVersion: 'v1', kind: 'Pod', namespace, name: pod!.metadata.name! }, {
    phase,
    conditions: [{ type: 'Ready', status: 'False' }],
    containerStatuses: [{ name: 'tests', ready: false, restartCount: 0, image, imageID: '', state: { terminated: { exitCode: phase === 'Succeeded' ? 0 : 1, reason: phase === 'Succeeded' ? 'Completed' : 'Error' } } }],
  });
}
