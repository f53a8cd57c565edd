import { configName, sha, teamName } from '@sluice/contracts';
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

/** A team enters here as everywhere else: a DNS label (the rule of `@sluice/contracts`). */
export const issueTokenBody = z.strictObject({ team: teamName });

export const configNameParam = configName;
export const deployIdParam = z.uuid('a deploy id (UUID)');

export const listConfigsQuery = z.object({ team: teamName.optional() });

export const historyQuery = z.object({
  limit: z.coerce.number().int('an integer').min(1, 'at least 1').max(200, 'at most 200').default(50),
  before: z.uuid('a deploy id (UUID)').optional(),
});

export const deployLogsQuery = z.object({
  follow: z.enum(['true', 'false'], { error: 'follow: expected true or false' }).default('true').transform((v) => v === 'true'),
});

/** A log entry id a reader resumes after (`Last-Event-ID`): `<stream version>.<index>`. */
export const lastEventId = z.string().regex(/^\d{1,12}\.\d{1,6}$/, { error: 'Last-Event-ID: expected an entry id like 12.0' });

export const buildsQuery = historyQuery.pick({ limit: true });

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

/** Shared with every service: a zod schema as an OpenAPI schema for @nestjs/swagger. */
export { openApiSchema } from '@sluice/platform';
