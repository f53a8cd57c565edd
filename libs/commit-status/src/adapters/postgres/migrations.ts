import { migrationSchema } from '@sluice/event-store';
import { teamTokenMigrations } from '@sluice/auth';
import { sharedRateLimitTableSql } from '@sluice/scm';
import type { MigrationInterface, QueryRunner } from 'typeorm';
import { CommitStatusViewsLog1768600000000 } from './views';

export const COMMIT_STATUS_SCHEMA = 'commit_status';
/** The replicas' shared rate budget (PgSharedRateLimit), in the schema. */
export const SCM_RATE_LIMITS_TABLE = 'scm_rate_limits';

const schemaOf = (q: QueryRunner): string => migrationSchema(q, COMMIT_STATUS_SCHEMA);

/** commit-status's own tables in its schema (the event store's come first). */
export class CommitStatusInit1732400000000 implements MigrationInterface {
  name = 'CommitStatusInit1732400000000';
  async up(q: QueryRunner): Promise<void> {
    const s = schemaOf(q);
    await q.query(`
      CREATE TABLE ${s}.git_repos (
        namespace  text NOT NULL,
        name       text NOT NULL,
        provider   text NOT NULL CHECK (provider IN ('github', 'gitlab', 'bitbucket')),
        full_name  text NOT NULL,
        api_url    text,
        created_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (namespace, name)
      )`);
    await q.query(`
      CREATE TABLE ${s}.commit_statuses (
        namespace       text NOT NULL,
        name            text NOT NULL,
        generation      integer NOT NULL DEFAULT 1 CHECK (generation > 0),
        spec            jsonb NOT NULL,
        status          jsonb,
        owned_by_sluice boolean NOT NULL DEFAULT false,
        created_at      timestamptz NOT NULL DEFAULT now(),
        updated_at      timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (namespace, name)
      )`);
    await q.query(`CREATE INDEX commit_statuses_spec_sha ON ${s}.commit_statuses ((spec->>'sha'))`);
    await q.query(`CREATE INDEX commit_statuses_status_target ON ${s}.commit_statuses ((status->>'repo'), (status->>'sha'))`);
    // The deploy-event projection: each config's current deploy and the phase reported for it.
    await q.query(`
      CREATE TABLE ${s}.deploy_statuses (
        config     text PRIMARY KEY,
        state      jsonb NOT NULL,
        updated_at timestamptz NOT NULL DEFAULT now()
      )`);
  }
  async down(q: QueryRunner): Promise<void> {
    const s = schemaOf(q);
    await q.query(`DROP TABLE ${s}.deploy_statuses`);
    await q.query(`DROP TABLE ${s}.commit_statuses`);
    await q.query(`DROP TABLE ${s}.git_repos`);
  }
}

/** The optional GitHub Deployments mirror of Sluice's deploys: desired and written state per deploy. */
export class CommitStatusGitHubDeployments1732400000001 implements MigrationInterface {
  name = 'CommitStatusGitHubDeployments1732400000001';
  async up(q: QueryRunner): Promise<void> {
    const s = schemaOf(q);
    await q.query(`
      CREATE TABLE ${s}.github_deployments (
        deploy_id       uuid PRIMARY KEY,
        config          text NOT NULL,
        repo            text NOT NULL,
        sha             text NOT NULL,
        environment     text NOT NULL,
        desired_state   text NOT NULL,
        description     text NOT NULL,
        log_url         text,
        deployment_id   bigint,
        synced_state    text,
        attempts        integer NOT NULL DEFAULT 0,
        next_attempt_at timestamptz NOT NULL DEFAULT now(),
        last_error      text,
        created_at      timestamptz NOT NULL DEFAULT now(),
        updated_at      timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`CREATE INDEX github_deployments_pending ON ${s}.github_deployments (next_attempt_at) WHERE synced_state IS DISTINCT FROM desired_state`);
  }
  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE ${schemaOf(q)}.github_deployments`);
  }
}

/** With the projection of team tokens (`sluice.auth.v1`) that the read API verifies team tokens against. */
/**
 * Whether a config's own CommitStatus (Kubernetes store) is still to be written from its
 * deploy state: set in the deploy consumer's transaction, cleared once the API server holds it
 * (the write happens after the commit, never inside the transaction).
 */
export class CommitStatusOwnedPending1764100000000 implements MigrationInterface {
  name = 'CommitStatusOwnedPending1764100000000';
  async up(q: QueryRunner): Promise<void> {
    const s = schemaOf(q);
    await q.query(`ALTER TABLE ${s}.deploy_statuses ADD COLUMN owned_pending boolean NOT NULL DEFAULT false`);
    await q.query(`CREATE INDEX deploy_statuses_owned_pending ON ${s}.deploy_statuses (updated_at) WHERE owned_pending`);
  }
  async down(q: QueryRunner): Promise<void> {
    const s = schemaOf(q);
    await q.query(`DROP INDEX ${s}.deploy_statuses_owned_pending`);
    await q.query(`ALTER TABLE ${s}.deploy_statuses DROP COLUMN owned_pending`);
  }
}

/**
 * Which team each config belongs to and its repositories (config repository, `artifact.repo`),
 * projected from `sluice.repo.v1`: a team token reads the commit statuses of these
 * repositories only (SLUICE_CATALOGUE_VISIBILITY=team).
 */
export class CommitStatusConfigRepos1764200000000 implements MigrationInterface {
  name = 'CommitStatusConfigRepos1764200000000';
  async up(q: QueryRunner): Promise<void> {
    const s = schemaOf(q);
    await q.query(`
      CREATE TABLE ${s}.config_repos (
        config        text PRIMARY KEY,
        team          text NOT NULL,
        config_repo   text NOT NULL,
        artifact_repo text,
        updated_at    timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`CREATE INDEX config_repos_team ON ${s}.config_repos (team)`);
  }
  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE ${schemaOf(q)}.config_repos`);
  }
}

/**
 * Preview environments on the pull request (#20): the Deployments mirror's table also holds one
 * row per preview (`kind = 'preview'`, `deploy_id` = the preview id, its own `environment_url`),
 * and `preview_pull_requests` the state of each (config, pull request) with its comment — the
 * body wanted (`comment_version`), the body written (`comment_synced`), the comment's id.
 */
export class CommitStatusPreviews1764900000000 implements MigrationInterface {
  name = 'CommitStatusPreviews1764900000000';
  async up(q: QueryRunner): Promise<void> {
    const s = schemaOf(q);
    await q.query(`ALTER TABLE ${s}.github_deployments ADD COLUMN kind text NOT NULL DEFAULT 'deploy' CHECK (kind IN ('deploy', 'preview'))`);
    await q.query(`ALTER TABLE ${s}.github_deployments ADD COLUMN environment_url text`);
    await q.query(`CREATE INDEX github_deployments_environment ON ${s}.github_deployments (repo, environment) WHERE kind = 'preview'`);
    await q.query(`
      CREATE TABLE ${s}.preview_pull_requests (
        config          text NOT NULL,
        pr              integer NOT NULL,
        repo            text NOT NULL,
        state           jsonb NOT NULL,
        comment_body    text NOT NULL,
        comment_version integer NOT NULL DEFAULT 1,
        comment_synced  integer NOT NULL DEFAULT 0,
        comment_id      bigint,
        attempts        integer NOT NULL DEFAULT 0,
        next_attempt_at timestamptz NOT NULL DEFAULT now(),
        last_error      text,
        created_at      timestamptz NOT NULL DEFAULT now(),
        updated_at      timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (config, pr)
      )`);
    await q.query(`CREATE INDEX preview_pull_requests_pending ON ${s}.preview_pull_requests (next_attempt_at) WHERE comment_synced < comment_version`);
  }
  async down(q: QueryRunner): Promise<void> {
    const s = schemaOf(q);
    await q.query(`DROP TABLE ${s}.preview_pull_requests`);
    await q.query(`DROP INDEX ${s}.github_deployments_environment`);
    await q.query(`ALTER TABLE ${s}.github_deployments DROP COLUMN environment_url`);
    await q.query(`ALTER TABLE ${s}.github_deployments DROP COLUMN kind`);
  }
}

/**
 * The rate budget the replicas share (#23 "High availability"): per set of credentials, until
 * when the provider limits them (a `Retry-After`, an exhausted window) and when the next write
 * may go (PgSharedRateLimit).
 */
export class CommitStatusSharedRateLimits1765000000000 implements MigrationInterface {
  name = 'CommitStatusSharedRateLimits1765000000000';
  async up(q: QueryRunner): Promise<void> {
    await q.query(sharedRateLimitTableSql(`${schemaOf(q)}.${SCM_RATE_LIMITS_TABLE}`));
  }
  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE ${schemaOf(q)}.${SCM_RATE_LIMITS_TABLE}`);
  }
}

/**
 * GitLab and Bitbucket repositories (#22): the provider of each repository `sluice.repo.v1`
 * announced (`PgRepoProviders`), so Sluice's own status on an artifact commit goes to the
 * provider that repository lives on.
 */
export class CommitStatusRepoProviders1765100000000 implements MigrationInterface {
  name = 'CommitStatusRepoProviders1765100000000';
  async up(q: QueryRunner): Promise<void> {
    const s = schemaOf(q);
    await q.query(`
      CREATE TABLE ${s}.repo_providers (
        provider   text NOT NULL CHECK (provider IN ('github', 'gitlab', 'bitbucket')),
        full_name  text NOT NULL,
        updated_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (provider, full_name)
      )`);
    await q.query(`CREATE INDEX repo_providers_full_name ON ${s}.repo_providers (full_name)`);
  }
  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE ${schemaOf(q)}.repo_providers`);
  }
}

export const commitStatusMigrations = [
  CommitStatusInit1732400000000,
  CommitStatusGitHubDeployments1732400000001,
  CommitStatusOwnedPending1764100000000,
  CommitStatusConfigRepos1764200000000,
  CommitStatusPreviews1764900000000,
  CommitStatusSharedRateLimits1765000000000,
  CommitStatusRepoProviders1765100000000,
  ...teamTokenMigrations,
  CommitStatusViewsLog1768600000000,
];
