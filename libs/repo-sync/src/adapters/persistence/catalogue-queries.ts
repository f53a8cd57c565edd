import type { DataSource } from 'typeorm';

/** Read side of the catalogue for the HTTP API. */
export class CatalogueQueries {
  constructor(private readonly dataSource: DataSource) {}

  /** `team` null: every repository; otherwise only the team's repositories (`visibleRepo`), counting only its configs. */
  async listRepos(limit: number, after: string | null, team: string | null = null) {
    const rows = await this.dataSource.query(
      `SELECT r.full_name, r.github_id, r.default_branch, r.private, r.updated_at,
              (SELECT count(*)::int FROM repo_sync.branches b WHERE b.repo = r.full_name) AS branches,
              (SELECT count(*)::int FROM repo_sync.configs c WHERE c.config_repo = r.full_name AND ${ownConfig('c', '$3')}) AS configs
         FROM repo_sync.repos r
        WHERE ($2::text IS NULL OR r.full_name > $2) AND ${visibleRepo('r.full_name', '$3')}
        ORDER BY r.full_name LIMIT $1`,
      [limit + 1, after, team],
    );
    const items = rows.slice(0, limit).map(toRepo);
    return { items, next: rows.length > limit ? items[items.length - 1].fullName : null };
  }

  /** Null when the repository is not in the catalogue, or (`team` given) not one of the team's. */
  async repo(fullName: string, team: string | null = null) {
    const [row] = await this.dataSource.query(
      `SELECT r.full_name, r.github_id, r.default_branch, r.private, r.updated_at,
              (SELECT count(*)::int FROM repo_sync.branches b WHERE b.repo = r.full_name) AS branches,
              (SELECT count(*)::int FROM repo_sync.configs c WHERE c.config_repo = r.full_name AND ${ownConfig('c', '$2')}) AS configs,
              (SELECT count(*)::int FROM repo_sync.config_errors e WHERE e.config_repo = r.full_name) AS config_errors,
              (SELECT sha FROM repo_sync.config_scans s WHERE s.repo = r.full_name) AS config_sha
         FROM repo_sync.repos r WHERE r.full_name = $1 AND ${visibleRepo('r.full_name', '$2')}`,
      [fullName, team],
    );
    if (!row) return null;
    return { ...toRepo(row), configErrors: row.config_errors, configSha: row.config_sha ?? null };
  }

  async branches(fullName: string) {
    const rows = await this.dataSource.query(
      `SELECT b.name, b.head_sha, b.updated_at, c.message, c.author_name, c.timestamp
         FROM repo_sync.branches b
         LEFT JOIN repo_sync.commits c ON c.repo = b.repo AND c.sha = b.head_sha
        WHERE b.repo = $1 ORDER BY b.name`,
      [fullName],
    );
    return rows.map((r: Record<string, unknown>) => ({
      name: r.name,
      headSha: r.head_sha,
      updatedAt: iso(r.updated_at),
      headCommit: r.message === null ? null : { message: r.message, authorName: r.author_name, timestamp: r.timestamp },
    }));
  }

  async commit(fullName: string, sha: string) {
    const [commit] = await this.dataSource.query(
      `SELECT sha, message, author_name, author_email, timestamp FROM repo_sync.commits WHERE repo = $1 AND sha = $2`,
      [fullName, sha],
    );
    const builds = await this.dataSource.query(
      `SELECT build_name, branch, status, conclusion, url, updated_at FROM repo_sync.builds WHERE repo = $1 AND sha = $2 ORDER BY build_name`,
      [fullName, sha],
    );
    if (!commit && builds.length === 0) return null;
    return {
      sha,
      message: commit?.message ?? null,
      authorName: commit?.author_name ?? null,
      authorEmail: commit?.author_email ?? null,
      timestamp: commit?.timestamp ?? null,
      builds: builds.map((b: Record<string, unknown>) => ({
        name: b.build_name,
        branch: b.branch,
        status: b.status,
        conclusion: b.conclusion,
        url: b.url,
        updatedAt: iso(b.updated_at),
      })),
    };
  }

  /** `team` given: only the team's configs (a config repository may hold several teams'); the errors are the repository's. */
  async configs(fullName: string, team: string | null = null) {
    const configs = await this.dataSource.query(
      `SELECT root, config_sha, updated_at FROM repo_sync.configs c WHERE config_repo = $1 AND ${ownConfig('c', '$2')} ORDER BY name`,
      [fullName, team],
    );
    const errors = await this.dataSource.query(
      `SELECT path, config_sha, errors, updated_at FROM repo_sync.config_errors WHERE config_repo = $1 ORDER BY path`,
      [fullName],
    );
    return {
      configs: configs.map((c: Record<string, unknown>) => ({ ...(c.root as object), configSha: c.config_sha, updatedAt: iso(c.updated_at) })),
      errors: errors.map((e: Record<string, unknown>) => ({ path: e.path, configSha: e.config_sha, errors: e.errors, updatedAt: iso(e.updated_at) })),
    };
  }
}

/**
 * SQL: `repo` is one of the repositories of the team in parameter `team` (the config
 * repository or `artifact.repo` of one of its configs), or `team` is null (every repository).
 */
function visibleRepo(repo: string, team: string): string {
  return `(${team}::text IS NULL OR ${repo} IN (
            SELECT t.config_repo FROM repo_sync.configs t WHERE t.root->>'team' = ${team}
            UNION SELECT t.root->'artifact'->>'repo' FROM repo_sync.configs t WHERE t.root->>'team' = ${team}))`;
}

/** SQL: config row `alias` belongs to the team in parameter `team`, or `team` is null. */
function ownConfig(alias: string, team: string): string {
  return `(${team}::text IS NULL OR ${alias}.root->>'team' = ${team})`;
}

function iso(value: unknown): string | null {
  return value ? new Date(value as string).toISOString() : null;
}

function toRepo(row: Record<string, unknown>) {
  return {
    fullName: row.full_name as string,
    id: row.github_id === null ? null : Number(row.github_id),
    defaultBranch: row.default_branch,
    private: row.private,
    branches: row.branches,
    configs: row.configs,
    updatedAt: iso(row.updated_at),
  };
}
