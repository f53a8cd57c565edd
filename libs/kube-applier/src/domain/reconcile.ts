import {
  DEPLOY_ID_ANNOTATION,
  type Condition,
  type DeployConfigObject,
  type DeployConfigPhase,
  type DeployConfigStatus,
  type InventoryEntry,
} from './deploy-config';
import type { Health } from './health';

/**
 * The decision half of a reconcile pass: given the DeployConfig as it was and what the pass
 * found (applied + health, or a failure), the new status and the outcomes to report.
 * Pure; the adapter does the I/O and calls this.
 */

export type PassResult =
  /** The specs cannot be applied as they are (a bad or forbidden manifest, 400/403/422, field conflict): retrying will not help. */
  | { kind: 'stalled'; reason: string; message: string }
  | { kind: 'applied'; inventory: InventoryEntry[]; health: Health; drifted: InventoryEntry[] };

export type Outcome =
  | { type: 'deploy.applied'; inventory: InventoryEntry[] }
  | { type: 'deploy.succeeded' }
  | { type: 'deploy.failed'; reason: string; message: string; terminal: boolean }
  | { type: 'deploy.undeployed' };

export interface Decision {
  status: DeployConfigStatus;
  outcomes: Outcome[];
  /** Poll again this soon (a rollout in progress); otherwise the periodic resync suffices. */
  requeueAfterMs?: number;
}

export interface DecideOptions {
  now: Date;
  progressDeadlineMs: number;
  healthPollMs: number;
}

const TERMINAL: ReadonlySet<DeployConfigPhase | undefined> = new Set(['Succeeded', 'Failed', 'Undeployed']);

export function deployIdOf(dc: DeployConfigObject): string | undefined {
  return dc.metadata.annotations?.[DEPLOY_ID_ANNOTATION] || undefined;
}

/** True when the DeployConfig asks for something its status has not reported on yet. */
export function isNewTarget(dc: DeployConfigObject): boolean {
  const prev = dc.status ?? {};
  return prev.observedGeneration !== (dc.metadata.generation ?? 0) || (prev.deployId ?? undefined) !== deployIdOf(dc);
}

export function isUndeploy(dc: DeployConfigObject): boolean {
  return dc.spec.configSha === null && dc.spec.specs.length === 0;
}

export function decide(dc: DeployConfigObject, result: PassResult, opts: DecideOptions): Decision {
  const prev = dc.status ?? {};
  const now = opts.now.toISOString();
  const generation = dc.metadata.generation ?? 0;
  const fresh = isNewTarget(dc);
  const deployId = deployIdOf(dc);
  const base: DeployConfigStatus = {
    ...prev,
    observedGeneration: generation,
    ...(deployId ? { deployId } : {}),
    progressStartedAt: fresh || !prev.progressStartedAt ? now : prev.progressStartedAt,
  };
  const decided = !fresh && TERMINAL.has(prev.phase);
  const cond = (type: Condition['type'], status: Condition['status'], reason: string, message: string): Condition => ({
    type,
    status,
    reason,
    message: message.slice(0, 32_000),
    observedGeneration: generation,
    lastTransitionTime: now,
  });

  if (result.kind === 'stalled') {
    const status: DeployConfigStatus = {
      ...base,
      phase: decided ? prev.phase! : 'Failed',
      conditions: mergeConditions(prev.conditions, [
        cond('Ready', 'False', result.reason, result.message),
        cond('Stalled', 'True', result.reason, result.message),
        cond('Reconciling', 'False', result.reason, 'stalled: fix the specs or the cluster, then deploy again'),
      ]),
    };
    // A deploy that already has its result keeps it; the condition tells what is wrong now.
    return { status, outcomes: decided ? [] : [{ type: 'deploy.failed', reason: result.reason, message: result.message, terminal: true }] };
  }

  const drift = result.drifted.length > 0;
  const applied: DeployConfigStatus = {
    ...base,
    inventory: result.inventory,
    lastAppliedAt: fresh || drift || !prev.lastAppliedAt ? now : prev.lastAppliedAt,
    ...(drift ? { driftCorrections: (prev.driftCorrections ?? 0) + 1, lastDriftAt: now } : {}),
  };

  if (isUndeploy(dc)) {
    return {
      status: {
        ...applied,
        phase: 'Undeployed',
        conditions: mergeConditions(prev.conditions, [
          cond('Ready', 'True', 'Undeployed', 'every object of the config was removed'),
          cond('Reconciling', 'False', 'Undeployed', 'nothing to reconcile'),
          cond('Stalled', 'False', 'Undeployed', 'not stalled'),
        ]),
      },
      outcomes: [{ type: 'deploy.undeployed' }],
    };
  }

  const outcomes: Outcome[] = [{ type: 'deploy.applied', inventory: result.inventory }];
  const health = result.health;
  const notStalled = cond('Stalled', 'False', 'Applied', 'not stalled');

  if (health.state === 'healthy') {
    return {
      status: {
        ...applied,
        phase: decided && prev.phase === 'Failed' ? 'Failed' : 'Succeeded',
        conditions: mergeConditions(prev.conditions, [
          cond('Ready', 'True', 'ReconciliationSucceeded', `applied ${result.inventory.length} objects; workloads healthy`),
          cond('Reconciling', 'False', 'ReconciliationSucceeded', 'reconciled'),
          notStalled,
        ]),
      },
      outcomes: decided ? outcomes : [...outcomes, { type: 'deploy.succeeded' }],
    };
  }

  const startedAt = Date.parse(applied.progressStartedAt!);
  const overdue = opts.now.getTime() - startedAt > opts.progressDeadlineMs;
  if (health.state === 'failed' || overdue) {
    const reason = health.state === 'failed' ? health.reason : 'ProgressDeadlineExceeded';
    const message =
      health.state === 'failed'
        ? health.message
        : `workloads not rolled out within ${Math.round(opts.progressDeadlineMs / 1000)} s: ${health.message}`;
    return {
      status: {
        ...applied,
        phase: decided ? prev.phase! : 'Failed',
        conditions: mergeConditions(prev.conditions, [
          cond('Ready', 'False', reason, message),
          cond('Reconciling', 'False', reason, message),
          cond('Stalled', 'True', reason, message),
        ]),
      },
      outcomes: decided ? outcomes : [...outcomes, { type: 'deploy.failed', reason, message, terminal: false }],
      // A failed rollout may still recover (Ready follows); keep looking, slowly.
      requeueAfterMs: decided ? undefined : opts.healthPollMs * 10,
    };
  }

  return {
    status: {
      ...applied,
      phase: decided ? prev.phase! : 'Applied',
      conditions: mergeConditions(prev.conditions, [
        cond('Ready', 'Unknown', 'Progressing', health.message),
        cond('Reconciling', 'True', 'Progressing', health.message),
        notStalled,
      ]),
    },
    outcomes,
    requeueAfterMs: opts.healthPollMs,
  };
}

/** New conditions replace old ones of the same type; lastTransitionTime moves only when status changes. */
export function mergeConditions(prev: readonly Condition[] | undefined, next: readonly Condition[]): Condition[] {
  const byType = new Map((prev ?? []).map((c) => [c.type, c]));
  for (const c of next) {
    const old = byType.get(c.type);
    byType.set(c.type, old && old.status === c.status ? { ...c, lastTransitionTime: old.lastTransitionTime } : c);
  }
  const order: Condition['type'][] = ['Ready', 'Reconciling', 'Stalled'];
  return order.flatMap((t) => (byType.has(t) ? [byType.get(t)!] : []));
}

/**
 * Whether a status patch would change anything (so a steady state writes nothing and wakes no
 * watcher). Compared by content, not key order, at every depth: the API server returns the keys
 * of a custom resource sorted (conditions as `lastTransitionTime, message, …, type`), while
 * `decide` builds them in its own order.
 */
export function statusChanged(prev: DeployConfigStatus | undefined, next: DeployConfigStatus): boolean {
  return JSON.stringify(normalise(prev ?? {})) !== JSON.stringify(normalise(next));
}

/** The value with the keys of every object in it sorted and its undefined members dropped (as JSON drops them). */
function normalise(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(normalise);
  if (v === null || typeof v !== 'object') return v;
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(v).sort()) {
    const member = (v as Record<string, unknown>)[key];
    if (member !== undefined) out[key] = normalise(member);
  }
  return out;
}
