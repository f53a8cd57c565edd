import type { EntityManager } from 'typeorm';
import type { DeployRecord, DeployRecords } from '../application/ports';

/** The requests kube-applier handled, in `kube_applier.deploys` (one row per deploy id). */
export class PgDeployRecords implements DeployRecords {
  async record(manager: EntityManager, r: DeployRecord): Promise<void> {
    await manager.query(
      `INSERT INTO kube_applier.deploys
         (deploy_id, config, namespace, kind, artifact_sha, config_sha, image_tag, dry_run, manifests, render_error, correlation_id, causation_id, team)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)
       ON CONFLICT (deploy_id) DO NOTHING`,
      [
        r.deployId,
        r.config,
        r.namespace,
        r.kind,
        r.artifactSha,
        r.configSha,
        r.imageTag,
        r.dryRun,
        r.manifests === null ? null : JSON.stringify(r.manifests),
        r.renderError === null ? null : JSON.stringify(r.renderError),
        r.correlationId,
        r.causationId,
        r.team,
      ],
    );
  }
}
