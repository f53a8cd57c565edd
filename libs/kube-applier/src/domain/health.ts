import type { KubeObject } from '@sluice/kube';

/**
 * Health of applied workloads from their status, as kubectl rollout status judges it:
 * the controller has seen the current generation and the desired replicas are updated and
 * available; a Job has completed. Kinds without a rollout are healthy once applied.
 */
export type Health =
  | { state: 'healthy' }
  | { state: 'progressing'; message: string }
  | { state: 'failed'; reason: string; message: string };

export const HEALTH_CHECKED_KINDS: ReadonlySet<string> = new Set(['Deployment', 'StatefulSet', 'DaemonSet', 'Job']);

interface Cond {
  type?: string;
  status?: string;
  reason?: string;
  message?: string;
}

export function workloadHealth(obj: KubeObject): Health {
  const spec = (obj['spec'] ?? {}) as Record<string, unknown>;
  const status = (obj['status'] ?? {}) as Record<string, unknown>;
  const conditions = (Array.isArray(status['conditions']) ? status['conditions'] : []) as Cond[];
  const cond = (type: string) => conditions.find((c) => c.type === type);
  const num = (v: unknown) => (typeof v === 'number' ? v : 0);
  const name = `${obj.kind} ${obj.metadata.name}`;
  const generation = obj.metadata.generation ?? 0;
  const observed = status['observedGeneration'];
  const seen = typeof observed === 'number' && observed >= generation;

  switch (obj.kind) {
    case 'Deployment': {
      const progressing = cond('Progressing');
      if (progressing?.status === 'False' && progressing.reason === 'ProgressDeadlineExceeded') {
        return { state: 'failed', reason: 'ProgressDeadlineExceeded', message: `${name}: ${progressing.message ?? 'progress deadline exceeded'}` };
      }
      if (!seen) return { state: 'progressing', message: `${name}: waiting for the controller to observe generation ${generation}` };
      const desired = typeof spec['replicas'] === 'number' ? spec['replicas'] : 1;
      const updated = num(status['updatedReplicas']);
      const available = num(status['availableReplicas']);
      const total = num(status['replicas']);
      if (updated < desired) return { state: 'progressing', message: `${name}: ${updated} of ${desired} replicas updated` };
      if (total > updated) return { state: 'progressing', message: `${name}: ${total - updated} old replicas pending termination` };
      if (available < desired) return { state: 'progressing', message: `${name}: ${available} of ${desired} updated replicas available` };
      return { state: 'healthy' };
    }
    case 'StatefulSet': {
      if (!seen) return { state: 'progressing', message: `${name}: waiting for the controller to observe generation ${generation}` };
      const desired = typeof spec['replicas'] === 'number' ? spec['replicas'] : 1;
      const updated = num(status['updatedReplicas']);
      const ready = num(status['readyReplicas']);
      if (updated < desired) return { state: 'progressing', message: `${name}: ${updated} of ${desired} replicas updated` };
      if (ready < desired) return { state: 'progressing', message: `${name}: ${ready} of ${desired} replicas ready` };
      const current = status['currentRevision'];
      const update = status['updateRevision'];
      if (typeof current === 'string' && typeof update === 'string' && current !== update) {
        return { state: 'progressing', message: `${name}: revision ${update} not rolled out yet` };
      }
      return { state: 'healthy' };
    }
    case 'DaemonSet': {
      if (!seen) return { state: 'progressing', message: `${name}: waiting for the controller to observe generation ${generation}` };
      const desired = num(status['desiredNumberScheduled']);
      const updated = num(status['updatedNumberScheduled']);
      const available = num(status['numberAvailable']);
      if (updated < desired) return { state: 'progressing', message: `${name}: ${updated} of ${desired} pods updated` };
      if (available < desired) return { state: 'progressing', message: `${name}: ${available} of ${desired} pods available` };
      return { state: 'healthy' };
    }
    case 'Job': {
      const failed = cond('Failed');
      if (failed?.status === 'True') return { state: 'failed', reason: 'JobFailed', message: `${name}: ${failed.message ?? failed.reason ?? 'failed'}` };
      if (cond('Complete')?.status === 'True') return { state: 'healthy' };
      const completions = typeof spec['completions'] === 'number' ? spec['completions'] : 1;
      return { state: 'progressing', message: `${name}: ${num(status['succeeded'])} of ${completions} completions` };
    }
    default:
      return { state: 'healthy' };
  }
}

/** The health of a set of objects: failed if one failed, else progressing if one is, else healthy. */
export function aggregateHealth(objects: readonly KubeObject[]): Health {
  const results = objects.filter((o) => HEALTH_CHECKED_KINDS.has(o.kind)).map(workloadHealth);
  const failed = results.find((h) => h.state === 'failed');
  if (failed) return failed;
  const progressing = results.filter((h): h is Extract<Health, { state: 'progressing' }> => h.state === 'progressing');
  if (progressing.length > 0) return { state: 'progressing', message: progressing.map((p) => p.message).join('; ') };
  return { state: 'healthy' };
}
