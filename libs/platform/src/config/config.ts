import { z } from 'zod';
import { kafkaSecurityIssues, kafkaSecuritySettings } from './kafka-security';

/**
 * Settings come from the environment, validated with zod at start (docs/architecture.md §9).
 * This folder is the only place in the code base that reads `process.env`; every other
 * library takes an options object built from the loaded config.
 */

export type Env = Readonly<Record<string, string | undefined>>;

export interface ConfigProblem {
  /** The environment variable, e.g. `KAFKA_BROKERS`. */
  readonly variable: string;
  readonly message: string;
}

/** A bad or missing setting. The message names every offending variable, never its value. */
export class ConfigError extends Error {
  constructor(readonly problems: readonly ConfigProblem[]) {
    super(`invalid configuration: ${problems.map((p) => `${p.variable}: ${p.message}`).join('; ')}`);
    this.name = 'ConfigError';
  }
}

/**
 * Parses the environment with `schema`. Empty strings count as unset (a compose file's
 * `KAFKA_BROKERS=` means "none"), so defaults apply to them.
 * Throws `ConfigError` naming each bad variable.
 */
export function loadConfig<S extends z.ZodType>(schema: S, env: Env = process.env): z.output<S> {
  const present: Record<string, string> = {};
  for (const [key, value] of Object.entries(env)) {
    if (value !== undefined && value !== '') present[key] = value;
  }
  const result = schema.safeParse(present);
  if (result.success) return result.data;
  const problems = result.error.issues.map((issue): ConfigProblem => {
    const variable = issue.path.map(String).join('.') || '(environment)';
    const missing = issue.code === 'invalid_type' && issue.path.length === 1 && !(String(issue.path[0]) in present);
    return { variable, message: missing ? 'required but not set' : issue.message };
  });
  throw new ConfigError(problems);
}

// ---------------------------------------------------------------------------------
// Building blocks for service schemas. Messages never echo the value: a setting may be
// a secret, and a ConfigError ends up in logs.

/** A TCP port, 1–65535 (0 is allowed only where a schema says so, e.g. tests). */
export const portSetting = z
  .string()
  .regex(/^\d+$/, { error: 'expected a port number (1-65535)' })
  .transform(Number)
  .pipe(z.number().int().min(1, { error: 'expected a port number (1-65535)' }).max(65535, { error: 'expected a port number (1-65535)' }));

/** Comma-separated list → trimmed, non-empty strings. */
export function commaListSetting(error = 'expected a comma-separated list') {
  return z
    .string()
    .transform((s) => s.split(',').map((x) => x.trim()).filter((x) => x.length > 0))
    .pipe(z.array(z.string()).min(1, { error }));
}

const HOST_PORT = /^(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9]([A-Za-z0-9.-]*[A-Za-z0-9])?):\d{1,5}$/;

/** `host:port[,host:port]` → string[]. */
export const brokerListSetting = z
  .string()
  .transform((s) => s.split(',').map((x) => x.trim()).filter((x) => x.length > 0))
  .refine((list) => list.length > 0 && list.every((b) => HOST_PORT.test(b) && Number(b.slice(b.lastIndexOf(':') + 1)) <= 65535), {
    error: 'expected host:port[,host:port]',
  });

/** A positive number of seconds, e.g. `30` or `0.5`. */
export const secondsSetting = z
  .string()
  .regex(/^\d+(\.\d+)?$/, { error: 'expected a positive number of seconds' })
  .transform(Number)
  .pipe(z.number().positive({ error: 'expected a positive number of seconds' }));

/** An absolute http(s) URL; a trailing slash is dropped so paths can be appended. */
export const httpUrlSetting = z
  .string()
  .refine((s) => {
    try {
      const u = new URL(s);
      return u.protocol === 'http:' || u.protocol === 'https:';
    } catch {
      return false;
    }
  }, { error: 'expected an http(s) URL' })
  .transform((s) => s.replace(/\/+$/, ''));

/** `postgres://` or `postgresql://` connection string. */
export const postgresUrlSetting = z.string().refine((s) => {
  try {
    const u = new URL(s);
    return u.protocol === 'postgres:' || u.protocol === 'postgresql:';
  } catch {
    return false;
  }
}, { error: 'expected a postgres:// or postgresql:// URL' });

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

export const logLevelSetting = z.enum(LOG_LEVELS, { error: `expected one of ${LOG_LEVELS.join(', ')}` });

/**
 * A PEM private key. Environments often cannot hold newlines, so a literal `\n` is
 * turned into one.
 */
export const privateKeySetting = z
  .string()
  .transform((s) => s.replace(/\\n/g, '\n'))
  .refine((s) => /-----BEGIN [A-Z ]*PRIVATE KEY-----/.test(s), { error: 'expected a PEM private key' });

/** Shortest admin token accepted at start: 32 characters (`openssl rand -hex 32` gives 64). */
export const MIN_ADMIN_TOKEN_LENGTH = 32;
/** Shortest webhook secret accepted at start (each one, during a rotation). */
export const MIN_WEBHOOK_SECRET_LENGTH = 20;

/**
 * Why `value` is too weak to be a shared secret, or null: shorter than `minLength`, or one
 * character repeated. The reason never contains the value, nor its length.
 */
export function secretWeakness(value: string, minLength: number): string | null {
  if (value.length < minLength) return `too short: at least ${minLength} characters are required (e.g. openssl rand -hex 32)`;
  if (/^(.)\1*$/su.test(value)) return 'one character repeated is not a secret (e.g. openssl rand -hex 32)';
  return null;
}

/** A bearer token anyone who knows it may use as the admin: a minimum strength, checked at start. */
export const adminTokenSetting = z.string().superRefine((value, ctx) => {
  const weakness = secretWeakness(value, MIN_ADMIN_TOKEN_LENGTH);
  if (weakness) ctx.addIssue({ code: 'custom', message: weakness });
});

/** Comma-separated webhook secrets (several during a rotation), each of a minimum strength. */
export function webhookSecretsSetting() {
  return commaListSetting('expected one or more comma-separated secrets').superRefine((secrets, ctx) => {
    secrets.forEach((secret, i) => {
      const weakness = secretWeakness(secret, MIN_WEBHOOK_SECRET_LENGTH);
      if (weakness) ctx.addIssue({ code: 'custom', message: secrets.length === 1 ? weakness : `secret ${i + 1} of ${secrets.length}: ${weakness}` });
    });
  });
}

/** Where the HTTP server listens; loopback by default, `0.0.0.0` in containers. */
export const hostSetting = z.string().regex(/^[A-Za-z0-9.:[\]-]+$/, { error: 'expected a host name or IP address' });

/**
 * The settings every service shares (docs/architecture.md §9). A plain object schema so that a
 * service can `.extend()` it with its own variables; apply `withCommonChecks` (or use
 * `loadServiceConfig`) to get the cross-field checks too.
 *
 * `GITHUB_WEBHOOK_SECRET` is optional here: only webhook-ingest needs it, and its schema
 * makes it required (`requiredWebhookSecrets`).
 */
export const commonConfigSchema = z.object({
  SLUICE_PORT: portSetting.default(8080),
  /** The port of one distributed service; wins over SLUICE_PORT when set. */
  PORT: portSetting.optional(),
  SLUICE_HOST: hostSetting.default('127.0.0.1'),
  SLUICE_DATA_DIR: z.string().default('.sluice'),
  DATABASE_URL: postgresUrlSetting.optional(),
  KAFKA_BROKERS: brokerListSetting.optional(),
  /** KAFKA_SSL*, KAFKA_SASL_* (kafka-security.ts). */
  ...kafkaSecuritySettings,
  KUBECONFIG: z.string().optional(),
  /** Set by Kubernetes in every pod: the API server of the cluster the service runs in (used when KUBECONFIG is not set). */
  KUBERNETES_SERVICE_HOST: z.string().optional(),
  KUBERNETES_SERVICE_PORT: z.string().regex(/^\d+$/, { error: 'expected a port number' }).optional(),
  GITHUB_API_URL: httpUrlSetting.default('https://api.github.com'),
  GITHUB_TOKEN: z.string().optional(),
  GITHUB_APP_ID: z.string().regex(/^\d+$/, { error: 'expected a numeric GitHub App id' }).optional(),
  GITHUB_APP_PRIVATE_KEY: privateKeySetting.optional(),
  GITHUB_WEBHOOK_SECRET: webhookSecretsSetting().optional(),
  SLUICE_ADMIN_TOKEN: adminTokenSetting.optional(),
  /**
   * Prepended to every Kafka topic and consumer group name, so that several Sluice
   * installations (or concurrent test runs) can share one broker. Default: none.
   */
  SLUICE_KAFKA_TOPIC_PREFIX: z.string().regex(/^[A-Za-z0-9._-]{1,100}$/, { error: 'expected letters, digits, ".", "_" or "-"' }).optional(),
  LOG_LEVEL: logLevelSetting.default('info'),
  /**
   * How often a replica tries to become the leader of its service's controllers (kube-applier,
   * commit-status), and the leader checks that it still is: the bound of a handover, plus the
   * controllers' start (docs/architecture.md §6 "Replicas").
   */
  SLUICE_LEADER_POLL_SECONDS: secondsSetting.default(2),
  /**
   * Sign-in with OpenID Connect (docs/architecture.md §8): the API also accepts ID tokens of
   * this issuer whose audience is SLUICE_OIDC_CLIENT_ID. Unset: only Sluice's own tokens.
   */
  SLUICE_OIDC_ISSUER: z.url({ protocol: /^https?$/, error: 'expected the issuer URL, exactly as its tokens name it' }).optional(),
  SLUICE_OIDC_CLIENT_ID: z.string().min(1).optional(),
  /** The claim that lists a person's groups (default `groups`). */
  SLUICE_OIDC_TEAMS_CLAIM: z.string().min(1).default('groups'),
  /** `group=team,…`: which group makes a person a member of which team; unset: a group named like a team is that team. */
  SLUICE_OIDC_GROUP_TEAMS: commaListSetting('expected group=team pairs, comma-separated').optional(),
  /** Groups whose members act as the admin. */
  SLUICE_OIDC_ADMIN_GROUPS: commaListSetting('expected comma-separated group names').optional(),
  /** The claim recorded as who asked (`user:<value>`); default `email`, falling back to `sub`. */
  SLUICE_OIDC_USERNAME_CLAIM: z.string().min(1).default('email'),
  /** The namespace Sluice runs in: no config may deploy there, whatever its team's policy says. */
  SLUICE_NAMESPACE: z
    .string()
    .regex(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/, { error: 'expected a namespace name (a DNS label)' })
    .default('sluice-system'),
});

export type CommonConfig = z.output<typeof commonConfigSchema>;

/** For webhook-ingest: `commonConfigSchema.extend({ GITHUB_WEBHOOK_SECRET: requiredWebhookSecrets })`. */
export const requiredWebhookSecrets = webhookSecretsSetting();

/** Cross-field rules of the common settings: a GitHub App needs both its id and its key; Kafka TLS/SASL settings go together. */
export function withCommonChecks<S extends z.ZodType<CommonConfig>>(schema: S) {
  return schema.superRefine((config, ctx) => {
    if (config.GITHUB_APP_ID !== undefined && config.GITHUB_APP_PRIVATE_KEY === undefined) {
      ctx.addIssue({ code: 'custom', path: ['GITHUB_APP_PRIVATE_KEY'], message: 'required when GITHUB_APP_ID is set' });
    }
    if (config.GITHUB_APP_PRIVATE_KEY !== undefined && config.GITHUB_APP_ID === undefined) {
      ctx.addIssue({ code: 'custom', path: ['GITHUB_APP_ID'], message: 'required when GITHUB_APP_PRIVATE_KEY is set' });
    }
    if ((config.SLUICE_OIDC_ISSUER === undefined) !== (config.SLUICE_OIDC_CLIENT_ID === undefined)) {
      const missing = config.SLUICE_OIDC_ISSUER === undefined ? 'SLUICE_OIDC_ISSUER' : 'SLUICE_OIDC_CLIENT_ID';
      ctx.addIssue({ code: 'custom', path: [missing], message: `required when ${missing === 'SLUICE_OIDC_ISSUER' ? 'SLUICE_OIDC_CLIENT_ID' : 'SLUICE_OIDC_ISSUER'} is set` });
    }
    for (const pair of config.SLUICE_OIDC_GROUP_TEAMS ?? []) {
      if (!/^[^=\s]+=[a-z0-9]([-a-z0-9]*[a-z0-9])?$/.test(pair)) {
        ctx.addIssue({ code: 'custom', path: ['SLUICE_OIDC_GROUP_TEAMS'], message: `"${pair}": expected group=team, the team a DNS label` });
      }
    }
    for (const issue of kafkaSecurityIssues(config)) ctx.addIssue({ code: 'custom', path: [issue.variable], message: issue.message });
  });
}

/**
 * The common settings plus a service's own variables, with the cross-field checks.
 * `loadServiceConfig({ AUTODEPLOY_QUEUE_LIMIT: z.coerce.number().default(10) })`.
 */
export function loadServiceConfig<T extends z.ZodRawShape = Record<never, never>>(
  extension?: T,
  env: Env = process.env,
): z.output<ReturnType<typeof commonConfigSchema.extend<T>>> {
  const schema = commonConfigSchema.extend((extension ?? {}) as T);
  return loadConfig(withCommonChecks(schema as unknown as z.ZodType<CommonConfig>), env) as unknown as z.output<
    ReturnType<typeof commonConfigSchema.extend<T>>
  >;
}

/** The HTTP port for a service: `PORT` for one distributed service, else `SLUICE_PORT`. */
export function httpPortOf(config: Pick<CommonConfig, 'PORT' | 'SLUICE_PORT'>): number {
  return config.PORT ?? config.SLUICE_PORT;
}
