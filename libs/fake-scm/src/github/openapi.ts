import Ajv, { type ErrorObject, type ValidateFunction } from 'ajv';
import addFormats from 'ajv-formats';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * The subset of GitHub's official OpenAPI description (from @octokit/openapi, MIT) that
 * Sluice talks to — copied from the shared API fixtures Sluice started from
 * kept in this lib so a fresh clone can run its tests. The fake answers with, and accepts,
 * exactly the shapes it describes.
 */
export const GITHUB_OPENAPI_PATH = join(__dirname, 'fixtures', 'api.github.com.subset.openapi.json');

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type JsonObject = { [key: string]: Json };

export interface OpenApiOperation {
  readonly method: string;
  /** OpenAPI path template, e.g. `/repos/{owner}/{repo}/branches`. */
  readonly path: string;
  readonly operationId: string;
  readonly hasRequestBody: boolean;
  /** Status codes documented for the operation ("200", "201", ...). */
  readonly statuses: readonly string[];
  /** Not in the fixture: added by this fake (see SUPPLEMENTARY_PATHS). */
  readonly supplementary: boolean;
}

export interface SchemaIssue {
  readonly path: string;
  readonly message: string;
  readonly keyword: string;
  /** The offending property (the missing one for `required`). */
  readonly field: string;
}

/**
 * OpenAPI 3.0 → JSON Schema for plain Ajv: `nullable: true` becomes a `null` alternative.
 * `oneOf` becomes `anyOf`: GitHub's description lists overlapping alternatives (e.g. a 409
 * body is `basic-error` or `repository-rule-violation-error`, and any error matches both),
 * so "exactly one" would reject real responses.
 */
function convertNullable(node: Json): Json {
  if (Array.isArray(node)) return node.map(convertNullable);
  if (node === null || typeof node !== 'object') return node;
  const out: JsonObject = {};
  for (const [k, v] of Object.entries(node)) {
    // `example(s)` are data, not schemas: leave them alone.
    out[k === 'oneOf' ? 'anyOf' : k] = k === 'example' || k === 'examples' ? v : convertNullable(v);
  }
  if (out.nullable === true) {
    delete out.nullable;
    if (typeof out.type === 'string') {
      out.type = [out.type, 'null'];
      if (Array.isArray(out.enum) && !out.enum.includes(null)) out.enum = [...out.enum, null];
      return out;
    }
    return { anyOf: [out, { type: 'null' }] };
  }
  return out;
}

/**
 * Operations GitHub Apps need that the fixture leaves out: the App's own webhook deliveries.
 * They are described here with the fixture's components (the same `hook-delivery-item` the repo
 * hook endpoints use), as GitHub's full description does.
 */
export const SUPPLEMENTARY_PATHS: JsonObject = {
  // Compare two commits. Not in the fixture; described as GitHub documents it (the
  // `commit-comparison` schema of GitHub's REST description, `repos/compare-commits`),
  // with the fixture's `commit` and `diff-entry` components.
  '/repos/{owner}/{repo}/compare/{basehead}': {
    get: {
      operationId: 'repos/compare-commits',
      'x-fake-scm-supplement': true,
      responses: {
        '200': {
          content: {
            'application/json': {
              schema: {
                type: 'object',
                required: [
                  'url',
                  'html_url',
                  'permalink_url',
                  'diff_url',
                  'patch_url',
                  'base_commit',
                  'merge_base_commit',
                  'status',
                  'ahead_by',
                  'behind_by',
                  'total_commits',
                  'commits',
                ],
                properties: {
                  url: { type: 'string', format: 'uri' },
                  html_url: { type: 'string', format: 'uri' },
                  permalink_url: { type: 'string', format: 'uri' },
                  diff_url: { type: 'string', format: 'uri' },
                  patch_url: { type: 'string', format: 'uri' },
                  base_commit: { $ref: '#/components/schemas/commit' },
                  merge_base_commit: { $ref: '#/components/schemas/commit' },
                  status: { type: 'string', enum: ['diverged', 'ahead', 'behind', 'identical'] },
                  ahead_by: { type: 'integer' },
                  behind_by: { type: 'integer' },
                  total_commits: { type: 'integer' },
                  commits: { type: 'array', items: { $ref: '#/components/schemas/commit' } },
                  files: { type: 'array', items: { $ref: '#/components/schemas/diff-entry' } },
                },
              },
            },
          },
        },
        '404': { $ref: '#/components/responses/not_found' },
        '500': { $ref: '#/components/responses/internal_error' },
      },
    },
  },
  '/app/hook/deliveries': {
    get: {
      operationId: 'apps/list-webhook-deliveries',
      'x-fake-scm-supplement': true,
      responses: {
        '200': { content: { 'application/json': { schema: { type: 'array', items: { $ref: '#/components/schemas/hook-delivery-item' } } } } },
        '400': { $ref: '#/components/responses/bad_request' },
        '422': { $ref: '#/components/responses/validation_failed' },
      },
    },
  },
  '/app/hook/deliveries/{delivery_id}/attempts': {
    post: {
      operationId: 'apps/redeliver-webhook-delivery',
      'x-fake-scm-supplement': true,
      responses: { '202': { $ref: '#/components/responses/accepted' }, '400': { $ref: '#/components/responses/bad_request' }, '422': { $ref: '#/components/responses/validation_failed' } },
    },
  },
};

function toIssues(errors: ErrorObject[] | null | undefined): SchemaIssue[] {
  return (errors ?? []).map((e) => ({
    path: e.instancePath || '/',
    keyword: e.keyword,
    field:
      e.keyword === 'required'
        ? String((e.params as { missingProperty?: string }).missingProperty)
        : e.instancePath.split('/').filter(Boolean).join('.') || '(root)',
    message: `${e.instancePath || '(root)'} ${e.message ?? 'is invalid'}${e.params && 'allowedValues' in e.params ? `: ${JSON.stringify((e.params as { allowedValues: unknown }).allowedValues)}` : ''}${e.params && 'additionalProperty' in e.params ? `: ${String((e.params as { additionalProperty: unknown }).additionalProperty)}` : ''}`,
  }));
}

export class ResponseSchemaError extends Error {
  constructor(
    readonly operationId: string,
    readonly status: number,
    readonly issues: readonly SchemaIssue[],
  ) {
    super(
      `fake GitHub response for ${operationId} (${status}) does not match the OpenAPI fixture: ${issues
        .slice(0, 5)
        .map((i) => i.message)
        .join('; ')}`,
    );
    this.name = 'ResponseSchemaError';
  }
}

/** Loads the fixture once and compiles validators lazily, per operation and status. */
export class GitHubOpenApi {
  private readonly doc: JsonObject;
  private readonly ajv: Ajv;
  private readonly requestValidators = new Map<string, ValidateFunction | null>();
  private readonly responseValidators = new Map<string, ValidateFunction | null>();
  readonly operations: readonly OpenApiOperation[];

  private static shared: GitHubOpenApi | undefined;

  /** One instance per process: compiling the schemas is the expensive part. */
  static load(): GitHubOpenApi {
    GitHubOpenApi.shared ??= new GitHubOpenApi(JSON.parse(readFileSync(GITHUB_OPENAPI_PATH, 'utf8')) as JsonObject);
    return GitHubOpenApi.shared;
  }

  constructor(raw: JsonObject) {
    this.doc = convertNullable({ ...raw, paths: { ...(raw.paths as JsonObject), ...SUPPLEMENTARY_PATHS } }) as JsonObject;
    this.ajv = new Ajv({ strict: false, allErrors: true, validateFormats: true });
    addFormats(this.ajv);
    this.ajv.addSchema({ $id: 'gh', components: this.doc.components } as never);
    const ops: OpenApiOperation[] = [];
    for (const [path, item] of Object.entries(this.doc.paths as JsonObject)) {
      for (const [method, op] of Object.entries(item as JsonObject)) {
        if (!['get', 'post', 'put', 'patch', 'delete'].includes(method)) continue;
        const o = op as JsonObject;
        ops.push({
          method: method.toUpperCase(),
          path,
          operationId: String(o.operationId),
          hasRequestBody: o.requestBody !== undefined,
          statuses: Object.keys((o.responses as JsonObject) ?? {}),
          supplementary: o['x-fake-scm-supplement'] === true,
        });
      }
    }
    this.operations = ops;
  }

  operation(operationId: string): OpenApiOperation {
    const op = this.operations.find((o) => o.operationId === operationId);
    if (!op) throw new Error(`operation ${operationId} is not in the GitHub OpenAPI fixture`);
    return op;
  }

  private rawOperation(operationId: string): JsonObject {
    const op = this.operation(operationId);
    return ((this.doc.paths as JsonObject)[op.path] as JsonObject)[op.method.toLowerCase()] as JsonObject;
  }

  /** `#/components/...` refs become refs into the registered `gh` schema. */
  private rebase(schema: Json): Json {
    if (Array.isArray(schema)) return schema.map((s) => this.rebase(s));
    if (schema === null || typeof schema !== 'object') return schema;
    const out: JsonObject = {};
    for (const [k, v] of Object.entries(schema)) {
      out[k] = k === '$ref' && typeof v === 'string' && v.startsWith('#/') ? `gh${v}` : this.rebase(v);
    }
    return out;
  }

  private resolve(node: Json): JsonObject {
    let cur = node as JsonObject;
    while (cur && typeof cur.$ref === 'string') {
      const parts = cur.$ref.replace(/^#\//, '').split('/');
      let target: Json = this.doc;
      for (const p of parts) target = (target as JsonObject)[p];
      cur = target as JsonObject;
    }
    return cur;
  }

  private compile(schema: Json | undefined): ValidateFunction | null {
    if (schema === undefined) return null;
    return this.ajv.compile(this.rebase(schema) as object);
  }

  /** Validator of the JSON request body; null when the operation documents none. */
  requestValidator(operationId: string): ValidateFunction | null {
    if (!this.requestValidators.has(operationId)) {
      const op = this.rawOperation(operationId);
      const body = op.requestBody ? this.resolve(op.requestBody) : undefined;
      const schema = (((body?.content as JsonObject | undefined)?.['application/json'] as JsonObject | undefined)?.schema) as Json | undefined;
      this.requestValidators.set(operationId, this.compile(schema));
    }
    return this.requestValidators.get(operationId) ?? null;
  }

  /** Validator for a documented status; null when that status has no JSON body. */
  responseValidator(operationId: string, status: number): ValidateFunction | null {
    const key = `${operationId} ${status}`;
    if (!this.responseValidators.has(key)) {
      const op = this.rawOperation(operationId);
      const responses = op.responses as JsonObject;
      const documented = responses[String(status)];
      let validator: ValidateFunction | null = null;
      if (documented !== undefined) {
        const resp = this.resolve(documented);
        const schema = ((resp.content as JsonObject | undefined)?.['application/json'] as JsonObject | undefined)?.schema;
        validator = this.compile(schema);
      }
      this.responseValidators.set(key, validator);
    }
    return this.responseValidators.get(key) ?? null;
  }

  isDocumentedStatus(operationId: string, status: number): boolean {
    return this.operation(operationId).statuses.includes(String(status));
  }

  validateRequest(operationId: string, body: unknown): SchemaIssue[] {
    const v = this.requestValidator(operationId);
    if (!v) return [];
    return v(body) ? [] : toIssues(v.errors);
  }

  validateResponse(operationId: string, status: number, body: unknown): SchemaIssue[] {
    const v = this.responseValidator(operationId, status);
    if (!v) return [];
    return v(body) ? [] : toIssues(v.errors);
  }

  /** The fixture's example for a response (the first one), deep-copied. */
  example(operationId: string, status: number, name?: string): unknown {
    const op = this.rawOperation(operationId);
    const resp = this.resolve((op.responses as JsonObject)[String(status)]);
    const media = (resp.content as JsonObject | undefined)?.['application/json'] as JsonObject | undefined;
    const examples = media?.examples as JsonObject | undefined;
    if (!examples) return undefined;
    const key = name ?? Object.keys(examples)[0];
    const ex = this.resolve(examples[key]);
    return structuredClone(ex.value);
  }

  /** A named example from `components.examples`, deep-copied. */
  componentExample(name: string): unknown {
    const ex = ((this.doc.components as JsonObject).examples as JsonObject)[name] as JsonObject | undefined;
    if (!ex) throw new Error(`example ${name} is not in the GitHub OpenAPI fixture`);
    return structuredClone(ex.value);
  }
}
