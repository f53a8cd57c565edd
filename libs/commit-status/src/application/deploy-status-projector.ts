import type { EntityManager } from 'typeorm';
import { deployUrl, evolveDeployStatus, statusNameOf, type DeployStatusEvent, type DeployStatusState } from '../domain/deploy-status';
import type { CommitStatusStore } from './ports';

/** Each config's current deploy and the phase reported for it (in the consumer's transaction). */
export interface DeployStatusStateRepository {
  /** Loads and locks the config's state. */
  load(config: string, manager: EntityManager): Promise<DeployStatusState | null>;
  save(state: DeployStatusState, manager: EntityManager): Promise<void>;
}

/**
 * Sluice's own statuses: a deploy event moves the config's CommitStatus (`sluice-<config>`,
 * name `sluice/<config>`) to the deploy's commit and phase. The reconciler takes it from there,
 * cancelling the previous commit's status when it was still queued or in progress.
 */
/** Optional mirror of deploys elsewhere (GitHub Deployments), recorded in the same transaction. */
export interface DeployMirror {
  record(state: DeployStatusState, url: string, manager: EntityManager): Promise<void>;
}

export class DeployStatusProjector {
  constructor(
    private readonly store: CommitStatusStore,
    private readonly states: DeployStatusStateRepository,
    private readonly publicUrl: string,
    private readonly mirror: DeployMirror | null = null,
  ) {}

  async apply(event: DeployStatusEvent, manager: EntityManager): Promise<DeployStatusState | null> {
    const config = event.data.config;
    const current = await this.states.load(config, manager);
    const next = evolveDeployStatus(current, event);
    if (!next) return null;
    await this.states.save(next, manager);
    await this.mirror?.record(next, deployUrl(this.publicUrl, next.deployId), manager);
    await this.store.upsertOwned(
      {
        config,
        repo: next.repo,
        sha: next.sha,
        fields: { name: statusNameOf(config), description: next.description, phase: next.phase, url: deployUrl(this.publicUrl, next.deployId) },
      },
      manager,
    );
    return next;
  }
}
