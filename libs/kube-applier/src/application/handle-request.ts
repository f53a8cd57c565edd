import type { SluiceEventOf } from '@sluice/contracts';
import type { KubeObject } from '@sluice/kube';
import type { EntityManager } from 'typeorm';
import { deployConfigManifest, inventoryOf } from '../domain/deploy-config';
import { RenderError } from '../domain/errors';
import { renderSpecs } from '../domain/render';
import { DeployTargetError, SpecSourceError, type DeployTarget, type OutcomePort, type SpecSource } from './ports';

export type DeployRequest = SluiceEventOf<'deploy.requested'> | SluiceEventOf<'undeploy.requested'>;

export interface RequestLogger {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
}

/**
 * Handles a deploy or undeploy request inside the consumer's inbox transaction:
 * record it, report `deploy.started`, read and render the specs at configSha, and write
 * the desired DeployConfig to the target. A spec that does not render is a terminal
 * `deploy.failed` and nothing reaches the cluster. The cluster side (apply, prune,
 * health, further outcomes) is the reconciler's, level-triggered from the DeployConfig.
 */
export class HandleDeployRequest {
  constructor(
    private readonly specs: SpecSource,
    private readonly target: DeployTarget,
    private readonly outcomes: OutcomePort,
    private readonly logger: RequestLogger,
  ) {}

  async handle(event: DeployRequest, manager: EntityManager): Promise<void> {
    const d = event.data;
    const undeploy = event.type === 'undeploy.requested' || d.configSha === null;
    const log = { deployId: d.deployId, config: d.config, eventId: event.id, correlationId: event.correlationId };
    const cause = { correlationId: event.correlationId, causationId: event.id };

    let manifests: KubeObject[] = [];
    let renderError: RenderError | undefined;
    if (!undeploy) {
      try {
        const files = await this.readSpecs(d.configRepo, d.configSha!, d.path);
        manifests = renderSpecs(files, {
          config: d.config,
          namespace: d.namespace,
          folder: d.path,
          artifactImage: d.artifactImage,
          imageTag: d.artifactSha ? d.imageTag : null,
        });
      } catch (err) {
        if (!(err instanceof RenderError)) throw err;
        renderError = err;
      }
    }

    await manager.query(
      `INSERT INTO kube_applier.deploys
         (deploy_id, config, namespace, kind, artifact_sha, config_sha, image_tag, dry_run, manifests, render_error, correlation_id, causation_id, team)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)
       ON CONFLICT (deploy_id) DO NOTHING`,
      [
        d.deployId,
        d.config,
        d.namespace,
        undeploy ? 'undeploy' : 'deploy',
        d.artifactSha,
        d.configSha,
        d.imageTag,
        this.target.dryRun,
        renderError ? null : JSON.stringify(manifests),
        renderError ? JSON.stringify({ reason: renderError.reason, message: renderError.message }) : null,
        event.correlationId,
        event.id,
        d.team,
      ],
    );
    await this.outcomes.report(d.deployId, d.config, { type: 'deploy.started' }, { manager, cause });

    if (renderError) {
      this.logger.warn({ ...log, reason: renderError.reason, err: renderError.message }, 'specs do not render; deploy failed');
      await this.outcomes.report(d.deployId, d.config, { type: 'deploy.failed', reason: renderError.reason, message: renderError.message, terminal: true }, { manager, cause });
      return;
    }

    const desired = deployConfigManifest({
      config: d.config,
      namespace: d.namespace,
      team: d.team,
      deployId: d.deployId,
      artifactSha: undeploy ? null : d.artifactSha,
      configSha: undeploy ? null : d.configSha,
      imageTag: undeploy ? null : d.imageTag,
      specs: manifests,
      cause,
    });
    try {
      await this.target.write(desired);
    } catch (err) {
      if (!(err instanceof DeployTargetError)) throw err;
      this.logger.warn({ ...log, reason: err.reason, err: err.message }, 'DeployConfig refused; deploy failed');
      await this.outcomes.report(d.deployId, d.config, { type: 'deploy.failed', reason: err.reason, message: err.message, terminal: true }, { manager, cause });
      return;
    }
    this.logger.info({ ...log, objects: manifests.length, undeploy, dryRun: this.target.dryRun }, 'DeployConfig written');

    if (this.target.dryRun) {
      // Nothing to wait for: the record above is what "applied" means without a cluster.
      if (undeploy) {
        await this.outcomes.report(d.deployId, d.config, { type: 'deploy.undeployed' }, { manager, cause });
      } else {
        await this.outcomes.report(d.deployId, d.config, { type: 'deploy.applied', dryRun: true, inventory: inventoryOf(manifests) }, { manager, cause });
        await this.outcomes.report(d.deployId, d.config, { type: 'deploy.succeeded' }, { manager, cause });
      }
    }
  }

  private async readSpecs(repo: string, sha: string, path: string) {
    try {
      return await this.specs.read(repo, sha, path);
    } catch (err) {
      if (err instanceof SpecSourceError) throw new RenderError('SpecsUnavailable', err.message);
      throw err;
    }
  }
}
