import { metricsRegistry } from '@sluice/platform';
import { Gauge } from 'prom-client';
import type { DataSource, QueryRunner } from 'typeorm';
import { isSingleConnection } from './exclusive-job';

type ElectionLogger = { info(obj: object, msg: string): void; warn(obj: object, msg: string): void };

/** Default lock poll of an election (SLUICE_LEADER_POLL_SECONDS): the handover bound, plus the controllers' start. */
export const DEFAULT_LEADER_POLL_MS = 2000;

export interface LeaderElectionOptions {
  /** How often a follower tries the lock, and the leader checks that its session still holds it. */
  pollMs?: number;
  /** Called once this replica leads: start the controllers. Errors are logged; leadership is kept. */
  onLeading?: () => void | Promise<void>;
  /** Called once this replica stops leading (lost session, or shutdown): stop them. */
  onStopped?: () => void | Promise<void>;
  logger?: ElectionLogger;
  /**
   * What the lock is taken on besides the role: the service's schema, so services (or tests)
   * sharing one database elect apart.
   */
  scope?: string;
}

/**
 * Takes the session advisory lock `pg_try_advisory_lock(hashtext(name))` on a connection of its
 * own, kept (the lock lives as long as its session): the connection, or null when another
 * session holds the lock.
 */
export async function lockOnOwnConnection(dataSource: DataSource, name: string): Promise<QueryRunner | null> {
  const runner = dataSource.createQueryRunner();
  await runner.connect();
  try {
    const [row]: Array<{ ok: boolean }> = await runner.query('SELECT pg_try_advisory_lock(hashtext($1)) AS ok', [name]);
    if (row?.ok) return runner;
  } catch (error) {
    await runner.release().catch(() => undefined);
    throw error;
  }
  await runner.release();
  return null;
}

/**
 * Whether the session of `runner` still exists and holds the session advisory lock taken with
 * `pg_try_advisory_lock(hashtext(name))`; false on any doubt (a terminated session fails the query).
 */
export async function sessionHoldsLock(runner: QueryRunner, name: string): Promise<boolean> {
  try {
    const [row]: Array<{ held: boolean }> = await runner.query(
      `SELECT EXISTS (SELECT 1 FROM pg_locks WHERE locktype = 'advisory' AND pid = pg_backend_pid() AND granted
         AND objid = (hashtext($1)::bigint & 4294967295)::oid AND classid = ((hashtext($1)::bigint >> 32) & 4294967295)::oid) AS held`,
      [name],
    );
    return row?.held === true;
  } catch {
    return false; // the session is gone
  }
}

const leaderGauge = new Gauge({
  name: 'sluice_leader',
  help: 'Whether this replica leads the role (1) or follows (0): the controllers of a role run in its leader only',
  labelNames: ['role'] as const,
  registers: [metricsRegistry],
});

/**
 * Leader election of one role (`kube-applier`, `commit-status`) among the replicas of a service,
 * on a PostgreSQL session advisory lock held on a connection of its own — the outbox relay's
 * scheme (outbox-relay.ts). Every `pollMs` a follower tries the lock; the leader checks that its
 * session still holds it (an administrator, a network failure or a database restart may end the
 * session: then the server released the lock and another replica may have taken it), and on any
 * doubt steps down. A killed leader's session ends with its process, so a follower leads within
 * one poll. On the embedded single-connection database (the all-in-one) there is one process and
 * one connection: it simply leads, as `runExclusive` runs its jobs in-process there.
 */
export class LeaderElection {
  private connection: QueryRunner | null = null;
  private leading = false;
  private leadingSince: Date | null = null;
  private timer: NodeJS.Timeout | null = null;
  private ticking: Promise<void> | null = null;
  private stopped = false;

  constructor(
    private readonly dataSource: DataSource,
    /** The role: the lock's name and the gauge's label. */
    readonly role: string,
    private readonly options: LeaderElectionOptions = {},
  ) {
    leaderGauge.set({ role }, 0);
  }

  get isLeader(): boolean {
    return this.leading;
  }

  get pollMs(): number {
    return this.options.pollMs ?? DEFAULT_LEADER_POLL_MS;
  }

  /** Takes part: the first try is awaited (a lone replica leads before `start` resolves), then one per poll. */
  async start(): Promise<void> {
    this.stopped = false;
    await this.tick();
    if (this.stopped || this.timer) return;
    this.timer = setInterval(() => {
      this.ticking ??= this.tick().finally(() => (this.ticking = null));
    }, this.pollMs);
    this.timer.unref();
  }

  /** Steps down (its controllers stopped through `onStopped`) and releases the lock. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.ticking;
    await this.stepDown('shutdown');
  }

  /** For /readyz: always ok (a follower is ready: it serves its consumers and its API); says which it is. */
  readiness(): { ok: true; detail: string } {
    return { ok: true, detail: this.leading ? `leader of ${this.role} since ${this.leadingSince!.toISOString()}` : `follower of ${this.role}` };
  }

  private async tick(): Promise<void> {
    if (this.stopped) return;
    try {
      if (this.leading) {
        if (!(await this.stillLeader())) await this.stepDown('its lock session ended');
        return;
      }
      if (await this.tryLock()) await this.lead();
    } catch (error) {
      this.options.logger?.warn({ role: this.role, err: (error as Error).message }, 'leader election: could not reach the database; retrying');
    }
  }

  private async tryLock(): Promise<boolean> {
    if (isSingleConnection(this.dataSource)) return true;
    const runner = await lockOnOwnConnection(this.dataSource, this.lockName);
    if (runner && this.stopped) {
      await runner.query('SELECT pg_advisory_unlock(hashtext($1))', [this.lockName]).catch(() => undefined);
      await runner.release().catch(() => undefined);
      return false;
    }
    this.connection = runner;
    return runner !== null;
  }

  private async stillLeader(): Promise<boolean> {
    if (isSingleConnection(this.dataSource)) return true;
    const runner = this.connection;
    if (!runner) return false;
    return sessionHoldsLock(runner, this.lockName);
  }

  private async lead(): Promise<void> {
    this.leading = true;
    this.leadingSince = new Date();
    leaderGauge.set({ role: this.role }, 1);
    this.options.logger?.info({ role: this.role }, 'leading: starting the controllers');
    try {
      await this.options.onLeading?.();
    } catch (error) {
      this.options.logger?.warn({ role: this.role, err: (error as Error).message }, 'leading: a controller failed to start');
    }
  }

  private async stepDown(why: string): Promise<void> {
    const runner = this.connection;
    this.connection = null;
    if (this.leading) {
      this.leading = false;
      this.leadingSince = null;
      leaderGauge.set({ role: this.role }, 0);
      this.options.logger?.[why === 'shutdown' ? 'info' : 'warn']({ role: this.role, why }, 'no longer leading: stopping the controllers');
      try {
        await this.options.onStopped?.();
      } catch (error) {
        this.options.logger?.warn({ role: this.role, err: (error as Error).message }, 'stepping down: a controller failed to stop');
      }
    }
    if (runner) {
      await runner.query('SELECT pg_advisory_unlock(hashtext($1))', [this.lockName]).catch(() => undefined);
      // pg-pool destroys a released client that is no longer queryable (a terminated session).
      await runner.release().catch(() => undefined);
    }
  }

  private get lockName(): string {
    return `sluice-leader-${this.options.scope ?? ''}-${this.role}`;
  }
}
