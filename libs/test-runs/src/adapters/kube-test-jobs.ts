import { KubeError, type KubeClient, type KubeObject } from '@sluice/kube';
import type { JobLog, TestJobs } from '../application/ports';
import { readJobPodLog } from './job-pod-log';
import { testJobName, type TestJobStatus, type TestRun } from '../domain/test-run';

export const TEST_RUN_LABEL = 'sluice.dev/test-run';
const FIELD_MANAGER = 'sluice-test-runs';

/** The Job that runs a deploy's tests in the config's namespace: no retries, the tests' time limit, no API token. */
export function testJobFor(run: TestRun): KubeObject {
  return {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: {
      name: testJobName(run),
      namespace: run.namespace,
      labels: { [TEST_RUN_LABEL]: run.id, 'sluice.dev/config': run.config, 'sluice.dev/deploy-id': run.deployId },
    },
    spec: {
      activeDeadlineSeconds: run.tests.timeoutSeconds,
      backoffLimit: 0,
      ttlSecondsAfterFinished: 86_400,
      template: {
        metadata: { labels: { [TEST_RUN_LABEL]: run.id } },
        spec: {
          restartPolicy: 'Never',
          automountServiceAccountToken: false,
          containers: [
            {
              name: 'tests',
              image: run.tests.image,
              command: [...run.tests.command],
              env: [
                { name: 'SLUICE_DEPLOY_ID', value: run.deployId },
                { name: 'SLUICE_CONFIG', value: run.config },
                { name: 'SLUICE_NAMESPACE', value: run.namespace },
                ...(run.deployedImage ? [{ name: 'SLUICE_IMAGE', value: run.deployedImage }] : []),
              ],
            },
          ],
        },
      },
    },
  } as KubeObject;
}

export class KubeTestJobs implements TestJobs {
  constructor(private readonly kube: KubeClient) {}

  async start(run: TestRun): Promise<void> {
    if (await this.find(run)) return;
    try {
      await this.kube.create(testJobFor(run), { fieldManager: FIELD_MANAGER });
    } catch (error) {
      // Created by a pass whose answer was lost.
      if (!(error instanceof KubeError && error.status === 409)) throw error;
    }
  }

  /** The end of the run's Pod log, where a kubelet serves it (readJobPodLog); else why not. */
  logs(run: TestRun): Promise<JobLog> {
    return readJobPodLog(this.kube, { namespace: run.namespace, labelSelector: `${TEST_RUN_LABEL}=${run.id}`, container: 'tests' });
  }

  find(run: TestRun): Promise<{ status?: TestJobStatus } | undefined> {
    return this.kube.find<KubeObject & { status?: TestJobStatus }>({ apiVersion: 'batch/v1', kind: 'Job', namespace: run.namespace, name: testJobName(run) });
  }
}
