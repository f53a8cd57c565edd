import { accessSync, constants, statSync } from 'node:fs';
import { z } from 'zod';

/**
 * Kafka TLS and SASL settings (#15). A broker shared with others must not take Sluice's
 * events from anyone: with TLS the connection is private, with SASL the broker knows the
 * principal and its ACLs can decide who may produce to Sluice's topics.
 */

/** A file Sluice can read now: a path that does not exist or is not readable fails at start. */
const readableFileSetting = z.string().refine(
  (path) => {
    try {
      accessSync(path, constants.R_OK);
      return statSync(path).isFile();
    } catch {
      return false;
    }
  },
  { error: 'expected a readable file' },
);

const booleanSetting = z.enum(['true', 'false'], { error: 'expected true or false' }).transform((v) => v === 'true');

export const KAFKA_SASL_MECHANISMS = ['plain', 'scram-sha-256', 'scram-sha-512'] as const;
export type KafkaSaslMechanism = (typeof KAFKA_SASL_MECHANISMS)[number];

/** The variables, spread into the common schema. */
export const kafkaSecuritySettings = {
  /** Connect to the brokers over TLS. */
  KAFKA_SSL: booleanSetting.default(false),
  /** PEM CA bundle the brokers' certificates are checked against (default: Node's trusted CAs). */
  KAFKA_SSL_CA_FILE: readableFileSetting.optional(),
  /** PEM client certificate and its key, for brokers that authenticate clients by TLS (mTLS). */
  KAFKA_SSL_CERT_FILE: readableFileSetting.optional(),
  KAFKA_SSL_KEY_FILE: readableFileSetting.optional(),
  /** `false` accepts any broker certificate: for a test broker only. */
  KAFKA_SSL_REJECT_UNAUTHORIZED: booleanSetting.default(true),
  KAFKA_SASL_MECHANISM: z.enum(KAFKA_SASL_MECHANISMS, { error: `expected one of ${KAFKA_SASL_MECHANISMS.join(', ')}` }).optional(),
  KAFKA_SASL_USERNAME: z.string().optional(),
  /** Censored in logs (logging/redact.ts). */
  KAFKA_SASL_PASSWORD: z.string().optional(),
};

type KafkaSecuritySettings = z.output<z.ZodObject<typeof kafkaSecuritySettings>>;

/** The cross-field rules: each problem names the variable to set or remove. */
export function kafkaSecurityIssues(config: KafkaSecuritySettings): Array<{ variable: keyof KafkaSecuritySettings; message: string }> {
  const issues: Array<{ variable: keyof KafkaSecuritySettings; message: string }> = [];
  if (config.KAFKA_SASL_MECHANISM !== undefined) {
    if (config.KAFKA_SASL_USERNAME === undefined) issues.push({ variable: 'KAFKA_SASL_USERNAME', message: 'required when KAFKA_SASL_MECHANISM is set' });
    if (config.KAFKA_SASL_PASSWORD === undefined) issues.push({ variable: 'KAFKA_SASL_PASSWORD', message: 'required when KAFKA_SASL_MECHANISM is set' });
  } else {
    for (const variable of ['KAFKA_SASL_USERNAME', 'KAFKA_SASL_PASSWORD'] as const) {
      if (config[variable] !== undefined) issues.push({ variable, message: 'has no effect without KAFKA_SASL_MECHANISM' });
    }
  }
  if (!config.KAFKA_SSL) {
    for (const variable of ['KAFKA_SSL_CA_FILE', 'KAFKA_SSL_CERT_FILE', 'KAFKA_SSL_KEY_FILE'] as const) {
      if (config[variable] !== undefined) issues.push({ variable, message: 'has no effect without KAFKA_SSL=true' });
    }
  }
  if (config.KAFKA_SSL_CERT_FILE !== undefined && config.KAFKA_SSL_KEY_FILE === undefined) {
    issues.push({ variable: 'KAFKA_SSL_KEY_FILE', message: 'required when KAFKA_SSL_CERT_FILE is set' });
  }
  if (config.KAFKA_SSL_KEY_FILE !== undefined && config.KAFKA_SSL_CERT_FILE === undefined) {
    issues.push({ variable: 'KAFKA_SSL_CERT_FILE', message: 'required when KAFKA_SSL_KEY_FILE is set' });
  }
  return issues;
}

/** How to reach the brokers securely; the messaging library turns it into kafkajs's `ssl` and `sasl`. */
export interface KafkaSecurity {
  readonly ssl?: { readonly caFile?: string; readonly certFile?: string; readonly keyFile?: string; readonly rejectUnauthorized: boolean };
  readonly sasl?: { readonly mechanism: KafkaSaslMechanism; readonly username: string; readonly password: string };
}

/** The loaded settings as `KafkaSecurity`; undefined for a plaintext, unauthenticated connection. */
export function kafkaSecurityOf(config: Partial<KafkaSecuritySettings>): KafkaSecurity | undefined {
  const ssl = config.KAFKA_SSL
    ? {
        caFile: config.KAFKA_SSL_CA_FILE,
        certFile: config.KAFKA_SSL_CERT_FILE,
        keyFile: config.KAFKA_SSL_KEY_FILE,
        rejectUnauthorized: config.KAFKA_SSL_REJECT_UNAUTHORIZED ?? true,
      }
    : undefined;
  const sasl =
    config.KAFKA_SASL_MECHANISM && config.KAFKA_SASL_USERNAME !== undefined && config.KAFKA_SASL_PASSWORD !== undefined
      ? { mechanism: config.KAFKA_SASL_MECHANISM, username: config.KAFKA_SASL_USERNAME, password: config.KAFKA_SASL_PASSWORD }
      : undefined;
  return ssl || sasl ? { ...(ssl ? { ssl } : {}), ...(sasl ? { sasl } : {}) } : undefined;
}
