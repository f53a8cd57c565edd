import { buildKeySql, type DeployConfigRoot, type PreviewsSpec } from '@sluice/contracts';
import { createLogCompleteness, managerOf, migrationSchema, schemaIdentifier, type Transaction } from '@sluice/event-store';
import type { MigrationInterface, QueryRunner } from 'typeorm';
import type { PreviewFacts, PullRequestHead } from '../application/ports';
import type { PreviewConfig } from '../domain/previews';

/** The previews' projection, in the schema of the service that hosts them (autodeploy). */
export class PreviewFacts1767900000000 implements MigrationInterface {
  name = 'PreviewFacts1767900000000';
  async up(q: QueryRunner): Promise<void> {
    const s = migrationSchema(q);
    await q.query(`
      CREATE TABLE ${s}.preview_configs (
        name           text PRIMARY KEY,
        artifact_repo  text NOT NULL,
        config         jsonb NOT NULL
      )`);
    await q.query(`CREATE INDEX preview_configs_repo ON ${s}.preview_configs (artifact_repo)`);
    await q.query(`
      CREATE TABLE ${s}.preview_pull_requests (
        repo        text NOT NULL,
        number      integer NOT NULL,
        head_sha    text NOT NULL,
        head_ref    text NOT NULL,
        open        boolean NOT NULL,
        updated_at  timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (repo, number)
      )`);
    await q.query(`CREATE INDEX preview_pull_requests_head ON ${s}.preview_pull_requests (repo, head_sha) WHERE open`);
    await q.query(`
      CREATE TABLE ${s}.preview_green_builds (
        repo        text NOT NULL,
        sha         text NOT NULL,
        build_name  text NOT NULL,
        PRIMARY KEY (repo, sha, build_name)
      )`);
  }
  async down(q: QueryRunner): Promise<void> {
    const s = migrationSchema(q);
    await q.query(`DROP TABLE ${s}.preview_green_builds, ${s}.preview_pull_requests, ${s}.preview_configs`);
  }
}

export const PREVIEW_FACTS_TABLES = ['preview_configs', 'preview_pull_requests', 'preview_green_builds'] as const;

/** Since this version the previews keep their inputs in the host's log; facts from before are not in it (`preview_facts_log.complete`). */
export class PreviewFactsLog1768900000000 implements MigrationInterface {
  name = 'PreviewFactsLog1768900000000';
  async up(q: QueryRunner): Promise<void> {
    await createLogCompleteness(q, migrationSchema(q), 'preview_facts_log', PREVIEW_FACTS_TABLES);
  }
  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE ${migrationSchema(q)}.preview_facts_log`);
  }
}

export const previewsMigrations = [PreviewFacts1767900000000, PreviewFactsLog1768900000000];

interface PullRow {
  repo: string;
  number: number;
  head_sha: string;
  head_ref: string;
}

const headOf = (r: PullRow): PullRequestHead => ({ repo: r.repo, number: r.number, headSha: r.head_sha, headRef: r.head_ref });

/** `PreviewFacts` on PostgreSQL (or the all-in-one's embedded database). */
export class PgPreviewFacts implements PreviewFacts {
  private readonly s: string;

  constructor(schema: string) {
    this.s = schemaIdentifier(schema);
  }

  async recordConfig(m: Transaction, root: DeployConfigRoot, configSha: string): Promise<boolean> {
    if (!root.previews || !root.artifact) {
      await this.forgetConfig(m, root.name);
      return false;
    }
    const config: PreviewConfig = {
      name: root.name,
      team: root.team,
      artifactRepo: root.artifact.repo,
      artifactImage: root.artifact.image,
      artifactBuild: root.artifact.build,
      configRepo: root.configRepo,
      ...(root.configRepoProvider && root.configRepoProvider !== 'github' ? { configRepoProvider: root.configRepoProvider } : {}),
      path: root.path,
      configSha,
      previews: root.previews satisfies PreviewsSpec,
    };
    await managerOf(m).query(
      `INSERT INTO ${this.s}.preview_configs (name, artifact_repo, config) VALUES ($1, $2, $3)
       ON CONFLICT (name) DO UPDATE SET artifact_repo = EXCLUDED.artifact_repo, config = EXCLUDED.config`,
      [config.name, config.artifactRepo, JSON.stringify(config)],
    );
    return true;
  }

  async forgetConfig(m: Transaction, name: string): Promise<void> {
    await managerOf(m).query(`DELETE FROM ${this.s}.preview_configs WHERE name = $1`, [name]);
  }

  async config(m: Transaction, name: string): Promise<PreviewConfig | null> {
    const [row]: Array<{ config: PreviewConfig }> = await managerOf(m).query(`SELECT config FROM ${this.s}.preview_configs WHERE name = $1`, [name]);
    return row?.config ?? null;
  }

  async configsForRepo(m: Transaction, repo: string): Promise<PreviewConfig[]> {
    const rows: Array<{ config: PreviewConfig }> = await managerOf(m).query(`SELECT config FROM ${this.s}.preview_configs WHERE artifact_repo = $1 ORDER BY name`, [repo]);
    return rows.map((r) => r.config);
  }

  async configNames(m: Transaction): Promise<string[]> {
    const rows: Array<{ name: string }> = await managerOf(m).query(`SELECT name FROM ${this.s}.preview_configs ORDER BY name`);
    return rows.map((r) => r.name);
  }

  async recordPullRequest(m: Transaction, pr: PullRequestHead & { open: boolean }, at: string): Promise<void> {
    await managerOf(m).query(
      `INSERT INTO ${this.s}.preview_pull_requests (repo, number, head_sha, head_ref, open, updated_at) VALUES ($1, $2, $3, $4, $5, $6)
       ON CONFLICT (repo, number) DO UPDATE SET head_sha = EXCLUDED.head_sha, head_ref = EXCLUDED.head_ref, open = EXCLUDED.open, updated_at = EXCLUDED.updated_at`,
      [pr.repo, pr.number, pr.headSha, pr.headRef, pr.open, at],
    );
  }

  async openPullRequests(m: Transaction, repo: string, sha?: string): Promise<PullRequestHead[]> {
    const rows: PullRow[] = await managerOf(m).query(
      `SELECT repo, number, head_sha, head_ref FROM ${this.s}.preview_pull_requests WHERE repo = $1 AND open AND ($2::text IS NULL OR head_sha = $2) ORDER BY number`,
      [repo, sha ?? null],
    );
    return rows.map(headOf);
  }

  async recordGreenBuild(m: Transaction, repo: string, sha: string, buildName: string): Promise<void> {
    await managerOf(m).query(`INSERT INTO ${this.s}.preview_green_builds (repo, sha, build_name) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING`, [repo, sha, buildName]);
  }

  async isGreen(m: Transaction, repo: string, sha: string, build: string | null): Promise<boolean> {
    // artifact.build names a build without ASCII case (buildMatches; the same fold in SQL).
    const [row] = await managerOf(m).query(
      `SELECT 1 FROM ${this.s}.preview_green_builds WHERE repo = $1 AND sha = $2 AND ($3::text IS NULL OR ${buildKeySql('build_name')} = ${buildKeySql('$3')}) LIMIT 1`,
      [repo, sha, build],
    );
    return row !== undefined;
  }
}
