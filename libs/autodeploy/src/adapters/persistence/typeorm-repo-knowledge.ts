import { buildKeySql, buildMatches, type DeployConfigRoot } from '@sluice/contracts';
import { schemaIdentifier } from '@sluice/event-store';
import type { EntityManager } from 'typeorm';
import type { BuildingConfig, CommitTimes, RepoKnowledge } from '../../application/ports';

/**
 * RepoKnowledge on autodeploy's tables `repos`, `branches`, `known_commits`, `commit_times`,
 * `green_builds`, `config_routes` — of schema `autodeploy`, or of a rebuild's copy.
 */
export class TypeOrmRepoKnowledge implements RepoKnowledge, CommitTimes {
  private readonly s: string;

  constructor(schema = 'autodeploy') {
    this.s = schemaIdentifier(schema);
  }

  /** The earliest time a push gave the commit (any repository: the one SHA), as a deploy request carries it. */
  async committedAt(m: EntityManager, sha: string): Promise<string | null> {
    const [row]: Array<{ at: Date | null }> = await m.query(`SELECT min(committed_at) AS at FROM ${this.s}.commit_times WHERE sha = $1`, [sha]);
    return row?.at ? new Date(row.at).toISOString() : null;
  }

  async recordBranchHead(
    m: EntityManager,
    input: { repo: string; defaultBranch: string; branch: string; headSha: string; previousSha: string | null; at: string; headCommit?: { timestamp: string | null } | null },
  ): Promise<void> {
    if (input.headCommit?.timestamp) {
      await m.query(`INSERT INTO ${this.s}.commit_times (repo, sha, committed_at) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING`, [input.repo, input.headSha, input.headCommit.timestamp]);
    }
    await m.query(
      `INSERT INTO ${this.s}.repos (repo, default_branch) VALUES ($1, $2)
       ON CONFLICT (repo) DO UPDATE SET default_branch = EXCLUDED.default_branch`,
      [input.repo, input.defaultBranch],
    );
    await m.query(
      `INSERT INTO ${this.s}.branches (repo, branch, head_sha, updated_at) VALUES ($1, $2, $3, $4)
       ON CONFLICT (repo, branch) DO UPDATE SET head_sha = EXCLUDED.head_sha, updated_at = EXCLUDED.updated_at`,
      [input.repo, input.branch, input.headSha, input.at],
    );
    await this.recordCommit(m, input.repo, input.headSha, input.branch);
    if (input.previousSha) await this.recordCommit(m, input.repo, input.previousSha, input.branch);
  }

  async deleteBranch(m: EntityManager, repo: string, branch: string): Promise<void> {
    await m.query(`DELETE FROM ${this.s}.branches WHERE repo = $1 AND branch = $2`, [repo, branch]);
  }

  async recordCommit(m: EntityManager, repo: string, sha: string, branch: string | null): Promise<void> {
    await m.query(`INSERT INTO ${this.s}.known_commits (repo, sha, branch) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING`, [
      repo,
      sha,
      branch ?? '',
    ]);
  }

  async recordConfigCommit(m: EntityManager, repo: string, sha: string, at: string): Promise<void> {
    await this.recordCommit(m, repo, sha, null);
    const [known]: Array<{ default_branch: string }> = await m.query(`SELECT default_branch FROM ${this.s}.repos WHERE repo = $1`, [repo]);
    if (!known) return;
    await m.query(
      `INSERT INTO ${this.s}.branches (repo, branch, head_sha, updated_at) VALUES ($1, $2, $3, $4)
       ON CONFLICT (repo, branch) DO NOTHING`,
      [repo, known.default_branch, sha, at],
    );
  }

  async isKnownCommit(m: EntityManager, repo: string, sha: string): Promise<boolean> {
    const rows: unknown[] = await m.query(`SELECT 1 FROM ${this.s}.known_commits WHERE repo = $1 AND sha = $2 LIMIT 1`, [repo, sha]);
    return rows.length > 0;
  }

  async branchesOf(m: EntityManager, repo: string, sha: string): Promise<string[]> {
    const rows: Array<{ branch: string }> = await m.query(
      `SELECT branch FROM ${this.s}.known_commits WHERE repo = $1 AND sha = $2 AND branch <> '' ORDER BY seen`,
      [repo, sha],
    );
    return rows.map((r) => r.branch);
  }

  async branchHead(m: EntityManager, repo: string, branch: string): Promise<string | null> {
    const [row]: Array<{ head_sha: string }> = await m.query(`SELECT head_sha FROM ${this.s}.branches WHERE repo = $1 AND branch = $2`, [repo, branch]);
    return row?.head_sha ?? null;
  }

  async defaultBranchHead(m: EntityManager, repo: string): Promise<string | null> {
    const [row]: Array<{ head_sha: string }> = await m.query(
      `SELECT b.head_sha FROM ${this.s}.repos r JOIN ${this.s}.branches b ON b.repo = r.repo AND b.branch = r.default_branch WHERE r.repo = $1`,
      [repo],
    );
    if (row) return row.head_sha;
    // No push seen yet: the config commit the catalogue was read at is on the default branch.
    const [seen]: Array<{ sha: string }> = await m.query(
      `SELECT sha FROM ${this.s}.known_commits WHERE repo = $1 AND branch = '' ORDER BY seen DESC LIMIT 1`,
      [repo],
    );
    return seen?.sha ?? null;
  }

  async configRepoHead(m: EntityManager, repo: string, catalogueSha: string | null): Promise<string | null> {
    const head = await this.defaultBranchHead(m, repo);
    if (catalogueSha === null || head === null || head === catalogueSha) return head ?? catalogueSha;
    // Seen on the default branch before (as a head or a previous head): the head moved past it.
    // Never seen there: the push that made it the head has not arrived yet, so it is newer.
    const seen: unknown[] = await m.query(
      `SELECT 1 FROM ${this.s}.known_commits k JOIN ${this.s}.repos r ON r.repo = k.repo AND r.default_branch = k.branch
        WHERE k.repo = $1 AND k.sha = $2 LIMIT 1`,
      [repo, catalogueSha],
    );
    return seen.length > 0 ? head : catalogueSha;
  }

  async trackedHead(m: EntityManager, repo: string, branch: string, catalogueSha: string | null): Promise<string | null> {
    const [known]: Array<{ default_branch: string }> = await m.query(`SELECT default_branch FROM ${this.s}.repos WHERE repo = $1`, [repo]);
    // With no push seen, the only branch known is the one the catalogue is read from: the default.
    if (!known || known.default_branch === branch) return this.configRepoHead(m, repo, catalogueSha);
    return this.branchHead(m, repo, branch);
  }

  async recordGreenBuild(m: EntityManager, input: { repo: string; branch: string; buildName: string; sha: string }): Promise<void> {
    await m.query(`INSERT INTO ${this.s}.green_builds (repo, branch, build_name, sha) VALUES ($1, $2, $3, $4)`, [
      input.repo,
      input.branch,
      input.buildName,
      input.sha,
    ]);
  }

  async latestGreenBuild(m: EntityManager, repo: string, branch: string, buildName: string | null): Promise<string | null> {
    const [row]: Array<{ sha: string }> = await m.query(
      // artifact.build names a build without ASCII case (buildMatches; the same fold in SQL).
      `SELECT sha FROM ${this.s}.green_builds WHERE repo = $1 AND branch = $2 AND ($3::text IS NULL OR ${buildKeySql('build_name')} = ${buildKeySql('$3')}) ORDER BY seq DESC LIMIT 1`,
      [repo, branch, buildName],
    );
    return row?.sha ?? null;
  }

  async upsertRoute(m: EntityManager, root: DeployConfigRoot): Promise<void> {
    await m.query(
      `INSERT INTO ${this.s}.config_routes (name, config_repo, artifact_repo, artifact_build, track_branch, autodeploy, removed, builds, track_tags)
       VALUES ($1, $2, $3, $4, $5, $6, false, $7, $8)
       ON CONFLICT (name) DO UPDATE SET config_repo = EXCLUDED.config_repo, artifact_repo = EXCLUDED.artifact_repo,
         artifact_build = EXCLUDED.artifact_build, track_branch = EXCLUDED.track_branch, autodeploy = EXCLUDED.autodeploy, removed = false,
         builds = EXCLUDED.builds, track_tags = EXCLUDED.track_tags`,
      [root.name, root.configRepo, root.artifact?.repo ?? null, root.artifact?.build ?? null, root.track.branch, root.autodeploy, root.build !== undefined, root.track.tags ?? null],
    );
  }

  async markRouteRemoved(m: EntityManager, name: string): Promise<void> {
    await m.query(`UPDATE ${this.s}.config_routes SET removed = true WHERE name = $1`, [name]);
  }

  async configsForPush(m: EntityManager, repo: string, branch: string): Promise<string[]> {
    const rows: Array<{ name: string }> = await m.query(
      `SELECT name FROM ${this.s}.config_routes
        WHERE config_repo = $1 AND track_branch = $2 AND artifact_repo IS NULL AND NOT removed ORDER BY name`,
      [repo, branch],
    );
    return rows.map((r) => r.name);
  }

  async configsForBuild(m: EntityManager, repo: string, buildName: string): Promise<Array<{ name: string; configRepo: string; trackBranch: string }>> {
    const rows: Array<{ name: string; config_repo: string; track_branch: string; artifact_build: string | null }> = await m.query(
      `SELECT name, config_repo, track_branch, artifact_build FROM ${this.s}.config_routes
        WHERE artifact_repo = $1 AND NOT removed ORDER BY name`,
      [repo],
    );
    // One build identity for every service (buildMatches: the name without ASCII case).
    return rows.filter((r) => buildMatches(r.artifact_build, buildName)).map((r) => ({ name: r.name, configRepo: r.config_repo, trackBranch: r.track_branch }));
  }

  async configsThatBuild(m: EntityManager, repo: string): Promise<BuildingConfig[]> {
    const rows: Array<{ name: string; track_branch: string; track_tags: string | null }> = await m.query(
      `SELECT name, track_branch, track_tags FROM ${this.s}.config_routes WHERE artifact_repo = $1 AND builds AND NOT removed ORDER BY name`,
      [repo],
    );
    return rows.map((r) => ({ name: r.name, trackBranch: r.track_branch, trackTags: r.track_tags }));
  }

  async configsNaming(m: EntityManager, repo: string): Promise<string[]> {
    const configs: Array<{ name: string }> = await m.query(`SELECT name FROM ${this.s}.config_routes WHERE config_repo = $1 OR artifact_repo = $1 ORDER BY name`, [repo]);
    return configs.map((c) => c.name);
  }

  async renameRepo(m: EntityManager, from: string, to: string): Promise<void> {
    // A row already under the new name is an older repository of that name: the renamed one replaces it.
    for (const [table, keys] of [['repos', 'true'], ['branches', 'branch'], ['known_commits', 'sha, branch'], ['commit_times', 'sha']] as const) {
      await m.query(`DELETE FROM ${this.s}.${table} WHERE repo = $2 AND (${keys}) IN (SELECT ${keys} FROM ${this.s}.${table} WHERE repo = $1)`, [from, to]);
      await m.query(`UPDATE ${this.s}.${table} SET repo = $2 WHERE repo = $1`, [from, to]);
    }
    await m.query(`UPDATE ${this.s}.green_builds SET repo = $2 WHERE repo = $1`, [from, to]);
    await m.query(`UPDATE ${this.s}.config_routes SET config_repo = $2 WHERE config_repo = $1`, [from, to]);
    await m.query(`UPDATE ${this.s}.config_routes SET artifact_repo = $2 WHERE artifact_repo = $1`, [from, to]);
  }
}
