import type { EntityManager } from 'typeorm';
import { managerOf, type Transaction } from '@sluice/event-store';
import type { DataSource } from 'typeorm';
import type { DeployRecord, DeployRecords, DeployUnderTest, GitOpsWritten, HeldDeploy } from '../application/ports';
import type { TestsSpec } from '@sluice/contracts';

/** The requests kube-applier handled, in `kube_applier.deploys` (one row per deploy id). */
export class PgDeployRecords implements DeployRecords {
  constructor(private readonly dataSource?: DataSource) {}

  async gitOpsWritten(tx: Transaction, w: GitOpsWritten): Promise<void> {
    await managerOf(tx).query(
      `INSERT INTO kube_applier.gitops_targets (config, repo, branch, path, key, tag, deploy_id) VALUES ($1, $2, $3, $4, $5, $6, $7)
       ON CONFLICT (config) DO UPDATE SET repo = EXCLUDED.repo, branch = EXCLUDED.branch, path = EXCLUDED.path, key = EXCLUDED.key,
         tag = EXCLUDED.tag, deploy_id = EXCLUDED.deploy_id, updated_at = now(),
         pushed_sha = CASE WHEN kube_applier.gitops_targets.deploy_id = EXCLUDED.deploy_id THEN kube_applier.gitops_targets.pushed_sha END`,
      [w.config, w.repo, w.branch, w.path, w.key, w.tag, w.deployId],
    );
  }

  async gitOpsPushed(tx: Transaction, deployId: string, sha: string): Promise<void> {
    await managerOf(tx).query(`UPDATE kube_applier.gitops_targets SET pushed_sha = $2 WHERE deploy_id = $1`, [deployId, sha]);
  }

  async gitOpsPushSeen(deployId: string): Promise<boolean> {
    if (!this.dataSource) return false;
    const rows: unknown[] = await this.dataSource.query(`SELECT 1 FROM kube_applier.gitops_targets WHERE deploy_id = $1 AND pushed_sha IS NOT NULL`, [deployId]);
    return rows.length > 0;
  }

  async gitOpsTargetsOn(repo: string, branch: string): Promise<GitOpsWritten[]> {
    if (!this.dataSource) return [];
    const rows: Array<{ config: string; repo: string; branch: string; path: string; key: string; tag: string; deploy_id: string }> = await this.dataSource.query(
      `SELECT config, repo, branch, path, key, tag, deploy_id FROM kube_applier.gitops_targets WHERE repo = $1 AND branch = $2 ORDER BY config`,
      [repo, branch],
    );
    return rows.map((r) => ({ config: r.config, repo: r.repo, branch: r.branch, path: r.path, key: r.key, tag: r.tag, deployId: r.deploy_id }));
  }

  async record(manager: EntityManager, r: DeployRecord): Promise<void> {
    await manager.query(
      `INSERT INTO kube_applier.deploys
         (deploy_id, config, namespace, kind, artifact_sha, config_sha, image_tag, dry_run, manifests, render_error, correlation_id, causation_id, team, tests, deployed_image)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)
       ON CONFLICT (deploy_id) DO UPDATE SET manifests = EXCLUDED.manifests, render_error = EXCLUDED.render_error
         -- a deploy held for its build was recorded before it rendered; it is rendered once, when it goes on
         WHERE kube_applier.deploys.manifests IS NULL AND kube_applier.deploys.render_error IS NULL AND kube_applier.deploys.kind = 'deploy'`,
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
        r.tests ? JSON.stringify(r.tests) : null,
        r.deployedImage,
      ],
    );
  }

  async hold(tx: Transaction, h: HeldDeploy): Promise<void> {
    await managerOf(tx).query(
      `INSERT INTO kube_applier.held_deploys (deploy_id, config, build_run, request, held_at) VALUES ($1, $2, $3, $4, $5) ON CONFLICT (deploy_id) DO NOTHING`,
      [h.deployId, h.config, h.buildRun, JSON.stringify(h.request), h.heldAt],
    );
  }

  async held(deployId: string): Promise<HeldDeploy | null> {
    const rows: Array<{ deploy_id: string; config: string; build_run: string; request: HeldDeploy['request']; held_at: Date }> = await this.dataSource!.query(
      `SELECT deploy_id, config, build_run, request, held_at FROM kube_applier.held_deploys WHERE deploy_id = $1 AND resumed_at IS NULL`,
      [deployId],
    );
    const r = rows[0];
    return r ? { deployId: r.deploy_id, config: r.config, buildRun: r.build_run, request: r.request, heldAt: new Date(r.held_at).toISOString() } : null;
  }

  async resumed(tx: Transaction, deployId: string): Promise<void> {
    await managerOf(tx).query(`UPDATE kube_applier.held_deploys SET resumed_at = now() WHERE deploy_id = $1 AND resumed_at IS NULL`, [deployId]);
  }

  async supersededSince(deployId: string): Promise<boolean> {
    const rows: unknown[] = await this.dataSource!.query(
      `SELECT 1 FROM kube_applier.deploys d JOIN kube_applier.deploys n ON n.config = d.config AND n.requested_at > d.requested_at AND n.deploy_id <> d.deploy_id WHERE d.deploy_id = $1 LIMIT 1`,
      [deployId],
    );
    return rows.length > 0;
  }

  async testsOf(deployId: string, tx?: Transaction): Promise<DeployUnderTest | null> {
    // Inside the caller's transaction when there is one: the embedded database has one connection.
    const db = tx ? managerOf(tx) : this.dataSource;
    if (!db) return null;
    const [row]: Array<{ config: string; team: string; namespace: string; tests: TestsSpec | null; deployed_image: string | null }> = await db.query(
      `SELECT config, team, namespace, tests, deployed_image FROM kube_applier.deploys WHERE deploy_id = $1`,
      [deployId],
    );
    if (!row?.tests) return null;
    return { deployId, config: row.config, team: row.team, namespace: row.namespace, tests: row.tests, deployedImage: row.deployed_image };
  }
}
