import { z } from 'zod';
import type { EventEnvelope } from './envelope';
import { envelopeSchema } from './envelope';
import { eventDefinitions, isEventType, latestVersion, schemaOf, type EventData, type EventType } from './registry';

/** A Sluice event at its latest version: a discriminated union on `type`. */
export type SluiceEvent = { [K in EventType]: EventEnvelope<K, EventData<K>> }[EventType];
export type SluiceEventOf<K extends EventType> = EventEnvelope<K, EventData<K>>;

export type ParseFailure = 'malformed-envelope' | 'unknown-type' | 'unknown-version' | 'invalid-data';

/** Raised when a raw message is not a Sluice event this reader understands. Never retried: dead-letter it. */
export class EventParseError extends Error {
  constructor(
    readonly failure: ParseFailure,
    message: string,
    readonly issues: readonly { path: string; message: string }[] = [],
  ) {
    super(message);
    this.name = 'EventParseError';
  }
}

const issuesOf = (error: z.ZodError) =>
  error.issues.map((issue) => ({ path: issue.path.join('.'), message: issue.message }));

/** Validates a raw envelope, then its payload against the stored version, then upcasts to the latest version. */
export function parseEvent(raw: unknown): SluiceEvent {
  const envelope = envelopeSchema.safeParse(raw);
  if (!envelope.success) {
    throw new EventParseError('malformed-envelope', 'not a Sluice event envelope', issuesOf(envelope.error));
  }
  const { type, version } = envelope.data;
  if (!isEventType(type)) throw new EventParseError('unknown-type', `unknown event type "${type}"`);
  const schema = schemaOf(type, version);
  if (!schema) {
    throw new EventParseError(
      'unknown-version',
      `unknown version ${version} of "${type}" (latest is ${latestVersion(type)})`,
    );
  }
  const data = schema.safeParse(envelope.data.data);
  if (!data.success) {
    throw new EventParseError('invalid-data', `invalid data for "${type}" v${version}`, issuesOf(data.error));
  }
  return { ...envelope.data, type, version: latestVersion(type), data: upcast(type, version, data.data) } as SluiceEvent;
}

function upcast(type: EventType, from: number, data: unknown): unknown {
  const upcasters = (eventDefinitions[type] as { upcasters?: ReadonlyArray<(d: unknown) => unknown> }).upcasters ?? [];
  let current = data;
  for (let version = from; version < latestVersion(type); version++) {
    const lift = upcasters[version - 1];
    if (!lift) throw new EventParseError('unknown-version', `no upcaster from v${version} of "${type}"`);
    current = lift(current);
  }
  return current;
}

/** Validates data for a new event of the latest version; throws EventParseError naming the fields. */
export function validateEventData<K extends EventType>(type: K, data: EventData<K>): EventData<K> {
  const schema = schemaOf(type, latestVersion(type))!;
  const result = schema.safeParse(data);
  if (!result.success) {
    throw new EventParseError('invalid-data', `invalid data for "${type}"`, issuesOf(result.error));
  }
  return result.data as EventData<K>;
}

/** A new event of the latest version of its type, ready for `append`. */
export function newEvent<K extends EventType>(
  type: K,
  data: EventData<K>,
  meta: { correlationId?: string; causationId?: string | null; id?: string } = {},
) {
  return { type, version: latestVersion(type), data: validateEventData(type, data), ...meta };
}
