import type { ScmProvider } from '@sluice/contracts';
import type { ScmRepository } from '@sluice/scm';
import type { DataSource, EntityManager } from 'typeorm';
import type { SyncProgress, SyncRuns, SyncTarget } from '../../application/global-sync';

const MAX_RECORDED_ERRORS = 100;

/** Global sync jobs in `repo_sync.syncs`, their repositories (per provider) in `repo_sync.sync_repos`. */
export class PgSyncRuns implements SyncRuns {
  constructor(private readonly dataSource: DataSource) {}

  async create(id: string, requestedBy: string): Promise<boolean> {
    const inserted: unknown[] = await this.dataSource.query(
      `INSERT INTO repo_sync.syncs (id, state, requested_by) VALUES ($1, 'running', $2)
       ON CONFLICT DO NOTHING RETURNING id`,
      [id, requestedBy],
    );
    return inserted.length > 0;
  }

  async running(): Promise<string[]> {
    const rows: Array<{ id: string }> = await this.dataSource.query(`SELECT id FROM repo_sync.syncs WHERE state = 'running'`);
    return rows.map((r) => r.id);
  }

  async progress(id: string): Promise<SyncProgress | null> {
    const [row] = await this.dataSource.query(
      `SELECT id, state, started_at, finished_at, repos_total, repos_done, branches, commits, configs, errors
         FROM repo_sync.syncs WHERE id = $1`,
      [id],
    );
    if (!row) return null;
    return {
      syncId: row.id,
      state: row.state,
      startedAt: new Date(row.started_at).toISOString(),
      finishedAt: row.finished_at ? new Date(row.finished_at).toISOString() : null,
      repos: { done: row.repos_done, total: row.repos_total },
      branches: row.branches,
      commits: row.commits,
      configs: row.configs,
      errors: row.errors,
    };
  }

  async job(id: string): Promise<{ state: string; reposTotal: number | null } | null> {
    const [job]: Array<{ repos_total: number | null; state: string }> = await this.dataSource.query(`SELECT repos_total, state FROM repo_sync.syncs WHERE id = $1`, [id]);
    return job ? { state: job.state, reposTotal: job.repos_total } : null;
  }

  async fail(id: string, message: string): Promise<void> {
    await this.dataSource.query(`UPDATE repo_sync.syncs SET state = 'failed', finished_at = now(), errors = errors || $2::jsonb WHERE id = $1`, [
      id,
      JSON.stringify([{ repo: null, message }]),
    ]);
  }

  async listRepos(id: string, targets: readonly SyncTarget[], errors: readonly string[] = []): Promise<void> {
    await this.dataSource.transaction(async (m) => {
      await m.query(
        `INSERT INTO repo_sync.sync_repos (sync_id, provider, repo, repo_ref)
         SELECT $1, * FROM unnest($2::text[], $3::text[], $4::jsonb[]) ON CONFLICT DO NOTHING`,
        [id, targets.map((t) => t.provider), targets.map((t) => t.repo.fullName), targets.map((t) => JSON.stringify(t.repo))],
      );
      await m.query(`UPDATE repo_sync.syncs SET repos_total = $2, errors = errors || $3::jsonb WHERE id = $1`, [
        id,
        targets.length,
        JSON.stringify(errors.slice(0, MAX_RECORDED_ERRORS).map((message) => ({ repo: null, message }))),
      ]);
    });
  }

  async pending(id: string): Promise<SyncTarget[]> {
    const rows: Array<{ provider: ScmProvider; repo_ref: ScmRepository }> = await this.dataSource.query(
      `SELECT provider, repo_ref FROM repo_sync.sync_repos WHERE sync_id = $1 AND NOT done ORDER BY repo, provider`,
      [id],
    );
    return rows.map((r) => ({ provider: r.provider, repo: r.repo_ref }));
  }

  async complete(id: string): Promise<void> {
    await this.dataSource.query(`UPDATE repo_sync.syncs SET state = 'completed', finished_at = now() WHERE id = $1 AND state = 'running'`, [id]);
  }

  async repoDone(m: EntityManager, id: string, provider: ScmProvider, repo: string, counts: { branches: number; commits: number; configs: number }): Promise<void> {
    await m.query(`UPDATE repo_sync.sync_repos SET done = true WHERE sync_id = $1 AND provider = $2 AND repo = $3`, [id, provider, repo]);
    await m.query(
      `UPDATE repo_sync.syncs SET repos_done = repos_done + 1, branches = branches + $2, commits = commits + $3, configs = configs + $4
       WHERE id = $1`,
      [id, counts.branches, counts.commits, counts.configs],
    );
  }

  async repoFailed(id: string, provider: ScmProvider, repo: string, message: string): Promise<void> {
    await this.dataSource.transaction(async (m) => {
      await m.query(`UPDATE repo_sync.sync_repos SET done = true, error = $4 WHERE sync_id = $1 AND provider = $2 AND repo = $3`, [id, provider, repo, message]);
      await m.query(
        `UPDATE repo_sync.syncs SET repos_done = repos_done + 1,
           errors = CASE WHEN jsonb_array_length(errors) < ${MAX_RECORDED_ERRORS} THEN errors || $2::jsonb ELSE errors END
         WHERE id = $1`,
        [id, JSON.stringify([{ repo, message }])],
      );
    });
  }
}
