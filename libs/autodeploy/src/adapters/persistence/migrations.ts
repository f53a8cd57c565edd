import { chatOpsMigrations } from '@sluice/chat-ops';
import { previewsMigrations } from '@sluice/previews';
import { teamPolicyMigrations } from '@sluice/team-policy';
import { createLogCompleteness } from '@sluice/event-store';
import type { MigrationInterface, QueryRunner } from 'typeorm';

/** autodeploy's own schema (docs/architecture.md §4). Tables are addressed unqualified: the data source's search path is the schema. */
export const AUTODEPLOY_SCHEMA = 'autodeploy';

/**
 * Write side: what autodeploy knows of `sluice.repo.v1` (known commits, branch heads,
 * which configs a repository event concerns) and the API tokens. Read side: the
 * projections `configs`, `deploys`, `config_history` and the replays that rebuild them.
 */
export class AutodeployInit1732400000000 implements MigrationInterface {
  name = 'AutodeployInit1732400000000';

  async up(q: QueryRunner): Promise<void> {
    const s = `"${AUTODEPLOY_SCHEMA}"`;
    await q.query(`
      CREATE TABLE ${s}.repos (
        repo           text PRIMARY KEY,
        default_branch text NOT NULL
      )`);
    await q.query(`
      CREATE TABLE ${s}.branches (
        repo       text NOT NULL,
        branch     text NOT NULL,
        head_sha   text NOT NULL,
        updated_at timestamptz NOT NULL,
        PRIMARY KEY (repo, branch)
      )`);
    // branch '' = seen without a branch (e.g. a config commit or a build on a tag).
    await q.query(`
      CREATE TABLE ${s}.known_commits (
        repo       text NOT NULL,
        sha        text NOT NULL,
        branch     text NOT NULL DEFAULT '',
        seen       bigserial,
        PRIMARY KEY (repo, sha, branch)
      )`);
    await q.query(`
      CREATE TABLE ${s}.config_routes (
        name           text PRIMARY KEY,
        config_repo    text NOT NULL,
        artifact_repo  text,
        artifact_build text,
        track_branch   text NOT NULL,
        autodeploy     boolean NOT NULL,
        removed        boolean NOT NULL DEFAULT false
      )`);
    await q.query(`CREATE INDEX config_routes_config_repo ON ${s}.config_routes (config_repo, track_branch) WHERE NOT removed`);
    await q.query(`CREATE INDEX config_routes_artifact_repo ON ${s}.config_routes (artifact_repo, track_branch) WHERE NOT removed`);
    await q.query(`
      CREATE TABLE ${s}.api_tokens (
        id         text PRIMARY KEY,
        team       text NOT NULL,
        token_hash bytea NOT NULL,
        created_by text NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now()
      )`);

    await q.query(`
      CREATE TABLE ${s}.configs (
        name                text PRIMARY KEY,
        team                text NOT NULL,
        namespace           text NOT NULL,
        config_repo         text NOT NULL,
        path                text NOT NULL,
        artifact_repo       text,
        artifact_image      text,
        artifact_build      text,
        track_branch        text NOT NULL,
        autodeploy          boolean NOT NULL,
        root_sha            text NOT NULL,
        status              text NOT NULL,
        artifact_sha        text,
        config_sha          text,
        current_deploy_id   uuid,
        last_deploy_id      uuid,
        phase               text,
        in_flight_deploy_id uuid,
        queued_deploy_id    uuid,
        pinned              boolean NOT NULL DEFAULT false,
        pinned_by           text,
        pin_reason          text,
        pinned_at           timestamptz,
        registered_at       timestamptz NOT NULL,
        updated_at          timestamptz NOT NULL,
        stream_version      integer NOT NULL
      )`);
    await q.query(`CREATE INDEX configs_team ON ${s}.configs (team, name)`);
    await q.query(`
      CREATE TABLE ${s}.deploys (
        id              uuid PRIMARY KEY,
        config          text NOT NULL,
        team            text NOT NULL,
        seq             bigint NOT NULL,
        kind            text NOT NULL,
        artifact_sha    text,
        config_sha      text,
        image_tag       text,
        cause           text NOT NULL,
        requested_by    text NOT NULL,
        reason          text NOT NULL,
        reapplied_from  uuid,
        phase           text NOT NULL,
        superseded_by   uuid,
        dry_run         boolean,
        inventory       jsonb,
        failure_reason  text,
        failure_message text,
        failure_terminal boolean,
        queued_at       timestamptz,
        requested_at    timestamptz,
        started_at      timestamptz,
        applied_at      timestamptz,
        succeeded_at    timestamptz,
        failed_at       timestamptz,
        superseded_at   timestamptz,
        undeployed_at   timestamptz,
        updated_at      timestamptz NOT NULL
      )`);
    await q.query(`CREATE INDEX deploys_config_seq ON ${s}.deploys (config, seq DESC)`);
    await q.query(`
      CREATE TABLE ${s}.config_history (
        config         text NOT NULL,
        stream_version integer NOT NULL,
        event_id       uuid NOT NULL,
        type           text NOT NULL,
        deploy_id      uuid,
        actor          text,
        reason         text,
        message        text,
        occurred_at    timestamptz NOT NULL,
        PRIMARY KEY (config, stream_version)
      )`);
    await q.query(`
      CREATE TABLE ${s}.replays (
        id            uuid PRIMARY KEY,
        requested_by  text NOT NULL,
        requested_at  timestamptz NOT NULL DEFAULT now(),
        target_tx     xid8,
        target_pos    bigint,
        total         bigint NOT NULL
      )`);
  }

  async down(q: QueryRunner): Promise<void> {
    const s = `"${AUTODEPLOY_SCHEMA}"`;
    for (const table of ['replays', 'config_history', 'deploys', 'configs', 'api_tokens', 'config_routes', 'known_commits', 'branches', 'repos']) {
      await q.query(`DROP TABLE ${s}.${table}`);
    }
  }
}

/**
 * Team tokens issued before tokens were announced on `sluice.auth.v1`: one
 * `auth.token.issued` each (the stored SHA-256, never a token), so that the other
 * services learn them from the relay like any later one.
 */
export class AnnounceTeamTokens1764000000000 implements MigrationInterface {
  name = 'AnnounceTeamTokens1764000000000';

  async up(q: QueryRunner): Promise<void> {
    const s = `"${AUTODEPLOY_SCHEMA}"`;
    await q.query(`
      INSERT INTO ${s}.events (id, stream, stream_version, type, version, data, correlation_id, causation_id, occurred_at)
      SELECT gen_random_uuid(), 'auth-token-' || t.id, 1, 'auth.token.issued', 1,
             jsonb_build_object('id', t.id, 'team', t.team, 'tokenHash', encode(t.token_hash, 'hex'), 'createdBy', t.created_by),
             'migration-announce-team-tokens', NULL, t.created_at
        FROM ${s}.api_tokens t
       WHERE NOT EXISTS (SELECT 1 FROM ${s}.events e WHERE e.stream = 'auth-token-' || t.id)`);
  }

  async down(): Promise<void> {
    // The log is append-only: announced tokens stay announced.
  }
}

/**
 * The successful builds rule 2 would deploy (not stale), so that a config discovered, changed
 * or unpinned later is moved to the newest of its tracked branch without waiting for the next build.
 */
export class AutodeployGreenBuilds1766100000000 implements MigrationInterface {
  name = 'AutodeployGreenBuilds1766100000000';

  async up(q: QueryRunner): Promise<void> {
    const s = `"${AUTODEPLOY_SCHEMA}"`;
    await q.query(`
      CREATE TABLE ${s}.green_builds (
        seq        bigserial PRIMARY KEY,
        repo       text NOT NULL,
        branch     text NOT NULL,
        build_name text NOT NULL,
        sha        text NOT NULL
      )`);
    await q.query(`CREATE INDEX green_builds_branch ON ${s}.green_builds (repo, branch, seq DESC)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE "${AUTODEPLOY_SCHEMA}".green_builds`);
  }
}

/** When each branch head was committed, as the push said: the start of its lead time (libs/dora). */
export class AutodeployCommitTimes1766200000000 implements MigrationInterface {
  name = 'AutodeployCommitTimes1766200000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE "${AUTODEPLOY_SCHEMA}".commit_times (
        repo         text NOT NULL,
        sha          text NOT NULL,
        committed_at timestamptz NOT NULL,
        PRIMARY KEY (sha, repo)
      )`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE "${AUTODEPLOY_SCHEMA}".commit_times`);
  }
}

/** Which configs build their own image, and the tags they track (docs/architecture.md §1 "Builds"). */
export class AutodeployBuildRoutes1766300000000 implements MigrationInterface {
  name = 'AutodeployBuildRoutes1766300000000';

  async up(q: QueryRunner): Promise<void> {
    const s = `"${AUTODEPLOY_SCHEMA}"`;
    await q.query(`ALTER TABLE ${s}.config_routes ADD COLUMN builds boolean NOT NULL DEFAULT false, ADD COLUMN track_tags text`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE "${AUTODEPLOY_SCHEMA}".config_routes DROP COLUMN builds, DROP COLUMN track_tags`);
  }
}

/** The builds read model (`GET /api/configs/{name}/builds`), projected from the config streams. */
export class AutodeployBuildsReadModel1766300000002 implements MigrationInterface {
  name = 'AutodeployBuildsReadModel1766300000002';

  async up(q: QueryRunner): Promise<void> {
    const s = `"${AUTODEPLOY_SCHEMA}"`;
    await q.query(`
      CREATE TABLE ${s}.builds (
        id            uuid PRIMARY KEY,
        config        text NOT NULL,
        seq           bigint NOT NULL,
        target        text NOT NULL,
        ref           text NOT NULL,
        commit_sha    text NOT NULL,
        image_tag     text NOT NULL,
        phase         text NOT NULL,
        message       text,
        build_run     text,
        requested_by  text NOT NULL,
        reason        text NOT NULL,
        requested_at  timestamptz NOT NULL,
        scheduled_at  timestamptz,
        started_at    timestamptz,
        finished_at   timestamptz
      )`);
    await q.query(`CREATE INDEX builds_config ON ${s}.builds (config, seq DESC)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE "${AUTODEPLOY_SCHEMA}".builds`);
  }
}

/** The drift of a config's GitOps target (docs/architecture.md §1 "GitOps target") on the configs read model. */
export class AutodeployGitOpsDrift1767700000000 implements MigrationInterface {
  name = 'AutodeployGitOpsDrift1767700000000';
  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE "${AUTODEPLOY_SCHEMA}".configs ADD COLUMN drift jsonb`);
  }
  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE "${AUTODEPLOY_SCHEMA}".configs DROP COLUMN drift`);
  }
}

/** The steps of each deploy (docs/architecture.md §1 "Steps"); a replay fills them for deploys older than this. */
export class AutodeployDeploySteps1767800000000 implements MigrationInterface {
  name = 'AutodeployDeploySteps1767800000000';
  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE "${AUTODEPLOY_SCHEMA}".deploys ADD COLUMN steps jsonb NOT NULL DEFAULT '[]'`);
  }
  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE "${AUTODEPLOY_SCHEMA}".deploys DROP COLUMN steps`);
  }
}

/** Replays are blue/green rebuilds now, recorded in the event store's `view_rebuilds` (docs/architecture.md §4 "Rebuilding views"). */
export class AutodeployDropReplays1768100000001 implements MigrationInterface {
  name = 'AutodeployDropReplays1768100000001';
  async up(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE "${AUTODEPLOY_SCHEMA}".replays`);
  }
  async down(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE "${AUTODEPLOY_SCHEMA}".replays (
        id            uuid PRIMARY KEY,
        requested_by  text NOT NULL,
        requested_at  timestamptz NOT NULL DEFAULT now(),
        target_tx     xid8,
        target_pos    bigint,
        total         bigint NOT NULL
      )`);
  }
}

/**
 * When each deploy's commit was made (`commitAt` of its request, #21), so lead time is a projection
 * of autodeploy's log; deploys requested before this have none, and libs/dora falls back to
 * `commit_times` for them.
 */
export class AutodeployDeployCommitAt1768500000000 implements MigrationInterface {
  name = 'AutodeployDeployCommitAt1768500000000';
  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE "${AUTODEPLOY_SCHEMA}".deploys ADD COLUMN commit_at timestamptz`);
  }
  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE "${AUTODEPLOY_SCHEMA}".deploys DROP COLUMN commit_at`);
  }
}

/** What autodeploy knows of the repositories (`RepoKnowledge`): rebuilt by `RepoKnowledgeReplay`. */
export const REPO_KNOWLEDGE_TABLES = ['repos', 'branches', 'known_commits', 'commit_times', 'green_builds', 'config_routes'] as const;

/**
 * Since this version autodeploy keeps the `sluice.repo.v1` events it applies in its log; tables
 * with rows before it were written from events the log lacks (`repo_knowledge_log.complete`).
 */
export class AutodeployRepoKnowledgeLog1768800000000 implements MigrationInterface {
  name = 'AutodeployRepoKnowledgeLog1768800000000';
  async up(q: QueryRunner): Promise<void> {
    await createLogCompleteness(q, `"${AUTODEPLOY_SCHEMA}"`, 'repo_knowledge_log', REPO_KNOWLEDGE_TABLES);
  }
  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE "${AUTODEPLOY_SCHEMA}".repo_knowledge_log`);
  }
}

export const autodeployMigrations = [
  AutodeployInit1732400000000,
  AnnounceTeamTokens1764000000000,
  ...teamPolicyMigrations,
  AutodeployGreenBuilds1766100000000,
  AutodeployCommitTimes1766200000000,
  AutodeployBuildRoutes1766300000000,
  AutodeployBuildsReadModel1766300000002,
  ...chatOpsMigrations,
  AutodeployGitOpsDrift1767700000000,
  AutodeployDeploySteps1767800000000,
  ...previewsMigrations,
  AutodeployDropReplays1768100000001,
  AutodeployDeployCommitAt1768500000000,
  AutodeployRepoKnowledgeLog1768800000000,
];
