import { KubeConflictError, KubeError, patchStatus, toKubeError, type KubeClient, type KubeLogger, type KubeObject } from '@sluice/kube';
import {
  BUILD_RUN_API_VERSION,
  BUILD_RUN_KIND,
  buildRunFor,
  buildRunName,
  CONFIG_LABEL,
  isTerminal,
  TARGET_LABEL,
  type BuildRequest,
  type BuildRunObject,
} from '../domain/build-run';
import type { BuildReporter } from './build-reporter';

export const BUILDS_FIELD_MANAGER = 'sluice-build-controller';

export type PlacementVerdict = { readonly allowed: true } | { readonly allowed: false; readonly reason: string; readonly message: string };

/** What became of a build request: its BuildRun (new, or found again), or why there is none (reported as the build's end). */
export type BuildStart = { readonly started: true; readonly buildRun: string } | { readonly started: false; readonly message: string };

export interface BuildRequestsOptions {
  readonly kube: KubeClient;
  readonly reporter: BuildReporter;
  readonly logger: KubeLogger;
  /** The team policy on the config's namespace and the built repository (docs/architecture.md §8). */
  readonly placement: (request: BuildRequest) => Promise<PlacementVerdict>;
  /** The config's DeployConfig, the BuildRun's owner; created (undeployed, no specs) when the config was never deployed. */
  readonly ensureOwner: (request: BuildRequest) => Promise<KubeObject>;
}

/**
 * Turns a `build.requested` into a BuildRun (docs/architecture.md §1 "Builds", §5), after the
 * team policy: cancels the BuildRun that holds the target (phase Canceled, its Job deleted with
 * its Pods), creates the new one owned by the config's DeployConfig, and names it in
 * `status.currentBuilds`. Idempotent: a redelivered request finds its BuildRun and changes
 * nothing. A refusal ends the build Canceled in the log, saying why.
 */
export class BuildRequests {
  constructor(private readonly opts: BuildRequestsOptions) {}

  /**
   * `deployId`: the build is a deploy's step `build` (the deploy waits for it); its BuildRun is
   * labelled with it. The same path and checks as a build on push either way.
   */
  async handle(request: BuildRequest, correlationId: string, deployId?: string): Promise<BuildStart> {
    const { kube, logger } = this.opts;
    const verdict = await this.opts.placement(request);
    if (!verdict.allowed) return this.refuse(request, `refused by the team policy: ${verdict.reason}: ${verdict.message}`, correlationId);
    const name = buildRunName(request);
    const ref = { apiVersion: BUILD_RUN_API_VERSION, kind: BUILD_RUN_KIND, namespace: request.namespace, name };
    if (await kube.find(ref)) return { started: true, buildRun: name }; // handled before (a redelivery)
    let owner: KubeObject;
    try {
      owner = await this.opts.ensureOwner(request);
    } catch (error) {
      const err = toKubeError(error);
      if (err instanceof KubeError && !err.retryable) return this.refuse(request, `the DeployConfig ${request.namespace}/${request.config} cannot be written: ${err.message}`, correlationId);
      throw err;
    }
    await this.cancelOthers(request, name);
    try {
      await kube.create(buildRunFor(request, { name: owner.metadata.name!, uid: owner.metadata.uid! }, correlationId, deployId), { fieldManager: BUILDS_FIELD_MANAGER });
    } catch (error) {
      const err = toKubeError(error);
      if (!(err instanceof KubeConflictError)) {
        // 422 (the CRD's rules), 403 (the webhook or RBAC): the build cannot run as requested.
        if (err instanceof KubeError && !err.retryable) return this.refuse(request, `the BuildRun was refused: ${err.message}`, correlationId);
        throw err;
      }
    }
    await patchStatus(kube, { apiVersion: owner.apiVersion, kind: owner.kind, namespace: request.namespace, name: request.config }, { currentBuilds: { [request.target]: name } }, { fieldManager: BUILDS_FIELD_MANAGER });
    logger.info({ buildRun: `${request.namespace}/${name}`, config: request.config, target: request.target, ref: request.ref, commit: request.commitSha, ...(deployId ? { deployId } : {}) }, 'BuildRun created');
    return { started: true, buildRun: name };
  }

  /** One build per target: every other BuildRun of the config's target that has not ended is canceled and its Job deleted. */
  private async cancelOthers(request: BuildRequest, keep: string): Promise<void> {
    const { kube, logger } = this.opts;
    const runs = await kube.list<BuildRunObject>(
      { apiVersion: BUILD_RUN_API_VERSION, kind: BUILD_RUN_KIND, namespace: request.namespace },
      { labelSelector: `${CONFIG_LABEL}=${request.config},${TARGET_LABEL}=${request.target}` },
    );
    for (const run of runs.items) {
      if (run.metadata.name === keep || isTerminal(run)) continue;
      const name = run.metadata.name!;
      await raceIsTransient(patchStatus(
        kube,
        { apiVersion: BUILD_RUN_API_VERSION, kind: BUILD_RUN_KIND, namespace: request.namespace, name },
        { phase: 'Canceled', finishedAt: new Date().toISOString(), message: `superseded by ${keep} (${request.ref} at ${request.commitSha.slice(0, 7)})` },
        // At the version listed: the controller's concurrent phase write is not overwritten, nor does it overwrite this (a conflict redelivers).
        { fieldManager: BUILDS_FIELD_MANAGER, resourceVersion: run.metadata.resourceVersion },
      ));
      await kube.delete({ apiVersion: 'batch/v1', kind: 'Job', namespace: request.namespace, name }, { propagationPolicy: 'Background' });
      logger.info({ buildRun: `${request.namespace}/${name}`, supersededBy: keep }, 'BuildRun canceled');
    }
  }

  private async refuse(request: BuildRequest, message: string, correlationId: string): Promise<BuildStart> {
    this.opts.logger.warn({ config: request.config, target: request.target, commit: request.commitSha, reason: message }, 'build refused');
    await this.opts.reporter.reportRefused(request, message, { correlationId });
    return { started: false, message };
  }
}

/** The BuildRun changed between list and write (the controller moved its phase): the request is handled again, not dead-lettered. */
async function raceIsTransient<T>(write: Promise<T>): Promise<T> {
  try {
    return await write;
  } catch (error) {
    if (error instanceof KubeConflictError) throw Object.assign(new Error(`a BuildRun changed while it was canceled; trying again: ${error.message}`, { cause: error }), { transient: true });
    throw error;
  }
}
