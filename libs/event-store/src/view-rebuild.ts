import type { DataSource, EntityManager, MigrationInterface, QueryRunner } from 'typeorm';
import { v5 as uuidv5, v7 as uuidv7 } from 'uuid';
import { Checkpoints } from './checkpoints';
import { EventStore } from './event-store';
import { runExclusive } from './exclusive-job';
import { schemaIdentifier } from './sql-identifier';
import { START, type LogPosition, type StoredEvent } from './stored-event';

/** Projects a batch of the log into the view tables of `schema` (the live one, or a rebuild's copy). */
export type SchemaProjection = (events: readonly StoredEvent[], manager: EntityManager, schema: string) => Promise<void>;

export interface ViewRebuildOptions {
  /** The service's schema: its log (`events`), its `checkpoints`, its live views and `view_rebuilds`. */
  readonly schema: string;
  /** The live projection's checkpoint name; the swap takes it over. */
  readonly checkpoint: string;
  /** The view tables (in `schema`) the projection writes; the log rebuilds exactly these. */
  readonly tables: readonly string[];
  readonly project: SchemaProjection;
  /**
   * The live views are written by the transactions that append their events (not by a
   * checkpointed projection), each holding this transaction-level advisory lock shared
   * (`holdViewWriters`). The swap takes it exclusively — the writers in flight finish, new ones
   * wait — and projects every committed event past the copy's position. The checkpoint is then
   * only the rebuild's record of where the swap stood.
   */
  readonly writersLock?: string;
  /**
   * Runs in the swap's transaction, after the last tail is projected and before the tables move:
   * carries into the copy (`copy`) what a column of the live views (`live`) holds that is not a
   * projection of the log (e.g. whether an effect of a row is still to be done).
   */
  readonly beforeSwap?: (manager: EntityManager, live: string, copy: string) => Promise<void>;
  /** Events per transaction while rebuilding (default 5,000). */
  readonly batchSize?: number;
  readonly logger?: { info(obj: object, msg: string): void; error(obj: object, msg: string): void };
}

export interface ViewRebuildStatus {
  readonly rebuildId: string;
  readonly requestedBy: string;
  readonly requestedAt: string;
  /** `running` until the copy replaced the live views (`done`); `failed` leaves the live views as they were. */
  readonly status: 'running' | 'done' | 'failed';
  /** Events of the log projected into the copy, of `total` (the log's length when the rebuild began, grown by what it caught up). */
  readonly processed: number;
  readonly total: number;
  readonly error: string | null;
  readonly finishedAt: string | null;
}

/**
 * `<schema>.view_rebuilds`: one row per blue/green rebuild of a service's views, with its
 * progress (docs/architecture.md §4 "Rebuilding views").
 */
export function viewRebuildMigrations(schema: string): Array<new () => MigrationInterface> {
  const s = schemaIdentifier(schema);
  class ViewRebuilds1768100000000 implements MigrationInterface {
    name = 'ViewRebuilds1768100000000';
    async up(q: QueryRunner): Promise<void> {
      await q.query(`
        CREATE TABLE ${s}.view_rebuilds (
          id              uuid PRIMARY KEY,
          name            text NOT NULL,
          requested_by    text NOT NULL,
          requested_at    timestamptz NOT NULL DEFAULT now(),
          status          text NOT NULL DEFAULT 'running',
          processed       bigint NOT NULL DEFAULT 0,
          total           bigint NOT NULL DEFAULT 0,
          error           text,
          finished_at     timestamptz
        )`);
    }
    async down(q: QueryRunner): Promise<void> {
      await q.query(`DROP TABLE ${s}.view_rebuilds`);
    }
  }
  return [ViewRebuilds1768100000000];
}

/**
 * Events a service received from another's topic and keeps in its own log, so the views it
 * projects from them are rebuilt from that log: their streams are `received-<stream>` and the relay
 * does not publish them (the service that wrote them did).
 */
export const receivedStream = (stream: string, forConsumer?: string): string => (forConsumer === undefined ? `received-${stream}` : `received:${forConsumer}:${stream}`);
export const isReceivedStream = (stream: string): boolean => stream.startsWith('received-') || stream.startsWith('received:');

/** The namespace of the ids of events kept for one consumer (`receiveEvent`'s `forConsumer`). */
const RECEIVED_FOR_CONSUMER = '6f1d2a0e-5b7c-4f3e-9a41-2c8e7d9b0f15';

/**
 * An event of another service's log that this service's views project, inside the consumer's
 * inbox transaction that applies it: the writers' lock is taken (`holdViewWriters`, before the
 * views are read) and the event kept in this service's own log as it is — stream
 * `received-<stream>` that the relay does not publish, the source stream's version — so a
 * rebuild of the views from this log sees it. An event this service appended itself (it also
 * consumes what it publishes) is in its log already and is not kept twice.
 *
 * `forConsumer`: the event is kept for that consumer alone (stream `received:<consumer>:<stream>`,
 * an id derived from the event's), for views whose consumer shares its input events with another
 * consumer of the same service: each rebuild then projects exactly what its own consumer applied
 * (and the other's rebuild skips these streams).
 */
export async function receiveEvent(
  manager: EntityManager,
  store: EventStore,
  event: Pick<StoredEvent, 'id' | 'stream' | 'type' | 'version' | 'streamVersion' | 'data' | 'occurredAt' | 'correlationId' | 'causationId'>,
  writersLock: string,
  forConsumer?: string,
): Promise<void> {
  await holdViewWriters(manager, writersLock);
  if (forConsumer === undefined) {
    await store.keep(receivedStream(event.stream), event, { manager });
    return;
  }
  const id = uuidv5(`${forConsumer}/${event.id}`, RECEIVED_FOR_CONSUMER);
  await store.keep(receivedStream(event.stream, forConsumer), { ...event, id }, { manager });
}

/** A live writer of views rebuilt with `writersLock`: call first in its transaction, before it reads them (a swap waits for it). */
export async function holdViewWriters(m: EntityManager, writersLock: string): Promise<void> {
  await m.query(`SELECT pg_advisory_xact_lock_shared(hashtext($1))`, [writersLock]);
}

const after = (a: LogPosition, b: LogPosition) =>
  BigInt(a.transactionId) > BigInt(b.transactionId) || (a.transactionId === b.transactionId && BigInt(a.globalPosition) > BigInt(b.globalPosition));

/**
 * Blue/green rebuild of a service's views from its log. The live views keep serving (and the
 * live projection keeps projecting into them) while a copy is built:
 *
 * 1. `<schema>_rebuild` is created afresh, each view table in it `LIKE` the live one
 *    (`INCLUDING ALL`, its indexes renamed to the live names).
 * 2. The log is projected from the start into the copy, a transaction per batch, each
 *    committing the progress row (`view_rebuilds.processed`).
 * 3. Once it stands at the live projection's checkpoint: ONE transaction takes the
 *    checkpoint's lock (the live projection waits), projects the last tail into the copy,
 *    moves the live tables out to `<schema>_retired` and the copy's tables into `<schema>`,
 *    and marks the rebuild done. A reader sees the old tables or the new ones, never a mix.
 *    If the copy got ahead of a lagging live projection, the checkpoint moves up to it.
 * 4. `<schema>_retired` is dropped.
 *
 * A crash (or an error) before the swap leaves the live views untouched; the next rebuild drops
 * the leftover copy and starts over. One rebuild per schema at a time (a session advisory lock);
 * asking again while one runs answers the running one.
 */
export class ViewRebuild {
  private readonly s: string;
  private readonly copy: string;
  private readonly retired: string;
  private readonly store: EventStore;
  private readonly checkpoints: Checkpoints;

  constructor(
    private readonly dataSource: DataSource,
    private readonly options: ViewRebuildOptions,
  ) {
    this.s = schemaIdentifier(options.schema);
    this.copy = `${options.schema}_rebuild`;
    this.retired = `${options.schema}_retired`;
    schemaIdentifier(this.copy);
    schemaIdentifier(this.retired);
    for (const t of options.tables) schemaIdentifier(t);
    this.store = new EventStore(dataSource, options.schema);
    this.checkpoints = new Checkpoints(options.schema);
  }

  /** The schema the copy is built in while a rebuild runs. */
  get copySchema(): string {
    return this.copy;
  }

  /**
   * Starts a rebuild in the background and answers its status at once; `finished` settles when
   * it is done or failed. While one runs (here or in another replica), answers that one.
   */
  async start(requestedBy: string): Promise<{ status: ViewRebuildStatus; finished: Promise<void> }> {
    const id = uuidv7();
    let began!: (ran: boolean) => void;
    const beginning = new Promise<boolean>((resolve) => (began = resolve));
    const finished = runExclusive(this.dataSource, `sluice-view-rebuild-${this.options.schema}`, async () => {
      try {
        // Whatever is still `running` was interrupted (its holder lost the lock: it is gone).
        await this.dataSource.query(
          `UPDATE ${this.s}.view_rebuilds SET status = 'failed', error = 'interrupted', finished_at = now() WHERE name = $1 AND status = 'running'`,
          [this.options.checkpoint],
        );
        await this.dataSource.query(
          `INSERT INTO ${this.s}.view_rebuilds (id, name, requested_by, total) VALUES ($1, $2, $3, (SELECT count(*) FROM ${this.s}.events))`,
          [id, this.options.checkpoint, requestedBy],
        );
      } catch (error) {
        began(false);
        throw error;
      }
      began(true);
      try {
        await this.run(id);
      } catch (error) {
        this.options.logger?.error({ err: error, rebuild: id, schema: this.options.schema }, 'view rebuild failed; the live views are untouched');
        await this.dataSource.query(`UPDATE ${this.s}.view_rebuilds SET status = 'failed', error = $2, finished_at = now() WHERE id = $1`, [
          id,
          error instanceof Error ? error.message : String(error),
        ]);
        await this.dataSource.query(`DROP SCHEMA IF EXISTS ${schemaIdentifier(this.copy)} CASCADE`).catch(() => undefined);
        throw error;
      }
    }).then(({ ran }) => {
      if (!ran) began(false);
    });
    // The caller polls the status; a failure is recorded there.
    finished.catch(() => undefined);
    if (await beginning) return { status: (await this.status(id))!, finished };
    const running = await this.latest();
    if (!running) throw new Error(`a rebuild of ${this.options.schema} is running elsewhere but is not recorded`);
    return { status: running, finished: Promise.resolve() };
  }

  async status(id: string): Promise<ViewRebuildStatus | null> {
    const [row] = await this.rows(`WHERE id = $1 AND name = $2`, [id, this.options.checkpoint]);
    return row ?? null;
  }

  /** The latest rebuild of these views. */
  async latest(): Promise<ViewRebuildStatus | null> {
    const [row] = await this.rows(`WHERE name = $1 ORDER BY requested_at DESC, id DESC LIMIT 1`, [this.options.checkpoint]);
    return row ?? null;
  }

  private async rows(where: string, params: unknown[]): Promise<ViewRebuildStatus[]> {
    const rows: Array<{ id: string; requested_by: string; requested_at: Date; status: ViewRebuildStatus['status']; processed: string; total: string; error: string | null; finished_at: Date | null }> =
      await this.dataSource.query(`SELECT id, requested_by, requested_at, status, processed, total, error, finished_at FROM ${this.s}.view_rebuilds ${where}`, params);
    return rows.map((row) => ({
      rebuildId: row.id,
      requestedBy: row.requested_by,
      requestedAt: new Date(row.requested_at).toISOString(),
      status: row.status,
      processed: Number(row.processed),
      total: Number(row.total),
      error: row.error,
      finishedAt: row.finished_at ? new Date(row.finished_at).toISOString() : null,
    }));
  }

  private async run(id: string): Promise<void> {
    const copy = schemaIdentifier(this.copy);
    const retired = schemaIdentifier(this.retired);
    const batchSize = this.options.batchSize ?? 5_000;
    const started = Date.now();
    // (a) A fresh copy of the live tables' definitions.
    await this.dataSource.transaction(async (m) => {
      await m.query(`DROP SCHEMA IF EXISTS ${copy} CASCADE`);
      await m.query(`DROP SCHEMA IF EXISTS ${retired} CASCADE`);
      await m.query(`CREATE SCHEMA ${copy}`);
      const live = this.options.tables.map((table) => `${this.s}.${schemaIdentifier(table)}`);
      for (const table of this.options.tables) {
        const t = schemaIdentifier(table);
        // A key from a table that is not rebuilt would follow the old table out.
        const [fk]: Array<{ name: string }> = await m.query(
          `SELECT conname AS name FROM pg_constraint
            WHERE contype = 'f' AND confrelid = $1::regclass AND conrelid <> confrelid AND NOT conrelid = ANY($2::regclass[])`,
          [`${this.s}.${t}`, live],
        );
        if (fk) throw new Error(`${this.options.schema}.${table} is referenced by foreign key ${fk.name} of a table not rebuilt with it: a view table cannot be swapped`);
        await m.query(`CREATE TABLE ${copy}.${t} (LIKE ${this.s}.${t} INCLUDING ALL)`);
        // The copy's indexes get generated names; give them the live ones (matched by definition).
        const renames: Array<{ copy_name: string; live_name: string }> = await m.query(
          `WITH defs AS (
             SELECT i.indrelid, c.relname,
                    regexp_replace(pg_get_indexdef(i.indexrelid), '^CREATE (UNIQUE )?INDEX \\S+ ON (ONLY )?\\S+ ', 'CREATE \\1INDEX ON ') AS def
               FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid
              WHERE i.indrelid IN ($1::regclass, $2::regclass)
           )
           SELECT DISTINCT ON (n.relname) n.relname AS copy_name, o.relname AS live_name
             FROM defs n JOIN defs o ON o.def = n.def AND o.indrelid = $1::regclass
            WHERE n.indrelid = $2::regclass AND n.relname <> o.relname`,
          [`${this.s}.${t}`, `${copy}.${t}`],
        );
        for (const r of renames) await m.query(`ALTER INDEX ${copy}.${schemaIdentifier(r.copy_name)} RENAME TO ${schemaIdentifier(r.live_name)}`);
      }
      // Foreign keys between the rebuilt tables (LIKE copies none): the same keys, between the copies.
      const keys: Array<{ tbl: string; ref: string; name: string; def: string }> = await m.query(
        `SELECT c.conrelid::regclass::text AS tbl, c.confrelid::regclass::text AS ref, c.conname AS name, pg_get_constraintdef(c.oid) AS def
           FROM pg_constraint c WHERE c.contype = 'f' AND c.conrelid = ANY($1::regclass[]) AND c.confrelid = ANY($1::regclass[])`,
        [live],
      );
      for (const k of keys) {
        const inCopy = (qualified: string) => `${copy}.${schemaIdentifier(qualified.slice(qualified.lastIndexOf('.') + 1).replace(/^"|"$/g, ''))}`;
        const def = k.def.replace(`REFERENCES ${k.ref}(`, `REFERENCES ${inCopy(k.ref)}(`);
        if (def === k.def) throw new Error(`cannot copy foreign key ${k.name} (${k.def})`);
        await m.query(`ALTER TABLE ${inCopy(k.tbl)} ADD CONSTRAINT ${schemaIdentifier(k.name)} ${def}`);
      }
    });

    // (b) The log from the start into the copy, batch by batch, while the live views serve. The
    // next batch is read (on another connection) while this one is projected.
    let position: LogPosition = START;
    const read = (from: LogPosition) => this.store.readAll(from, { limit: batchSize });
    let next = read(position);
    next.catch(() => undefined); // awaited below; a failure before that is not unhandled
    for (;;) {
      const events = await next;
      if (events.length === 0) break;
      const last = events[events.length - 1]!.position;
      // Caught up with the live projection (or the log, when the views' writers are its appenders): the rest is the swap's tail.
      const more =
        events.length === batchSize && (this.options.writersLock !== undefined || after(await this.checkpoints.read(this.dataSource.manager, this.options.checkpoint), last));
      next = more ? read(last) : Promise.resolve([]);
      next.catch(() => undefined);
      await this.dataSource.transaction(async (m) => {
        await this.options.project(events, m, this.copy);
        await m.query(`UPDATE ${this.s}.view_rebuilds SET processed = processed + $2, total = greatest(total, processed + $2) WHERE id = $1`, [id, events.length]);
      });
      position = last;
      if (!more) break;
    }

    const projected = Date.now();
    // (c) The tail and the swap, in one transaction holding the live projection's checkpoint.
    let tail = 0;
    await this.dataSource.transaction(async (m) => {
      await m.query(`SET LOCAL lock_timeout = '10s'`);
      const live = await this.checkpoints.lock(m, this.options.checkpoint);
      if (this.options.writersLock !== undefined) {
        // No writer in flight, none starting: every event the live views hold is committed.
        await m.query(`SELECT pg_advisory_xact_lock(hashtext($1))`, [this.options.writersLock]);
        for (;;) {
          const events = await this.store.readAll(position, { limit: batchSize, manager: m, allCommitted: true });
          if (events.length === 0) break;
          await this.options.project(events, m, this.copy);
          position = events[events.length - 1]!.position;
          tail += events.length;
        }
      }
      while (after(live, position)) {
        const events = (await this.store.readAll(position, { limit: batchSize, manager: m })).filter((e) => !after(e.position, live));
        if (events.length === 0) break;
        await this.options.project(events, m, this.copy);
        position = events[events.length - 1]!.position;
        tail += events.length;
      }
      // The copy got ahead of a live projection that lags (or is not running): it takes over from there.
      if (after(position, live)) await this.checkpoints.save(m, this.options.checkpoint, position);
      await this.options.beforeSwap?.(m, this.options.schema, this.copy);
      await m.query(`CREATE SCHEMA ${retired}`);
      for (const table of this.options.tables) {
        const t = schemaIdentifier(table);
        // A serial column's sequence belongs to the live table: it moves to the new one, not away with the old.
        const owned: Array<{ seq: string; col: string }> = await m.query(
          `SELECT s.relname AS seq, a.attname AS col
             FROM pg_depend d JOIN pg_class s ON s.oid = d.objid AND s.relkind = 'S'
             JOIN pg_attribute a ON a.attrelid = d.refobjid AND a.attnum = d.refobjsubid
            WHERE d.refobjid = $1::regclass AND d.deptype = 'a'`,
          [`${this.s}.${t}`],
        );
        await m.query(`ALTER TABLE ${this.s}.${t} SET SCHEMA ${retired}`); // its owned sequences go along
        await m.query(`ALTER TABLE ${copy}.${t} SET SCHEMA ${this.s}`);
        for (const o of owned) {
          const seq = schemaIdentifier(o.seq);
          await m.query(`ALTER SEQUENCE ${retired}.${seq} OWNED BY NONE`);
          await m.query(`ALTER SEQUENCE ${retired}.${seq} SET SCHEMA ${this.s}`);
          await m.query(`ALTER SEQUENCE ${this.s}.${seq} OWNED BY ${this.s}.${t}.${schemaIdentifier(o.col)}`);
        }
      }
      await m.query(`DROP SCHEMA ${copy}`);
      await m.query(
        `UPDATE ${this.s}.view_rebuilds SET status = 'done', processed = processed + $2, total = processed + $2, finished_at = now() WHERE id = $1`,
        [id, tail],
      );
    });
    const swapped = Date.now();
    // (d) The old tables go.
    await this.dataSource.query(`DROP SCHEMA IF EXISTS ${retired} CASCADE`);
    this.options.logger?.info(
      { rebuild: id, schema: this.options.schema, tables: this.options.tables, tail, ms: { projected: projected - started, swap: swapped - projected, total: Date.now() - started } },
      'views rebuilt and swapped',
    );
  }
}
