import { parseEvent, teamPolicySpec, type SluiceEventOf } from '@sluice/contracts';
import { createLogCompleteness, holdViewWriters, managerOf, migrationSchema, receiveEvent, schemaIdentifier, type EventStore, type SchemaProjection, type Transaction } from '@sluice/event-store';
import type { DataSource, EntityManager, MigrationInterface, QueryRunner } from 'typeorm';
import type { TeamPolicyReader, TeamPolicyWriter } from '../application/ports';
import { TEAM_POLICY_EVENT_TYPES, teamPolicyRemovedEvent, teamPolicySetEvent, teamPolicyStream, type TeamPolicySource } from '../domain/events';
import { defaultPolicy, type TeamPolicy, type TeamPolicySpec } from '../domain/policy';

export type TeamPolicyEvent = SluiceEventOf<'team.policy.set'> | SluiceEventOf<'team.policy.removed'>;


/**
 * `<schema>.team_policies`: the policies of `sluice.auth.v1` in a service's own schema, one row
 * per team and source (`api`, `cluster`). A removal keeps its row with no policy and the stream
 * version, so an older `set` redelivered after it cannot bring the policy back.
 */
export class TeamPolicies1765000000000 implements MigrationInterface {
  name = 'TeamPolicies1765000000000';
  async up(q: QueryRunner): Promise<void> {
    const s = migrationSchema(q);
    await q.query(`
      CREATE TABLE ${s}.team_policies (
        team        text NOT NULL,
        source      text NOT NULL CHECK (source IN ('api', 'cluster')),
        policy      jsonb,
        version     integer NOT NULL,
        updated_by  text NOT NULL,
        updated_at  timestamptz NOT NULL,
        PRIMARY KEY (team, source)
      )`);
  }
  async down(q: QueryRunner): Promise<void> {
    const s = migrationSchema(q);
    await q.query(`DROP TABLE ${s}.team_policies`);
  }
}

/**
 * Since this version a service keeps every policy event it applies in its own log (its own, and
 * those it receives: `receiveTeamPolicyEvent`), so `team_policies` is rebuilt from it. A row whose
 * event (its stream at its version) the log lacks was projected before: `team_policies_log.complete`
 * says whether there is none.
 */
export class TeamPoliciesLog1768700000000 implements MigrationInterface {
  name = 'TeamPoliciesLog1768700000000';
  async up(q: QueryRunner): Promise<void> {
    const s = migrationSchema(q);
    const stream = `(CASE p.source WHEN 'api' THEN 'team-policy-' ELSE 'cluster-team-policy-' END) || p.team`;
    await createLogCompleteness(q, s, 'team_policies_log', {
      completeWhen: `NOT EXISTS (SELECT 1 FROM ${s}.team_policies p WHERE NOT EXISTS (SELECT 1 FROM ${s}.events e WHERE e.stream = ${stream} AND e.stream_version = p.version))`,
    });
  }
  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE ${migrationSchema(q)}.team_policies_log`);
  }
}

/** Add to a service's migrations (after the event store's) to give it a team-policy projection. */
export const teamPolicyMigrations = [TeamPolicies1765000000000, TeamPoliciesLog1768700000000];

/** The views `team_policies` of a service: a rebuild's record of where its swap stood, and the lock its writers hold. */
export const TEAM_POLICIES_VIEWS = 'team-policies';
export const teamPoliciesWritersLock = (schema: string): string => `sluice-${schema}-team-policies-writers`;

/**
 * A policy event from `sluice.auth.v1`, inside the consumer's inbox transaction: kept in the
 * service's own log (stream `received-<its stream>` at its version; nothing when the service
 * appended it itself) and applied to `team_policies`, so the log rebuilds the table.
 */
export async function receiveTeamPolicyEvent(manager: EntityManager, store: EventStore, event: TeamPolicyEvent): Promise<void> {
  await receiveEvent(manager, store, event, teamPoliciesWritersLock(store.schema));
  await applyTeamPolicyEvent(manager, store.schema, event);
}

/** `team_policies` from the policy events of a service's log, into the schema given (a rebuild's copy). */
export const projectTeamPolicyLog: SchemaProjection = async (events, manager, schema) => {
  for (const e of events) {
    if ((TEAM_POLICY_EVENT_TYPES as readonly string[]).includes(e.type)) await applyTeamPolicyEvent(manager, schema, parseEvent(e) as TeamPolicyEvent);
  }
};

/** Applies one policy event (inside the consumer's inbox transaction); an older version than the row's changes nothing. */
export async function applyTeamPolicyEvent(manager: EntityManager, schema: string, event: TeamPolicyEvent): Promise<void> {
  const set = event.type === 'team.policy.set';
  await upsert(manager, schema, {
    team: event.data.team,
    source: event.data.source,
    policy: set ? event.data.policy : null,
    version: event.streamVersion,
    by: set ? event.data.setBy : event.data.removedBy,
    at: event.occurredAt,
  });
}

interface PolicyRow {
  team: string;
  source: TeamPolicySource;
  policy: TeamPolicySpec | null;
  version: number;
  by: string;
  at: string;
}

async function upsert(manager: EntityManager, schema: string, row: PolicyRow): Promise<void> {
  const table = `${schemaIdentifier(schema)}.team_policies`;
  await manager.query(
    `INSERT INTO ${table} (team, source, policy, version, updated_by, updated_at) VALUES ($1, $2, $3, $4, $5, $6)
     ON CONFLICT (team, source) DO UPDATE SET policy = EXCLUDED.policy, version = EXCLUDED.version, updated_by = EXCLUDED.updated_by, updated_at = EXCLUDED.updated_at
     WHERE ${table}.version < EXCLUDED.version`,
    [row.team, row.source, row.policy === null ? null : JSON.stringify(row.policy), row.version, row.by, row.at],
  );
}

/** The policy in force per team: the cluster's (a TeamPolicy) over the API's. */
const IN_FORCE = `SELECT DISTINCT ON (team) team, source, policy FROM %t WHERE policy IS NOT NULL %w ORDER BY team, (source = 'cluster') DESC`;

/** Reads the projection; a team without a policy from either source has its default. */
export class PgTeamPolicies implements TeamPolicyReader {
  protected readonly table: string;

  constructor(
    protected readonly dataSource: DataSource,
    protected readonly schema: string,
  ) {
    this.table = `${schemaIdentifier(schema)}.team_policies`;
  }

  async policyOf(team: string, via?: Transaction): Promise<TeamPolicy> {
    const [row] = (await (via ? managerOf(via) : this.dataSource).query(IN_FORCE.replace('%t', this.table).replace('%w', 'AND team = $1'), [team])) as Array<{ team: string; source: TeamPolicySource; policy: unknown }>;
    return row ? inForce(row) : defaultPolicy(team);
  }

  async list(): Promise<TeamPolicy[]> {
    const rows: Array<{ team: string; source: TeamPolicySource; policy: unknown }> = await this.dataSource.query(IN_FORCE.replace('%t', this.table).replace('%w', ''));
    return rows.map(inForce);
  }

  /** The policy one source holds for a team (the cluster mirror compares against it). */
  async heldBy(team: string, source: TeamPolicySource): Promise<TeamPolicySpec | null> {
    const [row]: Array<{ policy: unknown }> = await this.dataSource.query(`SELECT policy FROM ${this.table} WHERE team = $1 AND source = $2`, [team, source]);
    return row?.policy ? teamPolicySpec.parse(row.policy) : null;
  }

  /** Teams whose policy `source` holds. */
  async teamsOf(source: TeamPolicySource): Promise<string[]> {
    const rows: Array<{ team: string }> = await this.dataSource.query(`SELECT team FROM ${this.table} WHERE source = $1 AND policy IS NOT NULL ORDER BY team`, [source]);
    return rows.map((r) => r.team);
  }
}

/**
 * Records a policy change: appends its event (the relay publishes it on `sluice.auth.v1`) and
 * updates the service's own table in one transaction, so the service answers from what it
 * recorded and every other service learns the same. autodeploy records the admin API's
 * policies; kube-applier mirrors TeamPolicy objects.
 */
export class PgTeamPolicyWriter extends PgTeamPolicies implements TeamPolicyWriter {
  constructor(
    dataSource: DataSource,
    private readonly store: EventStore,
    private readonly source: TeamPolicySource = 'api',
  ) {
    super(dataSource, store.schema);
  }

  async set(team: string, policy: TeamPolicySpec, by: string): Promise<TeamPolicy> {
    await this.record(team, teamPolicySetEvent(team, this.source, policy, by), policy, by);
    return this.policyOf(team);
  }

  async remove(team: string, by: string): Promise<boolean> {
    if ((await this.heldBy(team, this.source)) === null) return false;
    await this.record(team, teamPolicyRemovedEvent(team, this.source, by), null, by);
    return true;
  }

  private async record(team: string, event: ReturnType<typeof teamPolicySetEvent> | ReturnType<typeof teamPolicyRemovedEvent>, policy: TeamPolicySpec | null, by: string): Promise<void> {
    await this.dataSource.transaction(async (manager) => {
      await holdViewWriters(manager, teamPoliciesWritersLock(this.schema));
      const [appended] = await this.store.append(teamPolicyStream(team, this.source), 'any', [event], { manager });
      await upsert(manager, this.schema, { team, source: this.source, policy, version: appended!.streamVersion, by, at: appended!.occurredAt });
    });
  }
}

function inForce(row: { team: string; source: TeamPolicySource; policy: unknown }): TeamPolicy {
  return { team: row.team, source: row.source, ...teamPolicySpec.parse(row.policy) };
}
