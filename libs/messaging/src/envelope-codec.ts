import { EncodedJson, envelopeSchema, type EventEnvelope } from '@sluice/contracts';

export type DecodeResult =
  | { readonly ok: true; readonly envelope: EventEnvelope }
  | { readonly ok: false; readonly reason: string };

/** One envelope as the JSON that travels (Kafka value; the in-process bus copies through it too). */
export function encodeEnvelope(envelope: EventEnvelope): string {
  if (envelope.data instanceof EncodedJson) {
    // The stored JSON text goes in as it is (the relay's events: no parse and stringify again).
    const { data, ...rest } = envelope;
    return `${JSON.stringify(rest).slice(0, -1)},"data":${data.json}}`;
  }
  return JSON.stringify(envelope);
}

/**
 * Parses and validates a message value. Anything that is not a well-formed envelope is
 * reported, never thrown: such a message can never succeed and goes to the dead-letter topic.
 */
export function decodeEnvelope(value: Buffer | string | null | undefined): DecodeResult {
  if (value === null || value === undefined) return { ok: false, reason: 'empty message value' };
  let json: unknown;
  try {
    json = JSON.parse(typeof value === 'string' ? value : value.toString('utf8'));
  } catch (error) {
    return { ok: false, reason: `malformed JSON: ${(error as Error).message}` };
  }
  return validateEnvelope(json);
}

export function validateEnvelope(json: unknown): DecodeResult {
  const parsed = envelopeSchema.safeParse(json);
  if (!parsed.success) {
    const issues = parsed.error.issues.map((issue) => `${issue.path.join('.') || '(root)'}: ${issue.message}`);
    return { ok: false, reason: `not an event envelope: ${issues.join('; ')}` };
  }
  return { ok: true, envelope: parsed.data as EventEnvelope };
}
