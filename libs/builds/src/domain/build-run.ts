import type { EventData } from '@sluice/contracts';
import type { KubeObject } from '@sluice/kube';

export const BUILD_RUN_API_VERSION = 'sluice.dev/v1alpha1';
export const BUILD_RUN_KIND = 'BuildRun';
/** On the Job (and so its Pods): which BuildRun it runs. */
export const BUILD_RUN_LABEL = 'sluice.dev/buildrun';
/** On a BuildRun Sluice created: the build of the log it runs (`build.requested`'s `buildId`). */
export const BUILD_ID_LABEL = 'sluice.dev/build-id';
export const CONFIG_LABEL = 'sluice.dev/config';
export const TARGET_LABEL = 'sluice.dev/target';
/** On a BuildRun a deploy started (step `build`, docs/architecture.md §1 "Steps"): the deploy that waits for it. */
export const DEPLOY_ID_LABEL = 'sluice.dev/deploy-id';
/** The build Job's container: the one whose log is the build's. */
export const BUILD_CONTAINER = 'build';
/** The request's correlation id, carried by every build report. */
export const CORRELATION_ANNOTATION = 'sluice.dev/correlation-id';

export type BuildRequest = EventData<'build.requested'>;

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
  readonly env?: ReadonlyArray<{ readonly name: string; readonly value: string }>;
  readonly timeoutSeconds: number;
  readonly serviceAccount?: string;
  /** The image the build pushes, `<artifact.image>:<ref>-<shortsha>` (`SLUICE_IMAGE` in the Job). */
  readonly artifactImage?: string;
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
              name: BUILD_CONTAINER,
              image: spec.image,
              command: [...spec.command],
              ...(spec.args ? { args: [...spec.args] } : {}),
              env: [
                ...(spec.env ?? []).map((e) => ({ name: e.name, value: e.value })),
                ...(spec.artifactImage ? [{ name: 'SLUICE_IMAGE', value: spec.artifactImage }] : []),
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

/**
 * A BuildRun's name: short enough for the `job-name` label of its Pods (63 characters), unique per
 * build (the build id's last characters), readable (`billing-api-staging-1a2b3c4-5f6e7d`).
 */
export function buildRunName(request: Pick<BuildRequest, 'config' | 'target' | 'commitSha' | 'buildId'>): string {
  const config = request.config.slice(0, 32).replace(/-+$/, '');
  return `${config}-${request.target}-${request.commitSha.slice(0, 7)}-${request.buildId.replace(/-/g, '').slice(-6)}`;
}

/** The BuildRun of a `build.requested`, owned by its DeployConfig (collected with it). */
export function buildRunFor(request: BuildRequest, owner: { name: string; uid: string }, correlationId: string, deployId?: string): BuildRunObject {
  const b = request.builder;
  return {
    apiVersion: BUILD_RUN_API_VERSION,
    kind: BUILD_RUN_KIND,
    metadata: {
      name: buildRunName(request),
      namespace: request.namespace,
      labels: { [CONFIG_LABEL]: request.config, [TARGET_LABEL]: request.target, [BUILD_ID_LABEL]: request.buildId, ...(deployId ? { [DEPLOY_ID_LABEL]: deployId } : {}) },
      annotations: { [CORRELATION_ANNOTATION]: correlationId },
      ownerReferences: [{ apiVersion: 'sluice.dev/v1alpha1', kind: 'DeployConfig', name: owner.name, uid: owner.uid, blockOwnerDeletion: true }],
    },
    spec: {
      config: request.config,
      target: request.target,
      repo: request.repo,
      ref: request.ref,
      commitSha: request.commitSha,
      image: b.image,
      command: [...b.command],
      ...(b.args ? { args: [...b.args] } : {}),
      ...(b.env ? { env: Object.entries(b.env).map(([name, value]) => ({ name, value })) } : {}),
      timeoutSeconds: b.timeoutSeconds,
      ...(b.serviceAccount ? { serviceAccount: b.serviceAccount } : {}),
      artifactImage: request.artifactImage,
    },
  } as BuildRunObject;
}

export const isTerminal = (run: { status?: BuildRunStatus }): boolean => run.status?.phase !== undefined && TERMINAL_PHASES.has(run.status.phase);

/**
 * The admission rules that need other objects (docs/architecture.md §5; one object's own rules
 * are the CRD's CEL): a BuildRun names its DeployConfig as owner and that DeployConfig exists;
 * no other BuildRun of the same config and target has not ended. Pure.
 */
export function admitBuildRun(
  run: BuildRunObject,
  facts: { readonly owner: KubeObject | undefined; readonly others: readonly BuildRunObject[] },
): { readonly allowed: true } | { readonly allowed: false; readonly message: string } {
  const ref = run.metadata.ownerReferences?.find((o) => o.kind === 'DeployConfig' && o.apiVersion.startsWith('sluice.dev/'));
  if (!ref) return { allowed: false, message: `a BuildRun must have an owner reference to its DeployConfig "${run.spec.config}"` };
  if (ref.name !== run.spec.config) return { allowed: false, message: `the owner reference names DeployConfig "${ref.name}", but spec.config is "${run.spec.config}"` };
  if (!facts.owner || facts.owner.metadata.deletionTimestamp) return { allowed: false, message: `DeployConfig "${ref.name}" does not exist in namespace ${run.metadata.namespace}` };
  if (ref.uid !== facts.owner.metadata.uid) return { allowed: false, message: `the owner reference's uid is not DeployConfig "${ref.name}"'s (${facts.owner.metadata.uid})` };
  const busy = facts.others.find(
    (o) => o.metadata.name !== run.metadata.name && o.spec.config === run.spec.config && o.spec.target === run.spec.target && !isTerminal(o) && !o.metadata.deletionTimestamp,
  );
  if (busy) {
    return {
      allowed: false,
      message: `target ${run.spec.target} of ${run.spec.config} is busy: BuildRun ${busy.metadata.name} (${busy.status?.phase ?? 'Pending'}) has not ended; a newer build supersedes it through Sluice, or cancel it first`,
    };
  }
  return { allowed: true };
}
