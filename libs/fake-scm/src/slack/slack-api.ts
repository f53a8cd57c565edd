import Ajv, { type ValidateFunction } from 'ajv';
import addFormats from 'ajv-formats';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * The subset of Slack's Web API description (Swagger 2.0, slackapi/slack-api-specs, MIT) a deploy
 * bot uses — copied from the shared fixtures Sluice started from, so a clone runs its tests. The
 * fake Slack accepts and answers exactly these shapes: every request's parameters against the
 * method's, every answer against the method's success or error schema.
 */
export const SLACK_SWAGGER_PATH = join(__dirname, 'fixtures', 'slack-web-api.subset.swagger.json');

interface SwaggerParameter {
  readonly name: string;
  readonly in: 'header' | 'formData' | 'query';
  readonly required?: boolean;
  readonly type: 'string' | 'boolean' | 'number' | 'integer';
}

export interface SlackMethod {
  /** `chat.postMessage`, … */
  readonly name: string;
  readonly httpMethod: 'GET' | 'POST';
  readonly parameters: readonly SwaggerParameter[];
}

/** A request or answer that is not what Slack's description says. */
export class SlackSchemaError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SlackSchemaError';
  }
}

/**
 * A method the fixture leaves out, described as Slack documents it (api.slack.com/methods/usergroups.users.list,
 * in the shape of Slack's own description): who is in a user group, so a group can be mapped to Sluice teams.
 */
const SUPPLEMENTARY_PATHS = {
  '/usergroups.users.list': {
    get: {
      parameters: [
        { name: 'token', in: 'header', required: true, type: 'string' },
        { name: 'usergroup', in: 'query', required: true, type: 'string' },
        { name: 'include_disabled', in: 'query', required: false, type: 'boolean' },
        { name: 'team_id', in: 'query', required: false, type: 'string' },
      ],
      responses: {
        '200': {
          schema: {
            type: 'object',
            additionalProperties: false,
            required: ['ok', 'users'],
            properties: { ok: { $ref: '#/definitions/defs_ok_true' }, users: { type: 'array', items: { $ref: '#/definitions/defs_user_id' } } },
          },
        },
        default: {
          schema: {
            type: 'object',
            additionalProperties: false,
            required: ['ok', 'error'],
            properties: {
              ok: { $ref: '#/definitions/defs_ok_false' },
              error: { type: 'string', enum: ['no_such_subteam', 'missing_scope', 'not_authed', 'invalid_auth', 'account_inactive', 'token_revoked', 'invalid_arg_name', 'invalid_form_data', 'ratelimited', 'fatal_error'] },
            },
          },
        },
      },
    },
  },
} as const;

export class SlackApiDescription {
  readonly methods = new Map<string, SlackMethod>();
  private readonly success = new Map<string, ValidateFunction>();
  private readonly failure = new Map<string, ValidateFunction>();

  constructor(path = SLACK_SWAGGER_PATH) {
    const doc = JSON.parse(readFileSync(path, 'utf8')) as {
      paths: Record<string, Record<string, { parameters?: SwaggerParameter[]; responses: Record<string, { schema: object }> }>>;
      definitions: Record<string, object>;
    };
    // Slack's description is not strict JSON Schema (titles on $refs, tuple `items`): validate, don't lint it.
    const ajv = new Ajv({ strict: false, allErrors: true });
    addFormats(ajv);
    ajv.addSchema({ $id: 'slack', definitions: doc.definitions });
    const withRefs = (schema: object) => JSON.parse(JSON.stringify(schema).replaceAll('"#/definitions/', '"slack#/definitions/')) as object;
    for (const [path, operations] of Object.entries({ ...doc.paths, ...(SUPPLEMENTARY_PATHS as unknown as typeof doc.paths) })) {
      for (const [httpMethod, op] of Object.entries(operations)) {
        const name = path.slice(1);
        this.methods.set(name, { name, httpMethod: httpMethod.toUpperCase() as 'GET' | 'POST', parameters: op.parameters ?? [] });
        this.success.set(name, ajv.compile(withRefs(op.responses['200']!.schema)));
        this.failure.set(name, ajv.compile(withRefs(op.responses['default']!.schema)));
      }
    }
  }

  /**
   * The request's arguments checked against the method's parameters, as Slack checks them: an
   * unknown argument is `invalid_arg_name`, a missing required one the method's own error.
   * Returns the arguments typed (booleans and numbers parsed), or the Slack error code.
   */
  arguments(method: SlackMethod, raw: Record<string, string>): { ok: true; args: Record<string, string | boolean | number> } | { ok: false; error: string } {
    const args: Record<string, string | boolean | number> = {};
    const known = new Map(method.parameters.filter((p) => p.in !== 'header').map((p) => [p.name, p]));
    for (const [key, value] of Object.entries(raw)) {
      const parameter = known.get(key);
      if (!parameter) return { ok: false, error: 'invalid_arg_name' };
      if (parameter.type === 'boolean') {
        if (!['true', 'false', '1', '0'].includes(value)) return { ok: false, error: 'invalid_form_data' };
        args[key] = value === 'true' || value === '1';
      } else if (parameter.type === 'number' || parameter.type === 'integer') {
        if (!Number.isFinite(Number(value))) return { ok: false, error: 'invalid_form_data' };
        args[key] = Number(value);
      } else {
        args[key] = value;
      }
    }
    for (const p of known.values()) {
      if (p.required && args[p.name] === undefined) return { ok: false, error: p.name === 'channel' ? 'channel_not_found' : 'invalid_form_data' };
    }
    return { ok: true, args };
  }

  /** Throws when an answer of `method` is not what the description allows. */
  checkAnswer(method: string, body: { ok: boolean }): void {
    const kind = body.ok ? 'success' : 'error';
    const validate = (body.ok ? this.success : this.failure).get(method);
    if (!validate) throw new SlackSchemaError(`${method} is not in the Slack API description`);
    if (!validate(body)) {
      const issues = (validate.errors ?? []).map((e) => `${e.instancePath || '(root)'} ${e.message ?? ''}`).join('; ');
      throw new SlackSchemaError(`${method} ${kind} answer drifted from Slack's description: ${issues}`);
    }
  }
}
