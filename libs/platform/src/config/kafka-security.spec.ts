import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { createLogger } from '../logging/logger';
import { ConfigError, loadServiceConfig } from './config';
import { kafkaSecurityOf } from './kafka-security';

function problems(env: Record<string, string>): Array<{ variable: string; message: string }> {
  try {
    loadServiceConfig({}, env);
  } catch (err) {
    if (err instanceof ConfigError) return [...err.problems];
    throw err;
  }
  return [];
}

describe('Kafka TLS and SASL settings', () => {
  let dir: string;
  let ca: string;
  let cert: string;
  let key: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'kafka-security-'));
    [ca, cert, key] = ['ca.pem', 'cert.pem', 'key.pem'].map((f) => join(dir, f));
    for (const f of [ca, cert, key]) writeFileSync(f, `-----BEGIN ${f}-----\n`);
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('default: plaintext, no SASL (no security options at all)', () => {
    const config = loadServiceConfig({}, {});
    assert.equal(config.KAFKA_SSL, false);
    assert.equal(config.KAFKA_SSL_REJECT_UNAUTHORIZED, true);
    assert.equal(kafkaSecurityOf(config), undefined);
  });

  it('builds TLS with files and SASL from the settings', () => {
    const config = loadServiceConfig({}, {
      KAFKA_SSL: 'true',
      KAFKA_SSL_CA_FILE: ca,
      KAFKA_SSL_CERT_FILE: cert,
      KAFKA_SSL_KEY_FILE: key,
      KAFKA_SASL_MECHANISM: 'scram-sha-512',
      KAFKA_SASL_USERNAME: 'sluice',
      KAFKA_SASL_PASSWORD: 'pw',
    });
    assert.deepEqual(kafkaSecurityOf(config), {
      ssl: { caFile: ca, certFile: cert, keyFile: key, rejectUnauthorized: true },
      sasl: { mechanism: 'scram-sha-512', username: 'sluice', password: 'pw' },
    });
    const tlsOnly = loadServiceConfig({}, { KAFKA_SSL: 'true', KAFKA_SSL_REJECT_UNAUTHORIZED: 'false' });
    assert.deepEqual(kafkaSecurityOf(tlsOnly), { ssl: { caFile: undefined, certFile: undefined, keyFile: undefined, rejectUnauthorized: false } });
  });

  it('a SASL mechanism without username or password fails at start naming each variable', () => {
    assert.deepEqual(problems({ KAFKA_SASL_MECHANISM: 'plain' }), [
      { variable: 'KAFKA_SASL_USERNAME', message: 'required when KAFKA_SASL_MECHANISM is set' },
      { variable: 'KAFKA_SASL_PASSWORD', message: 'required when KAFKA_SASL_MECHANISM is set' },
    ]);
    assert.deepEqual(problems({ KAFKA_SASL_USERNAME: 'u', KAFKA_SASL_PASSWORD: 'p' }).map((p) => p.variable), ['KAFKA_SASL_USERNAME', 'KAFKA_SASL_PASSWORD']);
    assert.deepEqual(problems({ KAFKA_SASL_MECHANISM: 'gssapi', KAFKA_SASL_USERNAME: 'u', KAFKA_SASL_PASSWORD: 'p' }), [
      { variable: 'KAFKA_SASL_MECHANISM', message: 'expected one of plain, scram-sha-256, scram-sha-512' },
    ]);
  });

  it('TLS files must exist and be readable, need KAFKA_SSL=true, and a certificate needs its key', () => {
    assert.deepEqual(problems({ KAFKA_SSL: 'true', KAFKA_SSL_CA_FILE: join(dir, 'missing.pem') }), [{ variable: 'KAFKA_SSL_CA_FILE', message: 'expected a readable file' }]);
    assert.deepEqual(problems({ KAFKA_SSL: 'true', KAFKA_SSL_CA_FILE: dir }), [{ variable: 'KAFKA_SSL_CA_FILE', message: 'expected a readable file' }]);
    assert.deepEqual(problems({ KAFKA_SSL_CA_FILE: ca }), [{ variable: 'KAFKA_SSL_CA_FILE', message: 'has no effect without KAFKA_SSL=true' }]);
    assert.deepEqual(problems({ KAFKA_SSL: 'true', KAFKA_SSL_CERT_FILE: cert }), [{ variable: 'KAFKA_SSL_KEY_FILE', message: 'required when KAFKA_SSL_CERT_FILE is set' }]);
    assert.deepEqual(problems({ KAFKA_SSL: 'yes' }), [{ variable: 'KAFKA_SSL', message: 'expected true or false' }]);
    if (process.getuid?.() !== 0) {
      // root reads any file, so an unreadable file can only be shown as another user.
      chmodSync(key, 0o000);
      assert.deepEqual(problems({ KAFKA_SSL: 'true', KAFKA_SSL_CERT_FILE: cert, KAFKA_SSL_KEY_FILE: key }), [{ variable: 'KAFKA_SSL_KEY_FILE', message: 'expected a readable file' }]);
      chmodSync(key, 0o600);
    }
  });

  it('a bad setting never echoes the password, and the logger censors KAFKA_SASL_PASSWORD', () => {
    const err = problems({ KAFKA_SASL_MECHANISM: 'plain', KAFKA_SASL_PASSWORD: 'hunter2-kafka' });
    assert.ok(!JSON.stringify(err).includes('hunter2-kafka'));
    const chunks: string[] = [];
    const destination = new Writable({
      write(chunk, _enc, cb) {
        chunks.push(String(chunk));
        cb();
      },
    });
    createLogger('t', { destination, level: 'info' }).info({ KAFKA_SASL_PASSWORD: 'hunter2-kafka', settings: { KAFKA_SASL_PASSWORD: 'hunter2-kafka' } }, 'settings');
    assert.ok(chunks.join('').includes('settings'));
    assert.ok(!chunks.join('').includes('hunter2-kafka'), chunks.join(''));
  });
});
