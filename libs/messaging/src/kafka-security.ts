import { readFileSync } from 'node:fs';
import type { KafkaConfig, SASLOptions } from 'kafkajs';

/**
 * How to reach the brokers securely (`@sluice/platform`'s `kafkaSecurityOf(config)` builds it
 * from KAFKA_SSL* and KAFKA_SASL_*).
 */
export interface KafkaSecurityOptions {
  readonly ssl?: { readonly caFile?: string; readonly certFile?: string; readonly keyFile?: string; readonly rejectUnauthorized: boolean };
  readonly sasl?: { readonly mechanism: 'plain' | 'scram-sha-256' | 'scram-sha-512'; readonly username: string; readonly password: string };
}

/** A TLS or SASL file that cannot be read when the client is built. */
export class KafkaSecurityFileError extends Error {
  override readonly name = 'KafkaSecurityFileError';
}

/**
 * kafkajs's `ssl` and `sasl` for every client Sluice creates (the one place they are built).
 * Files are read here, once per client: a rotated certificate takes effect at the next start.
 */
export function kafkaSecurityConfig(security: KafkaSecurityOptions | undefined): Pick<KafkaConfig, 'ssl' | 'sasl'> {
  const out: { ssl?: KafkaConfig['ssl']; sasl?: SASLOptions } = {};
  const ssl = security?.ssl;
  if (ssl) {
    const ca = ssl.caFile ? [read(ssl.caFile, 'CA')] : undefined;
    const cert = ssl.certFile ? read(ssl.certFile, 'certificate') : undefined;
    const key = ssl.keyFile ? read(ssl.keyFile, 'key') : undefined;
    out.ssl = { rejectUnauthorized: ssl.rejectUnauthorized, ...(ca ? { ca } : {}), ...(cert ? { cert } : {}), ...(key ? { key } : {}) };
  }
  const sasl = security?.sasl;
  // kafkajs types the mechanisms as a union of per-mechanism option objects.
  if (sasl) out.sasl = { mechanism: sasl.mechanism, username: sasl.username, password: sasl.password } as SASLOptions;
  return out;
}

function read(path: string, what: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (err) {
    throw new KafkaSecurityFileError(`Kafka TLS ${what} file ${path} cannot be read: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
}
