import { z } from 'zod';

/**
 * The event envelope of docs/architecture.md §3: one JSON Kafka message each, key = stream.
 * `type` is a literal string and `version` an integer per type; published versions
 * are never edited (a breaking change is a new version plus an upcaster).
 */
export interface EventEnvelope<TType extends string = string, TData = unknown> {
  readonly id: string;
  readonly type: TType;
  readonly version: number;
  readonly stream: string;
  readonly streamVersion: number;
  readonly occurredAt: string;
  readonly correlationId: string;
  readonly causationId: string | null;
  readonly data: TData;
}

/** The envelope's own shape, checked before the payload of its type is. */
export const envelopeSchema = z.object({
  id: z.uuid(),
  type: z.string().min(1),
  version: z.number().int().positive(),
  stream: z.string().min(1),
  streamVersion: z.number().int().nonnegative(),
  occurredAt: z.iso.datetime({ offset: true }),
  correlationId: z.string().min(1),
  causationId: z.string().min(1).nullable(),
  data: z.unknown(),
});

/** An event about to be appended: the store assigns id, streamVersion and occurredAt if absent. */
export interface NewEvent<TType extends string = string, TData = unknown> {
  readonly id?: string;
  readonly type: TType;
  readonly version: number;
  readonly data: TData;
  readonly correlationId?: string;
  readonly causationId?: string | null;
  readonly occurredAt?: string;
}

/**
 * Event data kept as the JSON text it was stored as: the outbox relay hands it to the bus, whose
 * encoder splices it into the message as it is instead of parsing and re-serialising it.
 * Anywhere else it serialises like the value itself (`toJSON`).
 */
export class EncodedJson {
  constructor(readonly json: string) {}

  toJSON(): unknown {
    return JSON.parse(this.json);
  }
}
