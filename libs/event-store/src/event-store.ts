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
    return options.manager ? run(options.manager) : this.dataSource.transaction(run);
  }

  private async appendWith(
    manager: EntityManager,
    stream: string,
    expectedVersion: ExpectedVersion,
    events: readonly NewEvent[],
    options: AppendOptions,
  ): Promise<StoredEvent[]> {
    const current = await this.currentVersion(manager, stream, expectedVersion);
    const now = new Date().toISOString();
    const rows = events.map((event, index) => ({
      id: event.id ?? uuidv7(),
      version: current + index + 1,
      event,
    }));
    try {
      const inserted: EventRow[] = await manager.query(
        `INSERT INTO ${this.table} (id, stream, stream_version, type, version, data, correlation_id, causation_id, occurred_at)
         SELECT * FROM unnest($1::uuid[], $2::text[], $3::int[], $4::text[], $5::int[], $6::jsonb[], $7::text[], $8::text[], $9::timestamptz[])
         RETURNING ${EVENT_COLUMNS}`,
        [
          rows.map((r) => r.id),
          rows.map(() => stream),
          rows.map((r) => r.version),
          rows.map((r) => r.event.type),
          rows.map((r) => r.event.version),
          rows.map((r) => JSON.stringify(r.event.data)),
          rows.map((r) => r.event.correlationId ?? options.correlationId ?? r.id),
          rows.map((r) => r.event.causationId ?? null),
          rows.map((r) => r.event.occurredAt ?? now),
        ],
      );
      await manager.query('SELECT pg_notify($1, $2)', [this.notifyChannel, stream]);
      return inserted.map(toStoredEvent).sort((a, b) => a.streamVersion - b.streamVersion);
    } catch (error) {
      if (isUniqueViolation(error)) {
        const constraint = (error as { constraint?: string; driverError?: { constraint?: string } }).constraint ??
          (error as { driverError?: { constraint?: string } }).driverError?.constraint;
        if (constraint === 'events_id_unique') throw new DuplicateEventIdError(rows.map((r) => r.id));
        throw new ConcurrencyError(stream, expectedVersion);
      }
      throw error;
    }
  }

  /**
   * The version to append after. Also guards stream order for log readers: if the
   * stream's last event was written by a transaction with a larger xid than ours (we
   * got our xid before it committed), appending now would sort our event before it in
   * (transaction_id, global_position) order. That case is a ConcurrencyError; a retry
   * in a new transaction gets a larger xid.
   */
  private async currentVersion(manager: EntityManager, stream: string, expected: ExpectedVersion): Promise<number> {
    const [last]: Array<{ stream_version: number; newer: boolean }> = await manager.query(
      `SELECT stream_version, transaction_id > pg_current_xact_id() AS newer
         FROM ${this.table} WHERE stream = $1 ORDER BY stream_version DESC LIMIT 1`,
      [stream],
    );
    const version = last?.stream_version ?? 0;
    if (expected !== 'any' && version !== expected) throw new ConcurrencyError(stream, expected);
    if (last?.newer) {
      throw new ConcurrencyError(stream, expected, `stream "${stream}" was advanced by a newer transaction; retry`);
    }
    return version;
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
    const streamFilter = options.stream ? `AND stream = $4` : '';
    if (options.stream) params.push(options.stream);
    const rows: EventRow[] = await (options.manager ?? this.dataSource.manager).query(
      `SELECT ${EVENT_COLUMNS} FROM ${this.table}
        WHERE (transaction_id, global_position) > ($1::xid8, $2::bigint)
          AND transaction_id < pg_snapshot_xmin(pg_current_snapshot())
          ${streamFilter}
        ORDER BY transaction_id, global_position
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
