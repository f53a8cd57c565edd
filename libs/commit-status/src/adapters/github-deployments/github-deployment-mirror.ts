import type { Logger } from '@sluice/platform';
import type { DataSource, EntityManager } from 'typeorm';
import { deploymentStateOf, type DeploymentState } from '../../domain/deployment-mirror';
import type { DeployStatusState } from '../../domain/deploy-status';
import { gitRepoNameFor } from '../../domain/naming';
import type { CommitStatusStore } from '../../application/ports';
import { ScmRateLimitedError, type ScmClients } from '@sluice/scm';
import { githubWritesFor } from '../scm/github-target';

export interface DeploymentMirrorOptions {
  dataSource: DataSource;
  store: CommitStatusStore;
  /** The process's SCM clients: the deployments draw on the same rate budget as every other call of the credentials. */
  clients: ScmClients;
  /** Where the GitRepos of Sluice's own statuses live (their credentials are used). */
  namespace: string;
  /** `environment_url` of each status: the config in Sluice's API (`<SLUICE_PUBLIC_URL>/api/configs/<config>`). */
  publicUrl: string;
  logger: Logger;
  pollIntervalMs?: number;
  random?: () => number;
}

interface Row {
  deploy_id: string;
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
 * deployment statuses. The desired state is recorded in the deploy consumer's transaction;
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
    await manager.query(
      `INSERT INTO ${this.table} (deploy_id, config, repo, sha, environment, desired_state, description, log_url)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
       ON CONFLICT (deploy_id) DO UPDATE SET desired_state = EXCLUDED.desired_state, description = EXCLUDED.description,
         attempts = 0, next_attempt_at = now(), updated_at = now()`,
      [state.deployId, state.config, state.repo, state.sha, state.config, deploymentStateOf(state.phase), state.description, logUrl],
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
  async syncPending(): Promise<void> {
    let rows: Row[];
    try {
      rows = await this.opts.dataSource.query(
        `SELECT * FROM ${this.table} WHERE synced_state IS DISTINCT FROM desired_state AND next_attempt_at <= now() ORDER BY created_at LIMIT 20`,
      );
    } catch (err) {
      this.opts.logger.warn({ err: (err as Error).message }, 'github deployments: cannot read pending rows');
      return;
    }
    for (const row of rows) {
      try {
        await this.sync(row);
      } catch (err) {
        const limited = err instanceof ScmRateLimitedError ? err.untilMs : undefined;
        const delayMs = limited !== undefined ? Math.max(0, limited - Date.now()) : Math.round(500 + this.random() * Math.min(300_000, 1000 * 2 ** row.attempts));
        const message = err instanceof Error ? err.message : String(err);
        this.opts.logger.warn({ deployId: row.deploy_id, config: row.config, err: message, delayMs }, 'github deployment sync failed; retrying');
        await this.opts.dataSource.query(
          `UPDATE ${this.table} SET attempts = attempts + 1, last_error = $2, next_attempt_at = now() + ($3 || ' milliseconds')::interval WHERE deploy_id = $1`,
          [row.deploy_id, message.slice(0, 2000), String(delayMs)],
        );
      }
    }
  }

  private async sync(row: Row): Promise<void> {
    const repo = await this.opts.store.resolveGitRepo(this.opts.namespace, gitRepoNameFor('github', row.repo));
    if (repo.identity.provider !== 'github') return;
    const { writes, ref } = githubWritesFor(this.opts.clients, repo);

    let deploymentId = row.deployment_id;
    if (!deploymentId && row.desired_state === 'inactive') {
      // Superseded before it was ever mirrored: no deployment to create just to retire it.
      await this.opts.dataSource.query(`UPDATE ${this.table} SET synced_state = desired_state, updated_at = now() WHERE deploy_id = $1 AND desired_state = 'inactive'`, [row.deploy_id]);
      return;
    }
    if (!deploymentId) {
      const existing = await writes.listDeployments(ref, { sha: row.sha, environment: row.environment });
      const adopted = existing.find((d) => (d.payload as { sluiceDeployId?: string } | undefined)?.sluiceDeployId === row.deploy_id);
      if (adopted) deploymentId = String(adopted.id);
      else {
        const created = await writes.createDeployment(ref, {
          ref: row.sha,
          environment: row.environment,
          description: `Sluice deploy of ${row.config}`,
          auto_merge: false,
          // Sluice decides what deploys; GitHub's required-status gate must not refuse it.
          required_contexts: [],
          payload: { sluiceDeployId: row.deploy_id, config: row.config },
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
        environment_url: `${this.opts.publicUrl.replace(/\/+$/, '')}/api/configs/${row.config}`,
        auto_inactive: true,
      });
    }
    await this.opts.dataSource.query(
      `UPDATE ${this.table} SET synced_state = $2, attempts = 0, last_error = NULL, updated_at = now() WHERE deploy_id = $1 AND desired_state = $2`,
      [row.deploy_id, row.desired_state],
    );
  }
}
