import type { Logger } from '@sluice/platform';
import type { DataSource, EntityManager } from 'typeorm';
import { deploymentStateOf, type DeploymentState } from '../../domain/deployment-mirror';
import type { DeployStatusState } from '../../domain/deploy-status';
import { gitRepoNameFor } from '../../domain/naming';
import type { CommitStatusStore } from '../../application/ports';
import type { ScmClients } from '@sluice/scm';
import { previewShownOnGitHub, type CataloguedProviders } from '../previews/preview-provider';
import { githubWritesFor } from '../scm/github-target';
import { syncPendingRows } from './pending-rows';

export interface DeploymentMirrorOptions {
  dataSource: DataSource;
  store: CommitStatusStore;
  /** The process's SCM clients: the deployments draw on the same rate budget as every other call of the credentials. */
  clients: ScmClients;
  /** Where the GitRepos of Sluice's own statuses live (their credentials are used). */
  namespace: string;
  /** Which provider a preview's repository is on (the catalogue's): a preview is mirrored only when it is GitHub's. */
  repoProviders: CataloguedProviders;
  /** `environment_url` of each status: the config in Sluice's API (`<SLUICE_PUBLIC_URL>/api/configs/<config>`). */
  publicUrl: string;
  logger: Logger;
  pollIntervalMs?: number;
  random?: () => number;
}

/** One deployment the mirror keeps on GitHub: a deploy's, or a preview's (transient, its own environment URL). */
export interface MirroredDeployment {
  /** The deploy id or the preview id: `payload.sluiceDeployId` / `payload.sluicePreviewId`, what a deployment made before a crash is found by. */
  readonly id: string;
  readonly kind: 'deploy' | 'preview';
  readonly config: string;
  readonly repo: string;
  readonly sha: string;
  readonly environment: string;
  readonly state: DeploymentState;
  readonly description: string;
  readonly logUrl: string | null;
  /** Previews: the preview's URL (none: no `environment_url`). Deploys: the config in Sluice's API. */
  readonly environmentUrl: string | null;
}

interface Row {
  deploy_id: string;
  kind: 'deploy' | 'preview';
  environment_url: string | null;
  config: string;
  repo: string;
  sha: string;
  environment: string;
  desired_state: DeploymentState;
  description: string;
  log_url: string | null;
  deployment_id: string | null;
  synced_state: DeploymentState | null;
  attempts: number;
}

/**
 * The optional GitHub Deployments mirror of Sluice's deploys: one GitHub deployment per deploy
 * (environment = config name, ref = the deploy's commit, payload.sluiceDeployId) and its
 * deployment statuses. Previews use the same rows and loop (`kind = 'preview'`: transient,
 * environment `preview/<config>/pr-<n>`, payload.sluicePreviewId; PreviewPullRequests records them). The desired state is recorded in the deploy consumer's transaction;
 * a poll loop converges GitHub to it — adopting a deployment created before a crash instead of
 * creating a second one, posting a status only when the latest differs.
 */
export class GitHubDeploymentMirror {
  private readonly table: string;
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<void> | null = null;
  private readonly random: () => number;

  constructor(private readonly opts: DeploymentMirrorOptions) {
    const schema = (opts.dataSource.options as { schema?: string }).schema ?? 'commit_status';
    this.table = `"${schema.replace(/"/g, '')}".github_deployments`;
    this.random = opts.random ?? Math.random;
  }

  /** Records the deploy's desired deployment state (inside the consumer's transaction). */
  async record(state: DeployStatusState, logUrl: string, manager: EntityManager): Promise<void> {
    await this.recordDeployment(
      {
        id: state.deployId,
        kind: 'deploy',
        config: state.config,
        repo: state.repo,
        sha: state.sha,
        environment: state.config,
        state: deploymentStateOf(state.phase),
        description: state.description,
        logUrl,
        environmentUrl: `${this.opts.publicUrl.replace(/\/+$/, '')}/api/configs/${state.config}`,
      },
      manager,
    );
  }

  /** Records a deployment's desired state (inside the consumer's transaction); the poll loop writes it. */
  async recordDeployment(d: MirroredDeployment, manager: EntityManager): Promise<void> {
    await manager.query(
      `INSERT INTO ${this.table} (deploy_id, kind, config, repo, sha, environment, desired_state, description, log_url, environment_url)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
       ON CONFLICT (deploy_id) DO UPDATE SET desired_state = EXCLUDED.desired_state, description = EXCLUDED.description,
         environment_url = EXCLUDED.environment_url, attempts = 0, next_attempt_at = now(), updated_at = now()`,
      [d.id, d.kind, d.config, d.repo, d.sha, d.environment, d.state, d.description, d.logUrl, d.environmentUrl],
    );
  }

  /**
   * Retires the environment's other deployments (a preview's earlier pushes): `inactive`, except
   * where the wanted state already is (inside the consumer's transaction).
   */
  async retireOthers(repo: string, environment: string, keepId: string, description: string, manager: EntityManager): Promise<void> {
    await manager.query(
      `UPDATE ${this.table} SET desired_state = 'inactive', description = $4, attempts = 0, next_attempt_at = now(), updated_at = now()
        WHERE repo = $1 AND environment = $2 AND deploy_id <> $3 AND kind = 'preview' AND desired_state <> 'inactive'`,
      [repo, environment, keepId, description],
    );
  }

  start(): void {
    if (this.timer) return;
    this.timer = setInterval(() => {
      if (!this.running) this.running = this.syncPending().finally(() => (this.running = null));
    }, this.opts.pollIntervalMs ?? 1000);
    this.timer.unref?.();
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.running;
  }

  /** One pass over deployments whose GitHub state is behind (oldest first). */
  syncPending(): Promise<void> {
    return syncPendingRows<Row>({
      dataSource: this.opts.dataSource,
      logger: this.opts.logger,
      random: this.random,
      what: 'github deployment',
      select: `SELECT * FROM ${this.table} WHERE synced_state IS DISTINCT FROM desired_state AND next_attempt_at <= now() ORDER BY created_at LIMIT 20`,
      sync: (row) => this.sync(row),
      describe: (row) => ({ deployId: row.deploy_id, kind: row.kind, config: row.config }),
      failed: async (row, message, delayMs) => {
        await this.opts.dataSource.query(
          `UPDATE ${this.table} SET attempts = attempts + 1, last_error = $2, next_attempt_at = now() + ($3 || ' milliseconds')::interval WHERE deploy_id = $1`,
          [row.deploy_id, message, String(delayMs)],
        );
      },
    });
  }

  private async sync(row: Row): Promise<void> {
    if (row.kind === 'preview' && !(await previewShownOnGitHub(this.opts.repoProviders, row.repo, this.opts.dataSource.manager))) {
      // A pull request on GitLab or Bitbucket: no GitHub deployment, and the row is not due again.
      await this.opts.dataSource.query(`UPDATE ${this.table} SET synced_state = desired_state, attempts = 0, last_error = NULL, updated_at = now() WHERE deploy_id = $1 AND desired_state = $2`, [
        row.deploy_id,
        row.desired_state,
      ]);
      return;
    }
    const gitRepo = row.kind === 'preview' ? await this.opts.store.ensureOwnedGitRepo(row.repo, 'github') : gitRepoNameFor('github', row.repo);
    const repo = await this.opts.store.resolveGitRepo(this.opts.namespace, gitRepo);
    if (repo.identity.provider !== 'github') return;
    const { writes, ref } = githubWritesFor(this.opts.clients, repo);

    let deploymentId = row.deployment_id;
    if (!deploymentId && row.desired_state === 'inactive') {
      // Superseded (or a preview released) before it was ever mirrored: no deployment to create just to retire it.
      await this.opts.dataSource.query(`UPDATE ${this.table} SET synced_state = desired_state, updated_at = now() WHERE deploy_id = $1 AND desired_state = 'inactive'`, [row.deploy_id]);
      return;
    }
    if (!deploymentId) {
      const idKey = row.kind === 'preview' ? 'sluicePreviewId' : 'sluiceDeployId';
      const existing = await writes.listDeployments(ref, { sha: row.sha, environment: row.environment });
      const adopted = existing.find((d) => (d.payload as Record<string, unknown> | undefined)?.[idKey] === row.deploy_id);
      if (adopted) deploymentId = String(adopted.id);
      else {
        const created = await writes.createDeployment(ref, {
          ref: row.sha,
          environment: row.environment,
          description: row.kind === 'preview' ? `Sluice preview of ${row.config}` : `Sluice deploy of ${row.config}`,
          auto_merge: false,
          // Sluice decides what deploys; GitHub's required-status gate must not refuse it.
          required_contexts: [],
          payload: { [idKey]: row.deploy_id, config: row.config },
          // A preview goes away: GitHub shows it destroyed once inactive.
          ...(row.kind === 'preview' ? { transient_environment: true, production_environment: false } : {}),
        });
        deploymentId = String(created.id);
      }
      await this.opts.dataSource.query(`UPDATE ${this.table} SET deployment_id = $2 WHERE deploy_id = $1`, [row.deploy_id, deploymentId]);
    }

    if ((await writes.latestDeploymentState(ref, Number(deploymentId))) !== row.desired_state) {
      await writes.createDeploymentStatus(ref, Number(deploymentId), {
        state: row.desired_state,
        description: row.description.slice(0, 140),
        ...(row.log_url ? { log_url: row.log_url } : {}),
        ...(row.environment_url ? { environment_url: row.environment_url } : {}),
        ...(row.kind === 'deploy' && !row.environment_url ? { environment_url: `${this.opts.publicUrl.replace(/\/+$/, '')}/api/configs/${row.config}` } : {}),
        // Deploys: GitHub retires the environment's previous one. Previews retire their earlier pushes themselves.
        auto_inactive: row.kind === 'deploy',
      });
    }
    await this.opts.dataSource.query(
      `UPDATE ${this.table} SET synced_state = $2, attempts = 0, last_error = NULL, updated_at = now() WHERE deploy_id = $1 AND desired_state = $2`,
      [row.deploy_id, row.desired_state],
    );
  }
}
