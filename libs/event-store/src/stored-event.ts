import type { EventEnvelope } from '@sluice/contracts';

/** Where a reader stands in a service's log: (transaction id, global position). */
export interface LogPosition {
  /** xid8 of the writing transaction, as a decimal string (it is a 64-bit value). */
  readonly transactionId: string;
  readonly globalPosition: string;
}

export const START: LogPosition = { transactionId: '0', globalPosition: '0' };

/** An envelope as stored, with its place in the log. `data` is as written (validate and upcast with parseEvent). */
export interface StoredEvent extends EventEnvelope {
  readonly position: LogPosition;
}

export interface EventRow {
  global_position: string;
  transaction_id: string;
  id: string;
  stream: string;
  stream_version: number;
  type: string;
  version: number;
  data: unknown;
  correlation_id: string;
  causation_id: string | null;
  occurred_at: Date | string;
}

/** The columns of an EventRow, with `data` as the given expression. */
export const eventColumns = (data: string) =>
  `global_position, transaction_id::text AS transaction_id, id, stream, stream_version, type, version, ${data}, correlation_id, causation_id, occurred_at`;

export const EVENT_COLUMNS = eventColumns('data');

export function toStoredEvent(row: EventRow): StoredEvent {
  return {
    id: row.id,
    type: row.type,
    version: row.version,
    stream: row.stream,
    streamVersion: row.stream_version,
    occurredAt: row.occurred_at instanceof Date ? row.occurred_at.toISOString() : new Date(row.occurred_at).toISOString(),
    correlationId: row.correlation_id,
    causationId: row.causation_id,
    data: row.data,
    position: { transactionId: String(row.transaction_id), globalPosition: String(row.global_position) },
  };
}

/** Drops the log position: what goes on the wire. */
export function toEnvelope(event: StoredEvent): EventEnvelope {
  const { position: _position, ...envelope } = event;
  return envelope;
}
