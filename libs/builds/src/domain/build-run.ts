import type { KubeObject } from '@sluice/kube';

export const BUILD_RUN_API_VERSION = 'sluice.dev/v1alpha1';
export const BUILD_RUN_KIND = 'BuildRun';
/** On the Job (and so its Pods): which BuildRun it runs. */
export const BUILD_RUN_LABEL = 'sluice.dev/buildrun';

export type BuildPhase = 'Pending' | 'Scheduled' | 'Running' | 'Succeeded' | 'Failed' | 'TimedOut' | 'Canceled';
export const TERMINAL_PHASES: ReadonlySet<BuildPhase> = new Set(['Succeeded', 'Failed', 'TimedOut', 'Canceled']);

export interface BuildRunSpec {
  readonly config: string;
  readonly target: string;
  readonly repo: string;
  readonly ref: string;
  readonly commitSha: string;
  readonly image: string;
  readonly command: readonly string[];
  readonly args?: readonly string[];
  readonly timeoutSeconds: number;
  readonly serviceAccount?: string;
}

export interface BuildRunStatus {
  readonly phase?: BuildPhase;
  readonly jobName?: string;
  readonly startedAt?: string;
  readonly finishedAt?: string;
  readonly message?: string;
}

export type BuildRunObject = KubeObject & { spec: BuildRunSpec; status?: BuildRunStatus };

/** What the Job controller reports on a Job (the parts a build's phase follows). */
export interface JobStatus {
  readonly active?: number;
  readonly ready?: number;
  readonly succeeded?: number;
  readonly failed?: number;
  readonly startTime?: string;
  readonly completionTime?: string;
  readonly conditions?: ReadonlyArray<{ readonly type: string; readonly status: string; readonly reason?: string; readonly message?: string; readonly lastTransitionTime?: string }>;
}

/** The Job that runs a BuildRun: owned by it (deleted with it), the time limit as its deadline, no retries. */
export function jobFor(run: BuildRunObject): KubeObject {
  const { spec } = run;
  return {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: {
      name: run.metadata.name,
      namespace: run.metadata.namespace,
      labels: { [BUILD_RUN_LABEL]: run.metadata.name!, 'sluice.dev/config': spec.config, 'sluice.dev/target': spec.target },
      ownerReferences: [{ apiVersion: BUILD_RUN_API_VERSION, kind: BUILD_RUN_KIND, name: run.metadata.name!, uid: run.metadata.uid!, controller: true, blockOwnerDeletion: true }],
    },
    spec: {
      activeDeadlineSeconds: spec.timeoutSeconds,
      backoffLimit: 0,
      template: {
        metadata: { labels: { [BUILD_RUN_LABEL]: run.metadata.name! } },
        spec: {
          restartPolicy: 'Never',
          ...(spec.serviceAccount ? { serviceAccountName: spec.serviceAccount } : { automountServiceAccountToken: false }),
          containers: [
            {
              name: 'build',
              image: spec.image,
              command: [...spec.command],
              ...(spec.args ? { args: [...spec.args] } : {}),
              env: [
                { name: 'SLUICE_REPO', value: spec.repo },
                { name: 'SLUICE_REF', value: spec.ref },
                { name: 'SLUICE_COMMIT_SHA', value: spec.commitSha },
                { name: 'SLUICE_CONFIG', value: spec.config },
                { name: 'SLUICE_TARGET', value: spec.target },
              ],
            },
          ],
        },
      },
    },
  } as KubeObject;
}

/**
 * The BuildRun's status for what its Job shows (pure; level-triggered: the same Job always gives
 * the same answer). A terminal phase never changes again; no Job yet is Pending.
 */
export function statusFor(run: BuildRunObject, job: { status?: JobStatus } | undefined): BuildRunStatus {
  const current = run.status ?? {};
  if (current.phase && TERMINAL_PHASES.has(current.phase)) return current;
  if (!job) return { ...current, phase: current.phase ?? 'Pending' };
  const s = job.status ?? {};
  const condition = (type: string) => s.conditions?.find((c) => c.type === type && c.status === 'True');
  const base = { ...current, jobName: run.metadata.name, ...(s.startTime ? { startedAt: s.startTime } : {}) };
  const complete = condition('Complete');
  if (complete) return { ...base, phase: 'Succeeded', finishedAt: s.completionTime ?? complete.lastTransitionTime, message: 'the build Job completed' };
  const failed = condition('Failed');
  if (failed) {
    const timedOut = failed.reason === 'DeadlineExceeded';
    return {
      ...base,
      phase: timedOut ? 'TimedOut' : 'Failed',
      finishedAt: failed.lastTransitionTime,
      message: timedOut ? `the build ran past its ${run.spec.timeoutSeconds} s` : `the build Job failed: ${failed.message ?? failed.reason ?? 'no reason given'}`,
    };
  }
  if ((s.active ?? 0) > 0 && ((s.ready ?? 0) > 0 || current.phase === 'Running')) return { ...base, phase: 'Running' };
  return { ...base, phase: 'Scheduled' };
}

export const sameStatus = (a: BuildRunStatus, b: BuildRunStatus): boolean => JSON.stringify(a) === JSON.stringify(b);
