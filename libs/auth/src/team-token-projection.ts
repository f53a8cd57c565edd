import { parseEvent, type SluiceEventOf } from '@sluice/contracts';
import { createLogCompleteness, migrationSchema, receiveEvent, schemaIdentifier, type EventStore, type SchemaProjection } from '@sluice/event-store';
import type { DataSource, EntityManager, MigrationInterface, QueryRunner } from 'typeorm';
import type { Principal } from './principal';
import type { TokenAuthenticator } from './token-authenticator';
import { matchesHash, tokenId, tokensEqual } from './token-hash';

export type TokenEvent = SluiceEventOf<'auth.token.issued'> | SluiceEventOf<'auth.token.revoked'>;
export const TOKEN_EVENT_TYPES = ['auth.token.issued', 'auth.token.revoked'] as const;


/**
 * `<schema>.team_tokens`: a service's projection of `sluice.auth.v1`. A revoked token keeps
 * a tombstone row (no hash), so an `issued` seen after its `revoked` (a replayed log, a
 * redelivery the inbox did not catch) cannot bring it back. The schema is the data
 * source's own, so the same migration serves every service.
 */
export class TeamTokens1764000000000 implements MigrationInterface {
  name = 'TeamTokens1764000000000';
  async up(q: QueryRunner): Promise<void> {
    const s = migrationSchema(q);
    await q.query(`
      CREATE TABLE ${s}.team_tokens (
        id          text PRIMARY KEY,
        team        text,
        token_hash  bytea,
        created_by  text,
        issued_at   timestamptz,
        revoked_at  timestamptz
      )`);
  }
  async down(q: QueryRunner): Promise<void> {
    const s = migrationSchema(q);
    await q.query(`DROP TABLE ${s}.team_tokens`);
  }
}

/**
 * Since this version a service keeps the token events it receives in its own log
 * (`receiveTokenEvent`), so `team_tokens` is rebuilt from it. Rows projected before had no such
 * record: `team_tokens_log.complete` says whether the log holds every row's events.
 */
export class TeamTokensLog1768500000000 implements MigrationInterface {
  name = 'TeamTokensLog1768500000000';
  async up(q: QueryRunner): Promise<void> {
    await createLogCompleteness(q, migrationSchema(q), 'team_tokens_log', ['team_tokens']);
  }
  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE ${migrationSchema(q)}.team_tokens_log`);
  }
}

/** Add to a service's migrations (after the event store's) to give it a team-token projection. */
export const teamTokenMigrations = [TeamTokens1764000000000, TeamTokensLog1768500000000];

/** The views `team_tokens` of a service: a rebuild's record of where its swap stood, and the lock its writers hold. */
export const TEAM_TOKENS_VIEWS = 'team-tokens';
export const teamTokensWritersLock = (schema: string): string => `sluice-${schema}-team-tokens-writers`;

/**
 * A token event from `sluice.auth.v1`, inside the consumer's inbox transaction: kept in the
 * service's own log (stream `received-auth-token-<id>`, not published again) and applied to
 * `team_tokens`, so the log rebuilds the table (`projectTokenLog`).
 */
export async function receiveTokenEvent(manager: EntityManager, store: EventStore, event: TokenEvent): Promise<void> {
  await receiveEvent(manager, store, event, teamTokensWritersLock(store.schema));
  await applyTokenEvent(manager, store.schema, event);
}

/** `team_tokens` from the token events of a service's log, into the schema given (a rebuild's copy). */
export const projectTokenLog: SchemaProjection = async (events, manager, schema) => {
  for (const e of events) {
    if ((TOKEN_EVENT_TYPES as readonly string[]).includes(e.type)) await applyTokenEvent(manager, schema, { ...(parseEvent(e) as TokenEvent), occurredAt: e.occurredAt });
  }
};

/** Applies one token event inside the consumer's inbox transaction; repeating it changes nothing. */
export async function applyTokenEvent(manager: EntityManager, schema: string, event: TokenEvent): Promise<void> {
  const table = `${schemaIdentifier(schema)}.team_tokens`;
  if (event.type === 'auth.token.issued') {
    const d = event.data;
    await manager.query(
      `INSERT INTO ${table} (id, team, token_hash, created_by, issued_at) VALUES ($1, $2, $3, $4, $5) ON CONFLICT (id) DO NOTHING`,
      [d.id, d.team, Buffer.from(d.tokenHash, 'hex'), d.createdBy, event.occurredAt],
    );
    return;
  }
  await manager.query(
    `INSERT INTO ${table} (id, revoked_at) VALUES ($1, $2)
     ON CONFLICT (id) DO UPDATE SET token_hash = NULL, revoked_at = coalesce(${table}.revoked_at, EXCLUDED.revoked_at)`,
    [event.data.id, event.occurredAt],
  );
}

/**
 * Verifies bearer tokens in a service other than autodeploy: the admin token from its
 * configuration, team tokens from its own `team_tokens` projection (SHA-256, constant-time).
 * A token works here once its `auth.token.issued` has arrived, and stops once its
 * `auth.token.revoked` has — eventually, not at once as in autodeploy.
 */
export class ProjectedTokenAuthenticator implements TokenAuthenticator {
  private readonly table: string;

  constructor(
    private readonly dataSource: DataSource,
    schema: string,
    private readonly adminToken: string | undefined,
  ) {
    this.table = `${schemaIdentifier(schema)}.team_tokens`;
  }

  async authenticate(token: string): Promise<Principal | null> {
    if (this.adminToken && tokensEqual(token, this.adminToken)) return { kind: 'admin' };
    const id = tokenId(token);
    if (id === null) return null;
    const [row]: Array<{ team: string; token_hash: Buffer }> = await this.dataSource.query(
      `SELECT team, token_hash FROM ${this.table} WHERE id = $1 AND revoked_at IS NULL AND token_hash IS NOT NULL`,
      [id],
    );
    if (!row || !matchesHash(token, row.token_hash)) return null;
    return { kind: 'team', team: row.team };
  }
}
