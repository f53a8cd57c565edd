import { KubeError, type KubeClient } from '@sluice/kube';
import type { JobLog } from '../application/ports';

/** At most this many of the last lines of a Job's Pod log are read. */
export const JOB_LOG_TAIL_LINES = 100;
/** And at most this many bytes. */
export const JOB_LOG_LIMIT_BYTES = 65_536;

/**
 * The last 100 lines (64 KiB at most) of a Job's Pod (the one `labelSelector` finds in `namespace`),
 * container `container`, which the API server reads from the kubelet of its node; a Pod that never
 * ran on a node (or a cluster without kubelets) has none: the answer then says why. Shared by the
 * test Jobs (step test) and the build Jobs a deploy waits for (step build). Throws on a transient
 * error (the API server's 5xx, the network): callers that must not wait for a log catch it.
 */
export async function readJobPodLog(kube: KubeClient, pod: { namespace: string; labelSelector: string; container: string }): Promise<JobLog> {
  const pods = await kube.list({ apiVersion: 'v1', kind: 'Pod', namespace: pod.namespace }, { labelSelector: pod.labelSelector });
  const found = pods.items[0];
  if (!found) return { unavailable: 'the Job made no Pod' };
  try {
    const text = await kube.request<string>({
      method: 'GET',
      path: `${await kube.path({ apiVersion: 'v1', kind: 'Pod', namespace: pod.namespace, name: found.metadata.name! })}/log`,
      query: { container: pod.container, tailLines: JOB_LOG_TAIL_LINES, limitBytes: JOB_LOG_LIMIT_BYTES },
      accept: 'text/plain',
    });
    return { lines: String(text).split('\n').filter((l) => l.trim() !== '') };
  } catch (error) {
    if (error instanceof KubeError && error.status !== undefined && error.status < 500) return { unavailable: `Pod ${found.metadata.name}: ${error.message}` };
    throw error;
  }
}

/**
 * The lines a Job's Pod log adds to a deploy's log (`deploy.log`, source `job`): the log's own
 * lines, or one line saying why the `job` Job's log is not available.
 */
export function jobLogLines(log: JobLog, job: 'test' | 'build'): Array<{ at: null; text: string }> {
  return 'lines' in log ? log.lines.map((text) => ({ at: null, text })) : [{ at: null, text: `the ${job} Job's log is not available: ${log.unavailable}` }];
}
