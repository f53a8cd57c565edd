import { createHash } from 'node:crypto';
import {
  applyObject,
  KubeError,
  KubeNotFoundError,
  patchStatus,
  toKubeError,
  type KubeClient,
  type KubeLogger,
  type KubeObject,
  type ObjectCache,
} from '@sluice/kube';
import type { DeployPolicy, OutcomeCause, OutcomePort } from '../application/ports';
import {
  CAUSATION_ANNOTATION,
  CONFIG_LABEL,
  CORRELATION_ANNOTATION,
  DEPLOY_CONFIG_API_VERSION,
  DEPLOY_CONFIG_KIND,
  FIELD_MANAGER,
  inventoryKey,
  inventoryOf,
  type DeployConfigObject,
  type DeployConfigStatus,
  type InventoryEntry,
} from '../domain/deploy-config';
import { RenderError } from '../domain/errors';
import { aggregateHealth, HEALTH_CHECKED_KINDS } from '../domain/health';
import { decide, deployIdOf, isNewTarget, isUndeploy, statusChanged, type Decision, type PassResult } from '../domain/reconcile';
import { inInventory, ownershipRefusal, passRefusal, type OwnershipRefusal } from '../domain/ownership';
import { ownedObject } from '../domain/render';
import { targetReason } from './kube-target';
import { driftReverted, objectsPruned, reconcileDuration } from './metrics';

export interface ReconcilerOptions {
  progressDeadlineMs: number;
  healthPollMs: number;
  /**
   * How often a pass applies every spec again (reverting drift; an object still at the version
   * this process's last apply of the same body left is not sent again). Passes in between that
   * only poll a rollout read the workloads instead of re-applying everything. Default: always apply.
   */
  resyncMs?: number;
  logger: KubeLogger;
  now?: () => Date;
  /** Reports the Kubernetes Events of a deploy under way to its log (DeployKubeEvents). */
  kubeEvents?: {
    collect(input: { deployId: string; config: string; namespace: string; inventory: readonly InventoryEntry[]; since: string | null; cause?: OutcomeCause }): Promise<number>;
  };
}

/** The controller's watch caches, read instead of the API server where they are fresh. */
export interface ReconcileCaches {
  deployConfigs: ObjectCache<DeployConfigObject>;
  /** The workloads whose status decides health (Deployment, StatefulSet, ...), by kind. */
  workloads(kind: string): ObjectCache | undefined;
}

const NO_CACHES: ReconcileCaches = { deployConfigs: { fresh: () => undefined, wrote: () => undefined }, workloads: () => undefined };

/** A refusal from the API server that retrying will not change. */
class Stalled extends Error {
  constructor(
    readonly reason: string,
    message: string,
  ) {
    super(message);
  }
}

/**
 * One reconcile pass over one DeployConfig, from the cluster's state only (so a restart
 * resumes where the cluster is): server-side apply of every spec (forced, manager `sluice`) once
 * none belongs to another config or to nobody (domain/ownership.ts), prune what left the specs, judge health, report outcomes once, then write status if it
 * changed. Transient API errors are thrown for the queue to back off; refusals stall.
 */
export class DeployConfigReconciler {
  private readonly now: () => Date;
  /** When each (DeployConfig uid, generation, deploy) was last applied in full by this process. */
  private readonly lastFullApply = new Map<string, number>();
  /**
   * What this process last applied to each object (a digest of the body) and what the API server
   * answered (uid, resourceVersion): a resync finding the object still at that version, with the
   * same body to apply, has nothing to revert (see `pass`).
   */
  private readonly lastApplied = new Map<string, { body: string; uid?: string; resourceVersion?: string }>();

  constructor(
    private readonly client: KubeClient,
    private readonly outcomes: OutcomePort,
    private readonly policy: DeployPolicy,
    private readonly opts: ReconcilerOptions,
  ) {
    this.now = opts.now ?? (() => new Date());
  }

  /**
   * Objects are read from `caches` (the controller's watches) unless this process wrote them
   * since and the watch has not shown that write yet: then from the API server (a pass must not
   * decide from a status, or judge health from a workload, older than its own last write).
   */
  async reconcile(ref: { namespace: string; name: string }, caches: ReconcileCaches = NO_CACHES): Promise<Decision | undefined> {
    const dc =
      caches.deployConfigs.fresh(`${ref.namespace}/${ref.name}`) ??
      (await this.client.find<DeployConfigObject>({ apiVersion: DEPLOY_CONFIG_API_VERSION, kind: DEPLOY_CONFIG_KIND, ...ref }));
    if (!dc || dc.metadata.deletionTimestamp) return undefined;
    const config = dc.metadata.name!;
    const log = { config, namespace: ref.namespace, deployId: deployIdOf(dc), generation: dc.metadata.generation };

    const timer = reconcileDuration.startTimer();
    try {
      const decision = await this.decideAndReport(dc, caches, log);
      timer({ result: decision.result });
      return decision.decision;
    } catch (err) {
      timer({ result: 'error' });
      throw err;
    }
  }

  /** The pass, its outcomes reported, its status written. */
  private async decideAndReport(dc: DeployConfigObject, caches: ReconcileCaches, log: Record<string, unknown>): Promise<{ decision: Decision; result: PassResult['kind'] }> {
    const config = dc.metadata.name!;
    const result = await this.pass(dc, caches).catch((err: unknown) => {
      if (err instanceof Stalled) return { kind: 'stalled', reason: err.reason, message: err.message } satisfies PassResult;
      throw err;
    });
    const decision = decide(dc, result, { now: this.now(), progressDeadlineMs: this.opts.progressDeadlineMs, healthPollMs: this.opts.healthPollMs });

    if (result.kind === 'stalled') {
      // Once per reason and generation at warn; the resync passes that find it still stalled at debug.
      const stalled = dc.status?.conditions?.find((c) => c.type === 'Stalled');
      const known = stalled?.status === 'True' && stalled.reason === result.reason && stalled.observedGeneration === dc.metadata.generation;
      (known ? this.opts.logger.debug : this.opts.logger.warn).call(this.opts.logger, { ...log, reason: result.reason, err: result.message }, 'DeployConfig stalled');
    } else if (result.drifted.length > 0) {
      for (const e of result.drifted) driftReverted.inc({ kind: e.kind });
      this.opts.logger.warn(
        { ...log, drifted: result.drifted.map((e) => `${e.kind}/${e.name}`) },
        'drift reverted: objects changed outside Sluice were applied again',
      );
    }

    // Outcomes before status: a crash in between re-decides and re-reports (deduplicated);
    // the other order could lose an outcome.
    const deployId = deployIdOf(dc);
    const correlationId = dc.metadata.annotations?.[CORRELATION_ANNOTATION];
    const cause = correlationId ? { correlationId, causationId: dc.metadata.annotations?.[CAUSATION_ANNOTATION] ?? null } : undefined;
    if (deployId) {
      for (const outcome of decision.outcomes) {
        const emitted = await this.outcomes.report(deployId, config, outcome.type === 'deploy.applied' ? { ...outcome, dryRun: false } : outcome, { cause });
        if (emitted) this.opts.logger.info({ ...log, type: outcome.type }, 'deploy outcome reported');
      }
    }
    if (deployId) await this.reportKubeEvents(dc, deployId, result, decision, cause, log);
    if (statusChanged(dc.status, decision.status)) await this.writeStatus(dc, decision.status, caches);
    return { decision, result: result.kind };
  }

  /**
   * While a deploy is under way (and on the pass that ends it), the Kubernetes Events of its objects
   * go to its log. A failure to read them is logged and never fails the pass.
   *
   * Not on the pass that has just applied a deploy and leaves it rolling out: the Events of this
   * deploy are mostly still to come, and the pass after it (a workload's status change, or the
   * health poll at most `healthPollMs` later, which this decision asks for) reads every Event since
   * the same `progressStartedAt`, each reported once — one request to the API server per deploy
   * fewer. A pass that applies and ends the deploy at once (healthy, failed, stalled) reads them.
   */
  private async reportKubeEvents(dc: DeployConfigObject, deployId: string, result: PassResult, decision: Decision, cause: OutcomeCause | undefined, log: Record<string, unknown>): Promise<void> {
    const before = dc.status;
    const ended = before?.deployId === deployId && (before.phase === 'Succeeded' || before.phase === 'Failed' || before.phase === 'Undeployed');
    if (!this.opts.kubeEvents || ended) return;
    const justApplied = isNewTarget(dc) && decision.status.phase === 'Applied' && decision.requeueAfterMs !== undefined;
    if (justApplied) return;
    const inventory = result.kind === 'applied' ? result.inventory : (before?.inventory ?? []);
    const since = decision.status.progressStartedAt ?? before?.progressStartedAt ?? null;
    await this.opts.kubeEvents
      .collect({ deployId, config: dc.metadata.name!, namespace: dc.metadata.namespace!, inventory, since, cause })
      .catch((err: unknown) => this.opts.logger.warn({ ...log, err: (err as Error).message }, 'could not read the Kubernetes Events of the deploy'));
  }

  private async pass(dc: DeployConfigObject, caches: ReconcileCaches): Promise<PassResult> {
    const config = dc.metadata.name!;
    const namespace = dc.metadata.namespace!;
    const desired = await this.desiredObjects(dc);

    const desiredInventory = inventoryOf(desired);
    const previous = dc.status?.inventory ?? [];
    const fresh = isNewTarget(dc);
    const target = `${dc.metadata.uid}/${dc.metadata.generation}/${deployIdOf(dc) ?? ''}`;
    const last = this.lastFullApply.get(target);
    if (!fresh && last !== undefined && this.opts.resyncMs && Date.now() - last < this.opts.resyncMs) {
      // A rollout poll between resyncs: read the workloads, apply nothing.
      const workloads: KubeObject[] = [];
      for (const obj of desired.filter((o) => HEALTH_CHECKED_KINDS.has(o.kind))) {
        const current =
          caches.workloads(obj.kind)?.fresh(`${namespace}/${obj.metadata.name}`) ??
          (await this.client.find({ apiVersion: obj.apiVersion, kind: obj.kind, namespace, name: obj.metadata.name! }).catch(rethrowAsStalled));
        if (!current) {
          this.lastFullApply.delete(target); // deleted behind our back: apply on the next pass
          throw new Error(`${obj.kind} ${namespace}/${obj.metadata.name} disappeared; applying again`);
        }
        workloads.push(current);
      }
      return { kind: 'applied', inventory: desiredInventory, health: aggregateHealth(workloads), drifted: [] };
    }
    // Every object is checked before any is applied (or named by the inventory), so a refused
    // pass changes nothing in the cluster.
    const before = await this.readAndCheckOwnership(desired, { config, inventory: previous, fresh }, caches);
    const inventoryBefore = union(previous, desiredInventory);
    if (fresh && inventoryBefore.length > previous.length) {
      // Record what is about to exist before creating it: a crash mid-apply must not leave
      // objects no inventory names (they would never be pruned). A deploy that only changes
      // objects the inventory already names (a new image) needs no such write.
      await this.writeStatus(dc, { phase: 'Applying', inventory: inventoryBefore }, caches);
    }

    const applied: KubeObject[] = [];
    const drifted: InventoryEntry[] = [];
    for (const [i, obj] of desired.entries()) {
      const was = before[i];
      const key = objectKey(obj);
      const body = digestOf(obj);
      const last = this.lastApplied.get(key);
      if (!fresh && was && last && last.body === body && last.uid === was.metadata.uid && last.resourceVersion === was.metadata.resourceVersion) {
        // A resync: the object is at the very version our last apply of this same body left it
        // (nobody changed it since, not even its status), so applying it again would change
        // nothing and revert nothing. One request fewer per object and resync.
        applied.push(was);
        continue;
      }
      const after = await applyObject(this.client, obj, { fieldManager: FIELD_MANAGER, force: true }).catch(rethrowAsStalled);
      caches.workloads(obj.kind)?.wrote(after);
      this.lastApplied.set(key, { body, uid: after.metadata.uid, resourceVersion: after.metadata.resourceVersion });
      // Drift is judged on resyncs only: a fresh target is expected to change its objects.
      if (!fresh && was && changedBy(was, after)) drifted.push(inventoryOf([obj])[0]!);
      applied.push(after);
    }

    await this.prune(config, previous, desiredInventory);
    if (this.lastApplied.size > 100_000) this.lastApplied.clear();
    if (this.lastFullApply.size > 10_000) this.lastFullApply.clear();
    this.lastFullApply.set(target, Date.now());
    return { kind: 'applied', inventory: desiredInventory, health: aggregateHealth(applied), drifted };
  }

  /**
   * Reads each desired object as it is now (the watch cache where fresh, else a GET) and stalls
   * the pass if any belongs to another config, or to nobody without the adopt annotation.
   * A fresh target skips the read of what its inventory names (it applied those before, and each
   * resync reads them again), so a new image costs no extra request.
   */
  private async readAndCheckOwnership(
    desired: readonly KubeObject[],
    us: { config: string; inventory: readonly InventoryEntry[]; fresh: boolean },
    caches: ReconcileCaches,
  ): Promise<Array<KubeObject | undefined>> {
    const current: Array<KubeObject | undefined> = [];
    const refusals: OwnershipRefusal[] = [];
    for (const obj of desired) {
      // Undefined for a cluster-scoped object its team's policy allows.
      const namespace = obj.metadata.namespace;
      const ref = { apiVersion: obj.apiVersion, kind: obj.kind, namespace, name: obj.metadata.name! };
      const found =
        us.fresh && inInventory(obj, us.inventory)
          ? undefined
          : (caches.workloads(obj.kind)?.fresh(`${namespace}/${ref.name}`) ?? (await this.client.find(ref).catch(rethrowAsStalled)));
      current.push(found);
      const refusal = ownershipRefusal(obj, found, us);
      if (refusal) refusals.push(refusal);
    }
    const refused = passRefusal(refusals);
    if (refused) throw new Stalled(refused.reason, refused.message);
    return current;
  }

  /** Deletes what the previous inventory names and the specs no longer do, if it still carries our label. */
  private async prune(config: string, previous: InventoryEntry[], desired: InventoryEntry[]): Promise<void> {
    const keep = new Set(desired.map(inventoryKey));
    for (const entry of previous) {
      if (keep.has(inventoryKey(entry))) continue;
      // A null namespace is a cluster-scoped object the team's policy allowed.
      const ref = { apiVersion: entry.apiVersion, kind: entry.kind, namespace: entry.namespace ?? undefined, name: entry.name };
      let current: KubeObject | undefined;
      try {
        current = await this.client.find(ref);
      } catch (err) {
        // The kind may be gone (CRD removed): nothing left to prune.
        if (err instanceof KubeNotFoundError) continue;
        throw err;
      }
      if (!current) continue;
      if (current.metadata.labels?.[CONFIG_LABEL] !== config) {
        this.opts.logger.warn({ config, object: `${entry.kind}/${entry.name}` }, 'not pruning: the object no longer carries the config label');
        continue;
      }
      // The uid precondition keeps us from deleting a same-named object created meanwhile.
      await this.client.delete(ref, { propagationPolicy: 'Background', uid: current.metadata.uid }).catch(rethrowAsStalled);
      objectsPruned.inc({ kind: entry.kind });
      this.opts.logger.info({ config, object: `${entry.kind}/${entry.namespace ?? ''}/${entry.name}` }, 'pruned');
    }
  }

  /**
   * The objects this pass applies, checked against the team's policy as it is now (a
   * DeployConfig can be edited by hand, and a policy can change after the deploy was decided):
   * the namespace (with its labels), then each object's kind — a cluster-scoped one (built in,
   * or a custom resource per discovery) only where the policy lists it. Any refusal stalls the
   * pass before anything is applied. An undeploy is never refused: it only removes.
   */
  private async desiredObjects(dc: DeployConfigObject): Promise<KubeObject[]> {
    const config = dc.metadata.name!;
    const namespace = dc.metadata.namespace!;
    if (isUndeploy(dc)) return [];
    const policy = await this.policy.policyOf(dc.spec.team);
    const placement = await this.policy.placement({ config, team: dc.spec.team, namespace }, policy);
    if (!placement.allowed) throw new Stalled('PolicyDenied', `${placement.reason}: ${placement.message}`);
    const owner = { config, namespace, uid: dc.metadata.uid!, apiVersion: DEPLOY_CONFIG_API_VERSION, kind: DEPLOY_CONFIG_KIND };
    const desired: KubeObject[] = [];
    for (const spec of dc.spec.specs) {
      const clusterScoped = await this.isClusterScoped(spec);
      try {
        desired.push(ownedObject(spec, owner, { policy, clusterScoped }));
      } catch (err) {
        if (err instanceof RenderError) throw new Stalled(err.reason, err.message);
        throw err;
      }
    }
    return desired;
  }

  private async isClusterScoped(obj: KubeObject): Promise<boolean> {
    try {
      return !(await this.client.resource(obj.apiVersion, obj.kind)).namespaced;
    } catch (err) {
      if (err instanceof KubeNotFoundError) throw new Stalled('UnknownKind', `${obj.apiVersion} ${obj.kind} is not served by the cluster`);
      throw err;
    }
  }

  private async writeStatus(dc: DeployConfigObject, status: DeployConfigStatus, caches: ReconcileCaches): Promise<void> {
    // `currentBuilds` is the build controller's: a copy of it read earlier must not be written back.
    const { currentBuilds: _builds, ...own } = status as DeployConfigStatus & { currentBuilds?: unknown };
    try {
      const written = await patchStatus(
        this.client,
        { apiVersion: DEPLOY_CONFIG_API_VERSION, kind: DEPLOY_CONFIG_KIND, namespace: dc.metadata.namespace, name: dc.metadata.name! },
        own as Record<string, unknown>,
        { fieldManager: FIELD_MANAGER },
      );
      caches.deployConfigs.wrote(written);
    } catch (err) {
      // Deleted meanwhile: nothing to report on.
      if (!(err instanceof KubeNotFoundError)) throw err;
    }
  }
}

function rethrowAsStalled(raw: unknown): never {
  const err = toKubeError(raw);
  if (err instanceof KubeError && !err.retryable) throw new Stalled(applyReason(err), err.message);
  throw err;
}

function applyReason(err: KubeError): string {
  const reason = targetReason(err);
  return reason === 'Invalid' ? 'ApplyRejected' : reason === 'NamespaceNotFound' ? 'NotFound' : reason;
}

/** Whether applying changed the object: its generation (workloads), else its resourceVersion. */
function changedBy(before: KubeObject, after: KubeObject): boolean {
  if (before.metadata.uid !== after.metadata.uid) return true;
  if (typeof before.metadata.generation === 'number' && typeof after.metadata.generation === 'number') {
    return after.metadata.generation !== before.metadata.generation;
  }
  return after.metadata.resourceVersion !== before.metadata.resourceVersion;
}

function objectKey(obj: KubeObject): string {
  return `${obj.apiVersion}/${obj.kind}/${obj.metadata.namespace ?? ''}/${obj.metadata.name}`;
}

function digestOf(obj: KubeObject): string {
  return createHash('sha256').update(JSON.stringify(obj)).digest('base64');
}

function union(a: readonly InventoryEntry[], b: readonly InventoryEntry[]): InventoryEntry[] {
  const map = new Map<string, InventoryEntry>();
  for (const e of [...a, ...b]) map.set(inventoryKey(e), e);
  return [...map.values()];
}
