import { teamPolicySpec, type SluiceEventOf } from '@sluice/contracts';
import type { EventStore } from '@sluice/event-store';
import type { DataSource, EntityManager, MigrationInterface, QueryRunner } from 'typeorm';
import type { TeamPolicyReader, TeamPolicyWriter } from '../application/ports';
import { teamPolicyRemovedEvent, teamPolicySetEvent, teamPolicyStream } from '../domain/events';
import { defaultPolicy, type TeamPolicy, type TeamPolicySpec } from '../domain/policy';

export type TeamPolicyEvent = SluiceEventOf<'team.policy.set'> | SluiceEventOf<'team.policy.removed'>;

function quoted(schema: string): string {
  if (!/^[a-z_][a-z0-9_]{0,62}$/.test(schema)) throw new Error(`invalid schema name "${schema}"`);
  return `"${schema}"`;
}

/**
 * `<schema>.team_policies`: the policies of `sluice.auth.v1` in a service's own schema (and
 * autodeploy's own record of what it appended). A removal keeps a row with no policy and the
 * stream version, so an older `set` redelivered after it cannot bring the policy back.
 */
export class TeamPolicies1765000000000 implements MigrationInterface {
  name = 'TeamPolicies1765000000000';
  async up(q: QueryRunner): Promise<void> {
    const s = quoted((q.connection.options as { schema?: string }).schema ?? 'public');
    await q.query(`
      CREATE TABLE ${s}.team_policies (
        team        text PRIMARY KEY,
        policy      jsonb,
        version     integer NOT NULL,
        updated_by  text NOT NULL,
        updated_at  timestamptz NOT NULL
      )`);
  }
  async down(q: QueryRunner): Promise<void> {
    const s = quoted((q.connection.options as { schema?: string }).schema ?? 'public');
    await q.query(`DROP TABLE ${s}.team_policies`);
  }
}

/** Add to a service's migrations (after the event store's) to give it a team-policy projection. */
export const teamPolicyMigrations = [TeamPolicies1765000000000];

/** Applies one policy event (inside the consumer's inbox transaction); an older version than the row's changes nothing. */
export async function applyTeamPolicyEvent(manager: EntityManager, schema: string, event: TeamPolicyEvent): Promise<void> {
  const set = event.type === 'team.policy.set';
  await upsert(manager, schema, {
    team: event.data.team,
    policy: set ? event.data.policy : null,
    version: event.streamVersion,
    by: set ? event.data.setBy : event.data.removedBy,
    at: event.occurredAt,
  });
}

async function upsert(
  manager: EntityManager,
  schema: string,
  row: { team: string; policy: TeamPolicySpec | null; version: number; by: string; at: string },
): Promise<void> {
  const table = `${quoted(schema)}.team_policies`;
  await manager.query(
    `INSERT INTO ${table} (team, policy, version, updated_by, updated_at) VALUES ($1, $2, $3, $4, $5)
     ON CONFLICT (team) DO UPDATE SET policy = EXCLUDED.policy, version = EXCLUDED.version, updated_by = EXCLUDED.updated_by, updated_at = EXCLUDED.updated_at
     WHERE ${table}.version < EXCLUDED.version`,
    [row.team, row.policy === null ? null : JSON.stringify(row.policy), row.version, row.by, row.at],
  );
}

/** Reads the projection; a team without a row (or with a removed policy) has its default. */
export class PgTeamPolicies implements TeamPolicyReader {
  protected readonly table: string;

  constructor(
    protected readonly dataSource: DataSource,
    protected readonly schema: string,
  ) {
    this.table = `${quoted(schema)}.team_policies`;
  }

  async policyOf(team: string): Promise<TeamPolicy> {
    const [row]: Array<{ policy: unknown }> = await this.dataSource.query(`SELECT policy FROM ${this.table} WHERE team = $1 AND policy IS NOT NULL`, [team]);
    return row ? configured(team, row.policy) : defaultPolicy(team);
  }

  async list(): Promise<TeamPolicy[]> {
    const rows: Array<{ team: string; policy: unknown }> = await this.dataSource.query(`SELECT team, policy FROM ${this.table} WHERE policy IS NOT NULL ORDER BY team`);
    return rows.map((r) => configured(r.team, r.policy));
  }
}

/**
 * autodeploy's side: setting or removing a policy appends its event (the relay publishes it
 * on `sluice.auth.v1`) and updates the table in one transaction, so the API answers from
 * what was recorded and the other services learn the same.
 */
export class PgTeamPolicyWriter extends PgTeamPolicies implements TeamPolicyWriter {
  constructor(
    dataSource: DataSource,
    private readonly store: EventStore,
  ) {
    super(dataSource, store.schema);
  }

  async set(team: string, policy: TeamPolicySpec, by: string): Promise<TeamPolicy> {
    const event = teamPolicySetEvent(team, policy, by);
    await this.record(team, event, policy, by);
    return configured(team, policy);
  }

  async remove(team: string, by: string): Promise<boolean> {
    const current = await this.list();
    if (!current.some((p) => p.team === team)) return false;
    await this.record(team, teamPolicyRemovedEvent(team, by), null, by);
    return true;
  }

  private async record(team: string, event: ReturnType<typeof teamPolicySetEvent> | ReturnType<typeof teamPolicyRemovedEvent>, policy: TeamPolicySpec | null, by: string): Promise<void> {
    await this.dataSource.transaction(async (manager) => {
      const [appended] = await this.store.append(teamPolicyStream(team), 'any', [event], { manager });
      await upsert(manager, this.schema, { team, policy, version: appended!.streamVersion, by, at: appended!.occurredAt });
    });
  }
}

function configured(team: string, stored: unknown): TeamPolicy {
  return { team, source: 'configured', ...teamPolicySpec.parse(stored) };
}
