import { z } from 'zod';
import { EVENT_TYPES, eventDefinitions } from './registry';
import { envelopeSchema } from './envelope';

export interface EventJsonSchema {
  readonly file: string;
  readonly schema: Record<string, unknown>;
}

/**
 * One JSON Schema per event type and version (envelope with `type`/`version` fixed and
 * `data` typed), for Kafka consumers outside Sluice. Written to `docs/events/`.
 */
export function eventJsonSchemas(): EventJsonSchema[] {
  const out: EventJsonSchema[] = [];
  for (const type of EVENT_TYPES) {
    const definition = eventDefinitions[type];
    (definition.versions as readonly z.ZodType[]).forEach((data, index) => {
      const version = index + 1;
      const envelope = envelopeSchema.extend({ type: z.literal(type), version: z.literal(version), data });
      const schema = z.toJSONSchema(envelope, { target: 'draft-2020-12', io: 'input' }) as Record<string, unknown>;
      out.push({
        file: `${type}.v${version}.schema.json`,
        schema: {
          $id: `https://sluice.dev/schemas/events/${type}.v${version}.schema.json`,
          title: `${type} v${version}`,
          description: `Sluice event "${type}", version ${version}, on topic ${definition.topic}`,
          ...schema,
        },
      });
    });
  }
  return out;
}
