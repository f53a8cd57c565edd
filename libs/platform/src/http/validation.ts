import type { ArgumentMetadata, PipeTransform } from '@nestjs/common';
import type { z } from 'zod';
import { BadRequestError, UnprocessableError } from './errors';

export interface ValidationOptions {
  /**
   * 400 (the default) for malformed input; 422 when the input is well-formed but not
   * acceptable, as a use case decides.
   */
  readonly status?: 400 | 422;
}

export interface FieldIssue {
  readonly field: string;
  readonly message: string;
}

/** `body` + `['items', 0, 'name']` → `body.items[0].name`. */
export function fieldPath(where: string, path: readonly PropertyKey[]): string {
  let out = where;
  for (const segment of path) {
    if (typeof segment === 'number') out += `[${segment}]`;
    else out += out === '' ? String(segment) : `.${String(segment)}`;
  }
  return out === '' ? '(input)' : out;
}

function issueMessage(issue: z.core.$ZodIssue): string {
  // zod does not echo the input by default; "received undefined" is a missing field.
  if (issue.code === 'invalid_type' && /received undefined$/.test(issue.message)) return 'required';
  if (issue.code === 'invalid_union' && issue.message === 'Invalid input') {
    // zod's own message for a union says nothing of what it expects: its options do.
    const options = [...new Set(issue.errors.map((option) => (option[0] ? issueMessage(option[0]) : '')).filter((m) => m !== '' && m !== 'Invalid input'))];
    if (options.length > 0) return options.join(', or ');
  }
  return issue.message;
}

/** Zod issues → the field-naming issues of an error response; an unknown key is an issue of that key. */
export function describeIssues(error: z.ZodError, where: string): FieldIssue[] {
  return error.issues.flatMap((issue) =>
    issue.code === 'unrecognized_keys'
      ? issue.keys.map((key) => ({ field: fieldPath(where, [...issue.path, key]), message: 'unknown field' }))
      : [{ field: fieldPath(where, issue.path), message: issueMessage(issue) }],
  );
}

/**
 * Parses `value` with `schema`, or throws a 400 (or 422) whose message names each bad
 * field, e.g. `body.artifactSha: required`. `where` prefixes the paths (`body`, `query`).
 */
export function parseOrThrow<S extends z.ZodType>(schema: S, value: unknown, where: string, options: ValidationOptions = {}): z.output<S> {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const issues = describeIssues(result.error, where);
  const message = issues.map((i) => `${i.field}: ${i.message}`).join('; ');
  const details = { field: issues[0]?.field, issues };
  throw options.status === 422 ? new UnprocessableError(message, { code: 'validation_failed', details }) : new BadRequestError(message, { code: 'validation_failed', details });
}

/**
 * `@Body(new ZodValidationPipe(createDeploySchema)) body: CreateDeploy` — the field
 * paths are prefixed with where the value came from (`body`, `query.limit`, `param.name`).
 */
export class ZodValidationPipe<S extends z.ZodType> implements PipeTransform<unknown, z.output<S>> {
  constructor(
    private readonly schema: S,
    private readonly options: ValidationOptions = {},
  ) {}

  transform(value: unknown, metadata: ArgumentMetadata): z.output<S> {
    const where = metadata.data ? `${metadata.type}.${metadata.data}` : metadata.type;
    return parseOrThrow(this.schema, value, where, this.options);
  }
}
