import type { SharedRateLimit } from './rate-limit-gate';

/** Anything that runs a parameterised query and resolves its rows: a TypeORM DataSource or EntityManager. */
export interface SqlQueryable {
  query(sql: string, parameters?: unknown[]): Promise<unknown>;
}

/** The table PgSharedRateLimit keeps its rows in (a service creates it in its own schema, by a migration). */
export function sharedRateLimitTableSql(table: string): string {
  return `CREATE TABLE ${table} (
    key           text PRIMARY KEY,
    limited_until timestamptz,
    next_write_at timestamptz
  )`;
}

/**
 * One set of credentials' shared budget as a row of `table` (`key` = provider, API base and
 * credentials identity, never the secret). Each call is one statement: the row lock of
 * `INSERT … ON CONFLICT DO UPDATE` orders the replicas' write reservations, and times are the
 * database's (`now()`), so the replicas' clocks do not matter.
 */
export class PgSharedRateLimit implements SharedRateLimit {
  constructor(
    private readonly db: SqlQueryable,
    /** Schema-qualified, trusted (a constant of the service). */
    private readonly table: string,
    private readonly key: string,
  ) {}

  async limitFor(ms: number): Promise<void> {
    await this.db.query(
      `INSERT INTO ${this.table} AS r (key, limited_until) VALUES ($1, now() + $2 * interval '1 millisecond')
       ON CONFLICT (key) DO UPDATE SET limited_until = GREATEST(r.limited_until, EXCLUDED.limited_until)`,
      [this.key, Math.ceil(ms)],
    );
  }

  async limitedFor(): Promise<number> {
    const rows = (await this.db.query(
      `SELECT GREATEST(0, EXTRACT(EPOCH FROM (limited_until - now())) * 1000)::float8 AS ms FROM ${this.table} WHERE key = $1`,
      [this.key],
    )) as Array<{ ms: number | null }>;
    return Number(rows[0]?.ms ?? 0);
  }

  async reserveWrite(intervalMs: number): Promise<number> {
    const rows = (await this.db.query(
      `INSERT INTO ${this.table} AS r (key, next_write_at) VALUES ($1, now() + $2 * interval '1 millisecond')
       ON CONFLICT (key) DO UPDATE SET next_write_at = GREATEST(r.next_write_at, now()) + $2 * interval '1 millisecond'
       RETURNING GREATEST(0, EXTRACT(EPOCH FROM (r.next_write_at - now())) * 1000 - $2)::float8 AS wait_ms`,
      [this.key, intervalMs],
    )) as Array<{ wait_ms: number }>;
    return Number(rows[0]?.wait_ms ?? 0);
  }
}
