import type { MigrationInterface, QueryRunner } from 'typeorm';

export const COMMIT_STATUS_SCHEMA = 'commit_status';

function schemaOf(q: QueryRunner): string {
  const schema = (q.connection.options as { schema?: string }).schema ?? COMMIT_STATUS_SCHEMA;
  if (!/^[a-z_][a-z0-9_]{0,62}$/.test(schema)) throw new Error(`invalid schema name "${schema}"`);
  return `"${schema}"`;
}

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

export const commitStatusMigrations = [CommitStatusInit1732400000000];
