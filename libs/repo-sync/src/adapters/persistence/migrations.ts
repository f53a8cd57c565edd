import { RepoSyncPolls1768000000100 } from './pg-repo-polls';
import { buildKeySql } from '@sluice/contracts';
import { createLogCompleteness } from '@sluice/event-store';
import { teamPolicyMigrations } from '@sluice/team-policy';
import { teamTokenMigrations } from '@sluice/auth';
import type { MigrationInterface, QueryRunner } from 'typeorm';

export const REPO_SYNC_SCHEMA = 'repo_sync';

/** The catalogue read models, the config catalogue with its errors, and global-sync jobs. */
export class RepoSyncInit1732400100000 implements MigrationInterface {
  name = 'RepoSyncInit1732400100000';
  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE repo_sync.repos (
        full_name       text PRIMARY KEY,
        github_id       bigint,
        default_branch  text NOT NULL,
        private         boolean NOT NULL,
        updated_at      timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`
      CREATE TABLE repo_sync.branches (
        repo        text NOT NULL REFERENCES repo_sync.repos (full_name) ON DELETE CASCADE,
        name        text NOT NULL,
        head_sha    char(40) NOT NULL,
        updated_at  timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (repo, name)
      )`);
    await q.query(`
      CREATE TABLE repo_sync.commits (
        repo          text NOT NULL REFERENCES repo_sync.repos (full_name) ON DELETE CASCADE,
        sha           char(40) NOT NULL,
        message       text NOT NULL,
        author_name   text,
        author_email  text,
        timestamp     text,
        recorded_at   timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (repo, sha)
      )`);
    await q.query(`
      CREATE TABLE repo_sync.builds (
        repo        text NOT NULL REFERENCES repo_sync.repos (full_name) ON DELETE CASCADE,
        sha         char(40) NOT NULL,
        build_name  text NOT NULL,
        branch      text,
        status      text NOT NULL,
        conclusion  text,
        url         text,
        updated_at  timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (repo, sha, build_name)
      )`);
    await q.query(`
      CREATE TABLE repo_sync.configs (
        name         text PRIMARY KEY,
        config_repo  text NOT NULL,
        path         text NOT NULL,
        root         jsonb NOT NULL,
        config_sha   char(40) NOT NULL,
        updated_at   timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`CREATE INDEX configs_repo ON repo_sync.configs (config_repo)`);
    await q.query(`
      CREATE TABLE repo_sync.config_errors (
        config_repo  text NOT NULL,
        path         text NOT NULL,
        config_sha   char(40) NOT NULL,
        errors       jsonb NOT NULL,
        updated_at   timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (config_repo, path)
      )`);
    await q.query(`
      CREATE TABLE repo_sync.config_scans (
        repo        text PRIMARY KEY,
        sha         char(40) NOT NULL,
        scanned_at  timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`
      CREATE TABLE repo_sync.syncs (
        id            uuid PRIMARY KEY,
        state         text NOT NULL,
        requested_by  text,
        started_at    timestamptz NOT NULL DEFAULT now(),
        finished_at   timestamptz,
        repos_total   integer,
        repos_done    integer NOT NULL DEFAULT 0,
        branches      integer NOT NULL DEFAULT 0,
        commits       integer NOT NULL DEFAULT 0,
        configs       integer NOT NULL DEFAULT 0,
        errors        jsonb NOT NULL DEFAULT '[]'
      )`);
    await q.query(`CREATE UNIQUE INDEX syncs_one_running ON repo_sync.syncs ((true)) WHERE state = 'running'`);
    await q.query(`
      CREATE TABLE repo_sync.sync_repos (
        sync_id   uuid NOT NULL REFERENCES repo_sync.syncs (id) ON DELETE CASCADE,
        repo      text NOT NULL,
        repo_ref  jsonb NOT NULL,
        done      boolean NOT NULL DEFAULT false,
        error     text,
        PRIMARY KEY (sync_id, repo)
      )`);
  }
  async down(q: QueryRunner): Promise<void> {
    for (const t of ['sync_repos', 'syncs', 'config_scans', 'config_errors', 'configs', 'builds', 'commits', 'branches', 'repos']) {
      await q.query(`DROP TABLE repo_sync.${t}`);
    }
  }
}

/** A team token reads the repositories of its team's configs (SLUICE_CATALOGUE_VISIBILITY=team): configs by team. */
export class RepoSyncConfigTeam1764200000000 implements MigrationInterface {
  name = 'RepoSyncConfigTeam1764200000000';
  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE INDEX configs_team ON repo_sync.configs ((root->>'team'))`);
  }
  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX repo_sync.configs_team`);
  }
}

/**
 * One build per (repository, commit, name without ASCII case) — `buildKey` — and what
 * orders its reports: the source, the SCM's id of the execution, its attempt, how far it
 * got and the SCM's times. Builds already recorded twice under names differing in case
 * keep the one updated last. Their `source_updated_at` is when Sluice recorded them (the
 * SCM's time was not kept), so a re-run that began after that still starts a new state.
 */
export class RepoSyncBuildIdentity1766100000000 implements MigrationInterface {
  name = 'RepoSyncBuildIdentity1766100000000';
  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      ALTER TABLE repo_sync.builds
        ADD COLUMN build_key text, ADD COLUMN source text, ADD COLUMN run_id bigint, ADD COLUMN attempt integer,
        ADD COLUMN progress text, ADD COLUMN started_at timestamptz, ADD COLUMN source_updated_at timestamptz`);
    await q.query(`UPDATE repo_sync.builds SET build_key = ${buildKeySql('build_name')}, progress = status, source_updated_at = updated_at`);
    await q.query(`
      DELETE FROM repo_sync.builds b USING repo_sync.builds o
       WHERE b.repo = o.repo AND b.sha = o.sha AND b.build_key = o.build_key
         AND (b.updated_at, b.build_name) < (o.updated_at, o.build_name)`);
    await q.query(`ALTER TABLE repo_sync.builds ALTER COLUMN build_key SET NOT NULL, ALTER COLUMN progress SET NOT NULL`);
    await q.query(`ALTER TABLE repo_sync.builds DROP CONSTRAINT builds_pkey`);
    await q.query(`ALTER TABLE repo_sync.builds ADD PRIMARY KEY (repo, sha, build_key)`);
  }
  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE repo_sync.builds DROP CONSTRAINT builds_pkey`);
    await q.query(`ALTER TABLE repo_sync.builds ADD PRIMARY KEY (repo, sha, build_name)`);
    await q.query(`
      ALTER TABLE repo_sync.builds DROP COLUMN build_key, DROP COLUMN source, DROP COLUMN run_id, DROP COLUMN attempt,
        DROP COLUMN progress, DROP COLUMN started_at, DROP COLUMN source_updated_at`);
  }
}

/**
 * Repository identity (docs/architecture.md §2): a repository is `(provider, github_id)` — one
 * row per provider id (when two names claimed one id, the one updated last keeps it) — and its
 * name follows renames: the rows keyed by name move with it (`ON UPDATE CASCADE`), and the names
 * it had are kept in `repo_names` so configs that still name them point at it.
 */
export class RepoSyncRepositoryIdentity1767500000000 implements MigrationInterface {
  name = 'RepoSyncRepositoryIdentity1767500000000';
  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE repo_sync.repos ADD COLUMN provider text NOT NULL DEFAULT 'github'`);
    await q.query(`
      UPDATE repo_sync.repos r SET github_id = NULL
        FROM repo_sync.repos o
       WHERE r.github_id = o.github_id AND r.provider = o.provider AND (r.updated_at, r.full_name) < (o.updated_at, o.full_name)`);
    await q.query(`CREATE UNIQUE INDEX repos_identity ON repo_sync.repos (provider, github_id) WHERE github_id IS NOT NULL`);
    for (const table of ['branches', 'commits', 'builds']) {
      await q.query(`ALTER TABLE repo_sync.${table} DROP CONSTRAINT ${table}_repo_fkey`);
      await q.query(`
        ALTER TABLE repo_sync.${table} ADD CONSTRAINT ${table}_repo_fkey
          FOREIGN KEY (repo) REFERENCES repo_sync.repos (full_name) ON DELETE CASCADE ON UPDATE CASCADE`);
    }
    await q.query(`
      CREATE TABLE repo_sync.repo_names (
        provider    text NOT NULL,
        full_name   text NOT NULL,
        github_id   bigint NOT NULL,
        renamed_at  timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (provider, full_name)
      )`);
  }
  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE repo_sync.repo_names`);
    for (const table of ['branches', 'commits', 'builds']) {
      await q.query(`ALTER TABLE repo_sync.${table} DROP CONSTRAINT ${table}_repo_fkey`);
      await q.query(`ALTER TABLE repo_sync.${table} ADD CONSTRAINT ${table}_repo_fkey FOREIGN KEY (repo) REFERENCES repo_sync.repos (full_name) ON DELETE CASCADE`);
    }
    await q.query(`DROP INDEX repo_sync.repos_identity`);
    await q.query(`ALTER TABLE repo_sync.repos DROP COLUMN provider`);
  }
}

/**
 * A sync job lists the repositories of every provider: its cursor is per (provider, name), so two
 * providers' repositories of one name are two rows. The rows of jobs before are GitHub's.
 */
export class RepoSyncSyncProviders1768300000000 implements MigrationInterface {
  name = 'RepoSyncSyncProviders1768300000000';
  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE repo_sync.sync_repos ADD COLUMN provider text NOT NULL DEFAULT 'github'`);
    await q.query(`ALTER TABLE repo_sync.sync_repos DROP CONSTRAINT sync_repos_pkey`);
    await q.query(`ALTER TABLE repo_sync.sync_repos ADD PRIMARY KEY (sync_id, provider, repo)`);
  }
  async down(q: QueryRunner): Promise<void> {
    await q.query(`DELETE FROM repo_sync.sync_repos WHERE provider <> 'github'`);
    await q.query(`ALTER TABLE repo_sync.sync_repos DROP CONSTRAINT sync_repos_pkey`);
    await q.query(`ALTER TABLE repo_sync.sync_repos ADD PRIMARY KEY (sync_id, repo)`);
    await q.query(`ALTER TABLE repo_sync.sync_repos DROP COLUMN provider`);
  }
}

/**
 * The catalogue's rows are written from repo-sync's events since this version (`projectCatalogue`):
 * commits, config scans and what orders build reports are in the log from now on. A catalogue
 * that already has rows was partly written before, from facts its log does not hold, so a rebuild
 * would lose them: `catalogue_log.complete` says whether the log holds the whole catalogue.
 */
export class RepoSyncCatalogueLog1768400000000 implements MigrationInterface {
  name = 'RepoSyncCatalogueLog1768400000000';
  async up(q: QueryRunner): Promise<void> {
    await createLogCompleteness(q, 'repo_sync', 'catalogue_log', ['repos', 'configs', 'repo_names']);
  }
  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE repo_sync.catalogue_log`);
  }
}

/** With the projection of team tokens (`sluice.auth.v1`) that the read API verifies team tokens against. */
export const repoSyncMigrations = [RepoSyncInit1732400100000, RepoSyncConfigTeam1764200000000, RepoSyncBuildIdentity1766100000000, RepoSyncRepositoryIdentity1767500000000, ...teamTokenMigrations, ...teamPolicyMigrations, RepoSyncPolls1768000000100, RepoSyncSyncProviders1768300000000, RepoSyncCatalogueLog1768400000000];
