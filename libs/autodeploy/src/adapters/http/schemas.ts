import { ApiBody } from '@nestjs/swagger';
import { configName, sha } from '@sluice/contracts';
import { z } from 'zod';

/** Request shapes of the deploy API, validated at the edge (400 naming the field). */

const reason = z.string().max(1000, 'at most 1000 characters').default('');

export const createDeployBody = z.strictObject({
  config: configName,
  artifactSha: sha.nullable(),
  configSha: sha.nullable(),
  reason,
});

export const reasonBody = z.strictObject({ reason }).default({ reason: '' });

export const issueTokenBody = z.strictObject({
  team: z.string().min(1, 'required').max(200, 'at most 200 characters').regex(/^\S+$/, 'no whitespace'),
});

export const configNameParam = configName;
export const deployIdParam = z.uuid('a deploy id (UUID)');

export const listConfigsQuery = z.object({ team: z.string().min(1).optional() });

export const historyQuery = z.object({
  limit: z.coerce.number().int('an integer').min(1, 'at least 1').max(200, 'at most 200').default(50),
  before: z.uuid('a deploy id (UUID)').optional(),
});

export const eventHistoryQuery = z.object({
  limit: z.coerce.number().int('an integer').min(1, 'at least 1').max(500, 'at most 500').default(100),
  before: z.coerce.number().int('an integer').min(1, 'at least 1').optional(),
});

export const eventsQuery = z.object({
  stream: z.string().min(1).max(200).optional(),
  /** `<transactionId>:<globalPosition>`, the `next` of the previous page. */
  after: z.string().regex(/^\d{1,20}:\d{1,20}$/, 'a log position <transactionId>:<globalPosition> (the next of the previous page)').optional(),
  limit: z.coerce.number().int('an integer').min(1, 'at least 1').max(1000, 'at most 1000').default(100),
});

type ApiSchema = NonNullable<Extract<Parameters<typeof ApiBody>[0], { schema?: unknown }>['schema']>;

/** A zod schema as an OpenAPI schema for @nestjs/swagger. */
export function openApiSchema(schema: z.ZodType): ApiSchema {
  const json = z.toJSONSchema(schema, { io: 'input', target: 'openapi-3.0' }) as Record<string, unknown>;
  delete json.$schema;
  return nullInEnums(json) as ApiSchema;
}

/** OpenAPI 3.0: a nullable enum must list null among its values, or validators reject null. */
function nullInEnums(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(nullInEnums);
  if (node === null || typeof node !== 'object') return node;
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(node)) out[key] = nullInEnums(value);
  if (out.nullable === true && Array.isArray(out.enum) && !out.enum.includes(null)) out.enum = [...out.enum, null];
  return out;
}
