import { EncodedJson, type NewEvent } from '@sluice/contracts';
import type { DataSource, EntityManager } from 'typeorm';
import { v7 as uuidv7 } from 'uuid';
import { ConcurrencyError, isUniqueViolation } from './errors';
import { schemaIdentifier } from './sql-identifier';
import { EVENT_COLUMNS, eventColumns, START, toStoredEvent, type EventRow, type LogPosition, type StoredEvent } from './stored-event';
import { managerOf, type Transaction } from './transaction';

/** `number`: the stream must be exactly at this version (0 = it must not exist). `'any'`: append at the end. */
export type ExpectedVersion = number | 'any';

export interface AppendOptions {
  /** Append inside the caller's transaction (with its read-model and inbox writes). */
  manager?: Transaction;
  /** Default correlation id for events that carry none. */
  correlationId?: string;
}

export interface ReadAllOptions {
  limit?: number;
  manager?: Transaction;
  stream?: string;
  /** `data` as its stored JSON text (EncodedJson), for a reader that only passes it on (the relay). */
  encodedData?: boolean;
  /**
   * Every committed event, also those of transactions younger than one still open: only for a
   * reader that holds off every writer whose events it must see (a view rebuild's swap).
   */
  allCommitted?: boolean;
}

/** One stream's part of a multi-stream append. */
export interface StreamAppend {
  readonly stream: string;
  readonly expectedVersion: ExpectedVersion;
  readonly events: readonly NewEvent[];
}

/**
 * The append-only log in one service's schema. Optimistic concurrency by the unique
 * (stream, stream_version) key; readers of the whole log order by
 * (transaction_id, global_position) and only read below the oldest open transaction,
 * so a long-running or rolled-back transaction never makes them skip a committed event.
 */
export class EventStore {
  private readonly table: string;
  private readonly notifyChannel: string;

  constructor(
    readonly dataSource: DataSource,
    readonly schema: string,
  ) {
    this.table = `${schemaIdentifier(schema)}.events`;
    this.notifyChannel = `sluice_events_${schema}`;
  }

  /** Channel on which each committed append is announced (LISTEN for low-latency readers). */
  get channel(): string {
    return this.notifyChannel;
  }

  async append(
    stream: string,
    expectedVersion: ExpectedVersion,
    events: readonly NewEvent[],
    options: AppendOptions = {},
  ): Promise<StoredEvent[]> {
    return this.appendMany([{ stream, expectedVersion, events }], options);
  }

  /**
   * Keeps an event received from another service's log as it is (its id, type, data, time and
   * its source stream's version) in stream `stream` of this log: no expectation, no
   * announcement (nothing here publishes or projects it live; a rebuild reads it). Nothing is
   * written, and false answered, when the log already holds the event (its id, or that version of
   * the stream): a redelivery, or an event this service appended itself.
   */
  async keep(stream: string, event: Pick<StoredEvent, 'id' | 'type' | 'version' | 'streamVersion' | 'data' | 'occurredAt' | 'correlationId' | 'causationId'>, options: AppendOptions = {}): Promise<boolean> {
    const rows: unknown[] = await this.manager(options.manager).query(
      `INSERT INTO ${this.table} (id, stream, stream_version, type, version, data, correlation_id, causation_id, occurred_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) ON CONFLICT DO NOTHING RETURNING 1`,
      [event.id, stream, event.streamVersion, event.type, event.version, JSON.stringify(event.data), event.correlationId, event.causationId, event.occurredAt],
    );
    return rows.length > 0;
  }

  /**
   * Appends to several streams in ONE statement (one round trip; alone, its own
   * transaction): every stream's expectation must hold, or nothing is appended and a
   * ConcurrencyError names the first stream that failed. A stream may appear once.
   * Events are stored in the order given (streams interleaved as given).
   *
   * The statement reads each stream's last version, checks the expectations, inserts
   * the events and announces each stream (NOTIFY is delivered on commit; identical
   * payloads are merged). The `newer` guard keeps stream order for log readers: if a
   * stream's last event was written by a transaction with a larger xid than ours (we got
   * our xid before it committed), our events would sort before it in
   * (transaction_id, global_position) order. That is a ConcurrencyError; a retry in a new
   * transaction gets a larger xid.
   */
  async appendMany(appends: readonly StreamAppend[], options: AppendOptions = {}): Promise<StoredEvent[]> {
    const parts = appends.filter((a) => a.events.length > 0);
    if (parts.length === 0) return [];
    const streams = parts.map((a) => a.stream);
    if (new Set(streams).size !== streams.length) throw new Error('appendMany: each stream may appear once');
    const now = new Date().toISOString();
    const events = parts.flatMap((a) => a.events.map((event) => ({ stream: a.stream, event, id: event.id ?? uuidv7() })));
    const ids = events.map((e) => e.id);
    let rows: Array<{ stream: string; current: number; newer: boolean; ok: boolean; id: string | null; stream_version: number | null; global_position: string | null; transaction_id: string | null }>;
    try {
      rows = await this.manager(options.manager).query(
        `WITH wanted AS (
           SELECT * FROM unnest($1::text[], $2::int[]) AS w(stream, expected)
         ), head AS (
           SELECT w.stream, w.expected, coalesce(l.stream_version, 0) AS current, coalesce(l.newer, false) AS newer
             FROM wanted w LEFT JOIN LATERAL (
               SELECT stream_version, transaction_id > pg_current_xact_id() AS newer
                 FROM ${this.table} WHERE stream = w.stream ORDER BY stream_version DESC LIMIT 1
             ) l ON true
         ), verdict AS (
           SELECT bool_and((expected IS NULL OR current = expected) AND NOT newer) AS ok FROM head
         ), inserted AS (
           INSERT INTO ${this.table} (id, stream, stream_version, type, version, data, correlation_id, causation_id, occurred_at)
           SELECT e.id, e.stream, head.current + row_number() OVER (PARTITION BY e.stream ORDER BY e.n), e.type, e.version,
                  e.data, e.correlation_id, e.causation_id, e.occurred_at
             FROM ROWS FROM (unnest($3::text[]), unnest($4::uuid[]), unnest($5::text[]), unnest($6::int[]), jsonb_array_elements($7::jsonb),
                             unnest($8::text[]), unnest($9::text[]), unnest($10::timestamptz[]))
                  WITH ORDINALITY AS e(stream, id, type, version, data, correlation_id, causation_id, occurred_at, n)
             JOIN head ON head.stream = e.stream
            WHERE (SELECT ok FROM verdict)
            ORDER BY e.n
           RETURNING id, stream_version, global_position, transaction_id::text AS transaction_id
         )
         SELECT head.stream, head.current, head.newer, (SELECT ok FROM verdict) AS ok,
                null::uuid AS id, null::int AS stream_version, null::bigint AS global_position, null::text AS transaction_id,
                pg_notify($11, head.stream) IS NULL AS notified
           FROM head
         UNION ALL
         SELECT null, null, null, null, inserted.id, inserted.stream_version, inserted.global_position, inserted.transaction_id, null
           FROM inserted`,
        [
          streams,
          parts.map((a) => (a.expectedVersion === 'any' ? null : a.expectedVersion)),
          events.map((e) => e.stream),
          ids,
          events.map((e) => e.event.type),
          events.map((e) => e.event.version),
          // One JSON array, not a jsonb[]: no array-literal quoting of every document.
          `[${events.map((e) => JSON.stringify(e.event.data) ?? 'null').join(',')}]`,
          events.map((e, i) => e.event.correlationId ?? options.correlationId ?? ids[i]),
          events.map((e) => e.event.causationId ?? null),
          events.map((e) => e.event.occurredAt ?? now),
          this.notifyChannel,
        ],
      );
    } catch (error) {
      if (isUniqueViolation(error)) {
        const e = error as { constraint?: string; driverError?: { constraint?: string } };
        if ((e.constraint ?? e.driverError?.constraint) === 'events_id_unique') throw new DuplicateEventIdError(ids);
        throw new ConcurrencyError(parts[0].stream, parts[0].expectedVersion, parts.length > 1 ? `one of streams ${streams.map((x) => `"${x}"`).join(', ')} moved on; retry` : undefined);
      }
      throw error;
    }
    const heads = new Map(rows.filter((r) => r.stream !== null).map((r) => [r.stream, r]));
    if (!rows[0]?.ok) {
      const failed = parts.find((a) => {
        const head = heads.get(a.stream)!;
        return head.newer || (a.expectedVersion !== 'any' && head.current !== a.expectedVersion);
      }) ?? parts[0];
      if (heads.get(failed.stream)?.newer) {
        throw new ConcurrencyError(failed.stream, failed.expectedVersion, `stream "${failed.stream}" was advanced by a newer transaction; retry`);
      }
      throw new ConcurrencyError(failed.stream, failed.expectedVersion);
    }
    const stored = new Map(rows.filter((r) => r.stream === null).map((r) => [r.id!, r]));
    return events.map(({ stream, event, id }, i) => {
      const row = stored.get(id)!;
      return {
        id,
        type: event.type,
        version: event.version,
        stream,
        streamVersion: row.stream_version!,
        occurredAt: new Date(event.occurredAt ?? now).toISOString(),
        correlationId: event.correlationId ?? options.correlationId ?? ids[i],
        causationId: event.causationId ?? null,
        data: event.data,
        position: { transactionId: String(row.transaction_id), globalPosition: String(row.global_position) },
      };
    });
  }

  private manager(tx: Transaction | undefined): EntityManager {
    return tx ? managerOf(tx) : this.dataSource.manager;
  }

  async readStream(stream: string, options: { fromVersion?: number; manager?: Transaction } = {}): Promise<StoredEvent[]> {
    const rows: EventRow[] = await this.manager(options.manager).query(
      `SELECT ${EVENT_COLUMNS} FROM ${this.table} WHERE stream = $1 AND stream_version >= $2 ORDER BY stream_version`,
      [stream, options.fromVersion ?? 1],
    );
    return rows.map(toStoredEvent);
  }

  /**
   * Committed events after `after`, in (transaction_id, global_position) order, only from
   * transactions older than every transaction still open — those can no longer change.
   */
  async readAll(after: LogPosition = START, options: ReadAllOptions = {}): Promise<StoredEvent[]> {
    return (await this.readBatch(after, options)).events;
  }

  /**
   * `readAll`'s events, and whether committed events lie past them that it held back (their
   * transactions are younger than one still open somewhere on the server; nothing announces
   * when that one ends). One statement: the rows past the fence come without their data, only
   * to say so.
   */
  async readBatch(after: LogPosition = START, options: ReadAllOptions = {}): Promise<{ events: StoredEvent[]; heldBack: boolean }> {
    const params: unknown[] = [after.transactionId, after.globalPosition, options.limit ?? 1000];
    const streamFilter = options.stream ? `AND e.stream = $4` : '';
    if (options.stream) params.push(options.stream);
    const settled = options.allCommitted ? 'true' : 'e.transaction_id < fence.xmin';
    const data = options.encodedData ? 'data::text' : 'data';
    const rows: Array<EventRow & { settled: boolean }> = await this.manager(options.manager).query(
      // Qualified with `e.`: the select list's `transaction_id` is its text rendering, and
      // ordering or comparing by that would sort 10 before 9 and miss the index.
      `SELECT ${eventColumns(`CASE WHEN ${settled} THEN ${data} END AS data`)}, ${settled} AS settled
         FROM ${this.table} e, (SELECT pg_snapshot_xmin(pg_current_snapshot()) AS xmin) fence
        WHERE (e.transaction_id, e.global_position) > ($1::xid8, $2::bigint)
          ${streamFilter}
        ORDER BY e.transaction_id, e.global_position
        LIMIT $3`,
      params,
    );
    // Ordered by transaction id, so every settled row comes before the first held back.
    const firstHeld = rows.findIndex((row) => !row.settled);
    const kept = firstHeld < 0 ? rows : rows.slice(0, firstHeld);
    return {
      events: options.encodedData ? kept.map((row) => toStoredEvent({ ...row, data: new EncodedJson(row.data as string) })) : kept.map(toStoredEvent),
      heldBack: firstHeld >= 0,
    };
  }

  /**
   * The server's oldest transaction that holds back the readers of every log on it (the one
   * with the oldest transaction id), as far as this database user may see it; null when none
   * is visible. For the warning of a reader held back long.
   */
  async oldestOpenTransaction(manager?: Transaction): Promise<OpenTransaction | null> {
    const [row]: Array<{ pid: number; database: string | null; user: string | null; application: string | null; state: string | null; age_seconds: number | null }> =
      await this.manager(manager).query(
        `SELECT pid, datname AS database, usename AS "user", application_name AS application, state,
                round(extract(epoch FROM now() - xact_start)::numeric, 1)::float8 AS age_seconds
           FROM pg_stat_activity WHERE backend_xid IS NOT NULL AND pid <> pg_backend_pid()
          ORDER BY age(backend_xid) DESC LIMIT 1`,
      );
    return row ? { pid: row.pid, database: row.database, user: row.user, application: row.application, state: row.state, ageSeconds: row.age_seconds } : null;
  }

  /** The last version of a stream, 0 when it does not exist. */
  async streamVersion(stream: string, manager?: Transaction): Promise<number> {
    const [row]: Array<{ v: number | null }> = await this.manager(manager).query(
      `SELECT max(stream_version) AS v FROM ${this.table} WHERE stream = $1`,
      [stream],
    );
    return row?.v ?? 0;
  }
}

/** A transaction still open on the server (pg_stat_activity's view of it). */
export interface OpenTransaction {
  readonly pid: number;
  readonly database: string | null;
  readonly user: string | null;
  readonly application: string | null;
  /** e.g. `idle in transaction`. */
  readonly state: string | null;
  readonly ageSeconds: number | null;
}

/** An event id was appended before: the caller is retrying an append that already happened. */
export class DuplicateEventIdError extends Error {
  constructor(readonly ids: readonly string[]) {
    super('an event with one of these ids was already appended');
    this.name = 'DuplicateEventIdError';
  }
}
