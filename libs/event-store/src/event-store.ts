import type { NewEvent } from '@sluice/contracts';
import type { DataSource, EntityManager } from 'typeorm';
import { v7 as uuidv7 } from 'uuid';
import { ConcurrencyError, isUniqueViolation } from './errors';
import { schemaIdentifier } from './sql-identifier';
import { EVENT_COLUMNS, START, toStoredEvent, type EventRow, type LogPosition, type StoredEvent } from './stored-event';

/** `number`: the stream must be exactly at this version (0 = it must not exist). `'any'`: append at the end. */
export type ExpectedVersion = number | 'any';

export interface AppendOptions {
  /** Append inside the caller's transaction (with its read-model and inbox writes). */
  manager?: EntityManager;
  /** Default correlation id for events that carry none. */
  correlationId?: string;
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
    if (events.length === 0) return [];
    const run = (manager: EntityManager) => this.appendWith(manager, stream, expectedVersion, events, options);
    // Alone, the single statement is its own transaction: no BEGIN/COMMIT round trips.
    return run(options.manager ?? this.dataSource.manager);
  }

  /**
   * One statement, so an append outside a caller's transaction is one round trip: it
   * reads the stream's last version, checks the expectation, inserts the batch and
   * announces it (NOTIFY is delivered on commit; identical payloads are merged).
   *
   * The `newer` guard keeps stream order for log readers: if the stream's last event
   * was written by a transaction with a larger xid than ours (we got our xid before it
   * committed), our events would sort before it in (transaction_id, global_position)
   * order. That is a ConcurrencyError; a retry in a new transaction gets a larger xid.
   */
  private async appendWith(
    manager: EntityManager,
    stream: string,
    expectedVersion: ExpectedVersion,
    events: readonly NewEvent[],
    options: AppendOptions,
  ): Promise<StoredEvent[]> {
    const now = new Date().toISOString();
    const ids = events.map((event) => event.id ?? uuidv7());
    let rows: Array<EventRow & { current: number; newer: boolean }>;
    try {
      rows = await manager.query(
        `WITH last AS (
           SELECT stream_version, transaction_id > pg_current_xact_id() AS newer
             FROM ${this.table} WHERE stream = $1 ORDER BY stream_version DESC LIMIT 1
         ), head AS (
           SELECT coalesce((SELECT stream_version FROM last), 0) AS current,
                  coalesce((SELECT newer FROM last), false) AS newer
         ), inserted AS (
           INSERT INTO ${this.table} (id, stream, stream_version, type, version, data, correlation_id, causation_id, occurred_at)
           SELECT e.id, $1, head.current + e.n, e.type, e.version, e.data, e.correlation_id, e.causation_id, e.occurred_at
             FROM head, unnest($3::uuid[], $4::text[], $5::int[], $6::jsonb[], $7::text[], $8::text[], $9::timestamptz[])
                  WITH ORDINALITY AS e(id, type, version, data, correlation_id, causation_id, occurred_at, n)
            WHERE ($2::int IS NULL OR head.current = $2::int) AND NOT head.newer
           RETURNING ${EVENT_COLUMNS}
         )
         SELECT inserted.*, head.current, head.newer, pg_notify($10, $1) IS NULL AS notified
           FROM head LEFT JOIN inserted ON true`,
        [
          stream,
          expectedVersion === 'any' ? null : expectedVersion,
          ids,
          events.map((e) => e.type),
          events.map((e) => e.version),
          events.map((e) => JSON.stringify(e.data)),
          events.map((e, i) => e.correlationId ?? options.correlationId ?? ids[i]),
          events.map((e) => e.causationId ?? null),
          events.map((e) => e.occurredAt ?? now),
          this.notifyChannel,
        ],
      );
    } catch (error) {
      if (isUniqueViolation(error)) {
        const e = error as { constraint?: string; driverError?: { constraint?: string } };
        if ((e.constraint ?? e.driverError?.constraint) === 'events_id_unique') throw new DuplicateEventIdError(ids);
        throw new ConcurrencyError(stream, expectedVersion);
      }
      throw error;
    }
    const [head] = rows;
    if (head.newer) throw new ConcurrencyError(stream, expectedVersion, `stream "${stream}" was advanced by a newer transaction; retry`);
    if (head.id === null) throw new ConcurrencyError(stream, expectedVersion);
    return rows.map(toStoredEvent).sort((a, b) => a.streamVersion - b.streamVersion);
  }

  async readStream(stream: string, options: { fromVersion?: number; manager?: EntityManager } = {}): Promise<StoredEvent[]> {
    const rows: EventRow[] = await (options.manager ?? this.dataSource.manager).query(
      `SELECT ${EVENT_COLUMNS} FROM ${this.table} WHERE stream = $1 AND stream_version >= $2 ORDER BY stream_version`,
      [stream, options.fromVersion ?? 1],
    );
    return rows.map(toStoredEvent);
  }

  /**
   * Committed events after `after`, in (transaction_id, global_position) order, only from
   * transactions older than every transaction still open — those can no longer change.
   */
  async readAll(
    after: LogPosition = START,
    options: { limit?: number; manager?: EntityManager; stream?: string } = {},
  ): Promise<StoredEvent[]> {
    const params: unknown[] = [after.transactionId, after.globalPosition, options.limit ?? 1000];
    const streamFilter = options.stream ? `AND e.stream = $4` : '';
    if (options.stream) params.push(options.stream);
    const rows: EventRow[] = await (options.manager ?? this.dataSource.manager).query(
      // Qualified with `e.`: the select list's `transaction_id` is its text rendering, and
      // ordering or comparing by that would sort 10 before 9 and miss the index.
      `SELECT ${EVENT_COLUMNS} FROM ${this.table} e
        WHERE (e.transaction_id, e.global_position) > ($1::xid8, $2::bigint)
          AND e.transaction_id < pg_snapshot_xmin(pg_current_snapshot())
          ${streamFilter}
        ORDER BY e.transaction_id, e.global_position
        LIMIT $3`,
      params,
    );
    return rows.map(toStoredEvent);
  }

  /** The last version of a stream, 0 when it does not exist. */
  async streamVersion(stream: string, manager?: EntityManager): Promise<number> {
    const [row]: Array<{ v: number | null }> = await (manager ?? this.dataSource.manager).query(
      `SELECT max(stream_version) AS v FROM ${this.table} WHERE stream = $1`,
      [stream],
    );
    return row?.v ?? 0;
  }
}

/** An event id was appended before: the caller is retrying an append that already happened. */
export class DuplicateEventIdError extends Error {
  constructor(readonly ids: readonly string[]) {
    super('an event with one of these ids was already appended');
    this.name = 'DuplicateEventIdError';
  }
}
