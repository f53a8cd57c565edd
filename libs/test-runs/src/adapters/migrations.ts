import type { MigrationInterface, QueryRunner } from 'typeorm';

/** The test-server pool's runs and slot leases, in the schema of the service that hosts it (kube-applier). */
export function testRunMigrations(schema: string): Array<new () => MigrationInterface> {
  class TestRuns1767900000000 implements MigrationInterface {
    name = 'TestRuns1767900000000';
    async up(q: QueryRunner): Promise<void> {
      await q.query(`
        CREATE TABLE "${schema}".test_runs (
          id              uuid PRIMARY KEY,
          seq             bigserial NOT NULL,
          deploy_id       uuid NOT NULL UNIQUE,
          config          text NOT NULL,
          team            text NOT NULL,
          namespace       text NOT NULL,
          deployed_image  text,
          tests           jsonb NOT NULL,
          state           text NOT NULL CHECK (state IN ('queued', 'running', 'passed', 'failed', 'timed-out')),
          lease_owner     text,
          lease_until     timestamptz,
          queued_at       timestamptz NOT NULL DEFAULT now(),
          started_at      timestamptz,
          ended_at        timestamptz,
          message         text
        )`);
      await q.query(`CREATE INDEX test_runs_open ON "${schema}".test_runs (state, seq) WHERE state IN ('queued', 'running')`);
    }
    async down(q: QueryRunner): Promise<void> {
      await q.query(`DROP TABLE "${schema}".test_runs`);
    }
  }
  return [TestRuns1767900000000];
}
