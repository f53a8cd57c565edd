import { managerOf, type Transaction, type UnitOfWork } from '@sluice/event-store';
import type { TestsSpec } from '@sluice/contracts';
import type { TestRunStore, TestRunView } from '../application/ports';
import type { TestRun, TestRunState } from '../domain/test-run';

type Row = Record<string, unknown>;

/** The rows of an `UPDATE … RETURNING` (TypeORM answers `[rows, affected]` for an UPDATE on PostgreSQL). */
function returned(result: unknown): Row[] {
  const r = result as unknown[];
  return Array.isArray(r[0]) ? (r[0] as Row[]) : (r as Row[]);
}
const iso = (v: unknown) => (v === null || v === undefined ? null : new Date(v as string).toISOString());

function toRun(r: Row): TestRun {
  return {
    id: r.id as string,
    deployId: r.deploy_id as string,
    config: r.config as string,
    team: r.team as string,
    namespace: r.namespace as string,
    deployedImage: (r.deployed_image as string | null) ?? null,
    tests: r.tests as TestsSpec,
    state: r.state as TestRunState,
    queuedAt: iso(r.queued_at)!,
    startedAt: iso(r.started_at),
    endedAt: iso(r.ended_at),
    message: (r.message as string | null) ?? null,
  };
}

/**
 * The pool in PostgreSQL: a slot is a running row with a lease. Giving out slots takes a
 * transaction-scoped advisory lock, so replicas never give one slot twice; the queue is the
 * insertion order (`seq`).
 */
export class PgTestRunStore implements TestRunStore {
  constructor(
    private readonly uow: UnitOfWork,
    private readonly schema: string,
  ) {}

  async enqueue(tx: Transaction, run: Omit<TestRun, 'state' | 'queuedAt' | 'startedAt' | 'endedAt' | 'message'>): Promise<void> {
    await managerOf(tx).query(
      `INSERT INTO "${this.schema}".test_runs (id, deploy_id, config, team, namespace, deployed_image, tests, state)
       VALUES ($1, $2, $3, $4, $5, $6, $7::jsonb, 'queued') ON CONFLICT (deploy_id) DO NOTHING`,
      [run.id, run.deployId, run.config, run.team, run.namespace, run.deployedImage, JSON.stringify(run.tests)],
    );
  }

  acquire(owner: string, size: number, leaseMs: number): Promise<TestRun[]> {
    return this.uow.transact(async (tx) => {
      const m = managerOf(tx);
      await m.query(`SELECT pg_advisory_xact_lock(hashtext($1))`, [`${this.schema}.test_runs`]);
      const [{ running }]: Array<{ running: string }> = await m.query(`SELECT count(*) AS running FROM "${this.schema}".test_runs WHERE state = 'running'`);
      const free = size - Number(running);
      if (free <= 0) return [];
      const rows = returned(await m.query(
        // In queue order: RETURNING has none, and two runs may be queued in the same millisecond.
        `WITH taken AS (
           UPDATE "${this.schema}".test_runs SET state = 'running', lease_owner = $1, lease_until = now() + $2 * interval '1 millisecond', started_at = now()
            WHERE id IN (SELECT id FROM "${this.schema}".test_runs WHERE state = 'queued' ORDER BY seq LIMIT $3)
            RETURNING *)
         SELECT * FROM taken ORDER BY seq`,
        [owner, leaseMs, free],
      ));
      return rows.map(toRun);
    });
  }

  async leaseRunning(owner: string, leaseMs: number): Promise<TestRun[]> {
    const rows = returned(await managerOf(this.uow.reads).query(
      `UPDATE "${this.schema}".test_runs SET lease_owner = $1, lease_until = now() + $2 * interval '1 millisecond'
        WHERE state = 'running' AND (lease_owner = $1 OR lease_until < now())
        RETURNING *`,
      [owner, leaseMs],
    ));
    return rows.map(toRun);
  }

  async finish(tx: Transaction, id: string, state: 'passed' | 'failed' | 'timed-out', message: string): Promise<boolean> {
    const rows = returned(await managerOf(tx).query(
      `UPDATE "${this.schema}".test_runs SET state = $2, message = $3, ended_at = now(), lease_owner = NULL, lease_until = NULL
        WHERE id = $1 AND state = 'running' RETURNING id`,
      [id, state, message],
    ));
    return rows.length > 0;
  }

  async open(team: string | null): Promise<TestRunView[]> {
    const rows: Row[] = await managerOf(this.uow.reads).query(
      `SELECT *, CASE WHEN state = 'queued' THEN row_number() OVER (PARTITION BY state ORDER BY seq) END AS position
         FROM "${this.schema}".test_runs WHERE state IN ('queued', 'running') ORDER BY seq`,
    );
    return rows.filter((r) => team === null || r.team === team).map((r) => ({ ...toRun(r), position: r.position === null ? null : Number(r.position) }));
  }
}
