import { KubeApplierDeployKubeEvents1768000000002 } from './deploy-kube-events';
import { KubeApplierPreviews1768000000001 } from './preview-applier';
import { testRunMigrations } from '@sluice/test-runs';
import { buildReportMigrations } from '@sluice/builds';
import { teamPolicyMigrations } from '@sluice/team-policy';
import { teamTokenMigrations } from '@sluice/auth';
import type { MigrationInterface, QueryRunner } from 'typeorm';

export const KUBE_APPLIER_SCHEMA = 'kube_applier';

/**
 * kube-applier's read models (docs/architecture.md §4), beside the event store's tables:
 * - `deploys`: every request it handled, with what it rendered (the dry-run target's record,
 *   and the manifests API in both modes) and the correlation to report outcomes under;
 * - `outcomes`: one row per (deploy, slot) it reported. The primary key makes reporting
 *   idempotent across reconcile passes and restarts, and allows one result per deploy.
 */
export class KubeApplierInit1732400000000 implements MigrationInterface {
  name = 'KubeApplierInit1732400000000';
  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE kube_applier.deploys (
        deploy_id      uuid PRIMARY KEY,
        config         text NOT NULL,
        namespace      text NOT NULL,
        kind           text NOT NULL CHECK (kind IN ('deploy', 'undeploy')),
        artifact_sha   text,
        config_sha     text,
        image_tag      text,
        dry_run        boolean NOT NULL,
        manifests      jsonb,
        render_error   jsonb,
        correlation_id text NOT NULL,
        causation_id   text,
        requested_at   timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`CREATE INDEX deploys_config ON kube_applier.deploys (config, requested_at DESC)`);
    await q.query(`
      CREATE TABLE kube_applier.outcomes (
        deploy_id  uuid NOT NULL,
        slot       text NOT NULL CHECK (slot IN ('started', 'applied', 'result')),
        type       text NOT NULL,
        event_id   uuid NOT NULL,
        emitted_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (deploy_id, slot)
      )`);
  }
  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE kube_applier.outcomes`);
    await q.query(`DROP TABLE kube_applier.deploys`);
  }
}

/**
 * The owning team of each deploy (from the request), so the manifests API can show a team
 * only its own configs. Rows recorded before have none: only the admin sees those.
 */
export class KubeApplierDeployTeam1764000000001 implements MigrationInterface {
  name = 'KubeApplierDeployTeam1764000000001';
  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE kube_applier.deploys ADD COLUMN team text`);
  }
  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE kube_applier.deploys DROP COLUMN team`);
  }
}

/** With the projection of team tokens (`sluice.auth.v1`) that the manifests API verifies team tokens against. */
/**
 * The tag last written into each config's GitOps target (docs/architecture.md §1 "GitOps target"):
 * what pushes are compared with; `pushed_sha` once the push of Sluice's commit arrived.
 */
export class KubeApplierGitOpsTargets1767700000001 implements MigrationInterface {
  name = 'KubeApplierGitOpsTargets1767700000001';
  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE kube_applier.gitops_targets (
        config      text PRIMARY KEY,
        repo        text NOT NULL,
        branch      text NOT NULL,
        path        text NOT NULL,
        key         text NOT NULL,
        tag         text NOT NULL,
        deploy_id   uuid NOT NULL,
        pushed_sha  text,
        updated_at  timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`CREATE INDEX gitops_targets_branch ON kube_applier.gitops_targets (repo, branch)`);
  }
  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE kube_applier.gitops_targets`);
  }
}

/** Step reports (docs/architecture.md §1 "Steps") take one outcome slot per step and state: `step-<name>-<state>`. */
export class KubeApplierStepSlots1767800000001 implements MigrationInterface {
  name = 'KubeApplierStepSlots1767800000001';
  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE kube_applier.outcomes DROP CONSTRAINT outcomes_slot_check`);
    await q.query(`ALTER TABLE kube_applier.outcomes ADD CONSTRAINT outcomes_slot_check CHECK (slot IN ('started', 'applied', 'result') OR slot LIKE 'step-%')`);
  }
  async down(q: QueryRunner): Promise<void> {
    await q.query(`DELETE FROM kube_applier.outcomes WHERE slot LIKE 'step-%'`);
    await q.query(`ALTER TABLE kube_applier.outcomes DROP CONSTRAINT outcomes_slot_check`);
    await q.query(`ALTER TABLE kube_applier.outcomes ADD CONSTRAINT outcomes_slot_check CHECK (slot IN ('started', 'applied', 'result'))`);
  }
}

/** A deploy's tests and the image it rolls out (docs/architecture.md §1 "Steps", step `test`). */
export class KubeApplierDeployTests1767900000001 implements MigrationInterface {
  name = 'KubeApplierDeployTests1767900000001';
  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE kube_applier.deploys ADD COLUMN tests jsonb, ADD COLUMN deployed_image text`);
  }
  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE kube_applier.deploys DROP COLUMN tests, DROP COLUMN deployed_image`);
  }
}

/**
 * `outcomes` is a projection of kube-applier's log (docs/architecture.md §4 "Rebuilding views"):
 * every column comes from its event — `emitted_at` is the event's `occurredAt`, never `now()`.
 */
export class KubeApplierOutcomesFromLog1768200000001 implements MigrationInterface {
  name = 'KubeApplierOutcomesFromLog1768200000001';
  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE kube_applier.outcomes ALTER COLUMN emitted_at DROP DEFAULT`);
  }
  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE kube_applier.outcomes ALTER COLUMN emitted_at SET DEFAULT now()`);
  }
}

/**
 * Deploys waiting for their build (docs/architecture.md §1 "Steps", step `build`): the request,
 * kept until its BuildRun ends and the deploy goes on (or fails); `resumed_at` once it did.
 */
export class KubeApplierHeldDeploys1768300000001 implements MigrationInterface {
  name = 'KubeApplierHeldDeploys1768300000001';
  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE kube_applier.held_deploys (
        deploy_id  uuid PRIMARY KEY,
        config     text NOT NULL,
        build_run  text NOT NULL,
        request    jsonb NOT NULL,
        held_at    timestamptz NOT NULL,
        resumed_at timestamptz
      )`);
  }
  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE kube_applier.held_deploys`);
  }
}

export const kubeApplierMigrations = [
  KubeApplierInit1732400000000,
  KubeApplierDeployTeam1764000000001,
  ...teamTokenMigrations,
  ...teamPolicyMigrations,
  ...buildReportMigrations,
  KubeApplierGitOpsTargets1767700000001,
  KubeApplierStepSlots1767800000001,
  KubeApplierDeployTests1767900000001,
  ...testRunMigrations('kube_applier'),
  KubeApplierPreviews1768000000001,
  KubeApplierDeployKubeEvents1768000000002,
  KubeApplierOutcomesFromLog1768200000001,
  KubeApplierHeldDeploys1768300000001,
];
