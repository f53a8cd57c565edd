import type { ScmProvider } from '@sluice/contracts';
import { managerOf, type Transaction } from '@sluice/event-store';
import type { DataSource, MigrationInterface, QueryRunner } from 'typeorm';
import type { PollTarget, RepoPolls } from '../../application/repo-poller';

/** The state of Git polling per repository: the ETag of its branch list, when it was polled, its last webhook. */
export class RepoSyncPolls1768000000100 implements MigrationInterface {
  name = 'RepoSyncPolls1768000000100';
  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE repo_sync.repo_polls (
        repo             text PRIMARY KEY,
        etag             text,
        polled_at        timestamptz,
        last_webhook_at  timestamptz
      )`);
  }
  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE repo_sync.repo_polls`);
  }
}

interface TargetRow {
  repo: string;
  provider: ScmProvider;
  github_id: string | null;
  default_branch: string | null;
  private: boolean | null;
  known: boolean;
  etag: string | null;
  polled_at: Date | null;
  last_webhook_at: Date | null;
}

const iso = (d: Date | null) => (d ? d.toISOString() : null);

export class PgRepoPolls implements RepoPolls {
  constructor(private readonly dataSource: DataSource) {}

  async targets(): Promise<PollTarget[]> {
    const rows: TargetRow[] = await this.dataSource.query(`
      WITH wanted AS (
        SELECT config_repo AS repo, coalesce(root->>'configRepoProvider', 'github') AS provider FROM repo_sync.configs
        UNION
        -- An artifact repository no webhook announced yet: guessed on the provider of a config repository naming it (GitHub first).
        SELECT root->'artifact'->>'repo', coalesce(root->>'configRepoProvider', 'github') FROM repo_sync.configs WHERE jsonb_typeof(root->'artifact') = 'object'
      )
      SELECT DISTINCT ON (w.repo) w.repo, coalesce(r.provider, w.provider) AS provider, r.github_id, r.default_branch, r.private,
             r.full_name IS NOT NULL AS known, p.etag, p.polled_at, p.last_webhook_at
        FROM wanted w
        LEFT JOIN repo_sync.repos r ON r.full_name = w.repo
        LEFT JOIN repo_sync.repo_polls p ON p.repo = w.repo
       WHERE w.repo IS NOT NULL
       ORDER BY w.repo, (w.provider = 'github') DESC`);
    return rows.map((r) => ({
      fullName: r.repo,
      provider: r.provider,
      repo: r.known ? { fullName: r.repo, id: r.github_id === null ? null : Number(r.github_id), defaultBranch: r.default_branch!, private: r.private!, archived: false } : null,
      etag: r.etag,
      polledAt: iso(r.polled_at),
      lastWebhookAt: iso(r.last_webhook_at),
    }));
  }

  async polled(fullName: string, etag: string | null): Promise<void> {
    await this.dataSource.query(
      `INSERT INTO repo_sync.repo_polls (repo, etag, polled_at) VALUES ($1, $2, now())
       ON CONFLICT (repo) DO UPDATE SET etag = EXCLUDED.etag, polled_at = EXCLUDED.polled_at`,
      [fullName, etag],
    );
  }

  async webhookSeen(m: Transaction, fullName: string): Promise<void> {
    await managerOf(m).query(
      `INSERT INTO repo_sync.repo_polls (repo, last_webhook_at) VALUES ($1, now())
       ON CONFLICT (repo) DO UPDATE SET last_webhook_at = EXCLUDED.last_webhook_at`,
      [fullName],
    );
  }

  async headsAwaitingBuilds(fullName: string, since: string): Promise<string[]> {
    const rows: Array<{ head_sha: string }> = await this.dataSource.query(
      // Only the branches a config deploys builds of (its artifact repository's tracked branch).
      `SELECT DISTINCT b.head_sha FROM repo_sync.branches b
         JOIN repo_sync.configs c ON c.root->'artifact'->>'repo' = b.repo AND c.root->'track'->>'branch' = b.name
        WHERE b.repo = $1 AND b.updated_at >= $2
          AND NOT EXISTS (SELECT 1 FROM repo_sync.builds x WHERE x.repo = b.repo AND x.sha = b.head_sha AND x.status = 'completed')`,
      [fullName, since],
    );
    return rows.map((r) => r.head_sha.trim());
  }
}
