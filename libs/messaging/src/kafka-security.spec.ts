import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { kafkaSecurityConfig, KafkaSecurityFileError } from './kafka-security';

describe('kafkaSecurityConfig: kafkajs ssl and sasl for every client', () => {
  let dir: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'kafka-security-'));
    writeFileSync(join(dir, 'ca.pem'), 'CA-PEM');
    writeFileSync(join(dir, 'cert.pem'), 'CERT-PEM');
    writeFileSync(join(dir, 'key.pem'), 'KEY-PEM');
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('nothing configured: neither ssl nor sasl (plaintext)', () => {
    assert.deepEqual(kafkaSecurityConfig(undefined), {});
    assert.deepEqual(kafkaSecurityConfig({}), {});
  });

  it('TLS reads the CA, certificate and key files', () => {
    const ssl = { caFile: join(dir, 'ca.pem'), certFile: join(dir, 'cert.pem'), keyFile: join(dir, 'key.pem'), rejectUnauthorized: true };
    assert.deepEqual(kafkaSecurityConfig({ ssl }), { ssl: { rejectUnauthorized: true, ca: ['CA-PEM'], cert: 'CERT-PEM', key: 'KEY-PEM' } });
    assert.deepEqual(kafkaSecurityConfig({ ssl: { rejectUnauthorized: false } }), { ssl: { rejectUnauthorized: false } });
  });

  for (const mechanism of ['plain', 'scram-sha-256', 'scram-sha-512'] as const) {
    it(`SASL ${mechanism}`, () => {
      assert.deepEqual(kafkaSecurityConfig({ sasl: { mechanism, username: 'sluice', password: 'pw' } }), { sasl: { mechanism, username: 'sluice', password: 'pw' } });
    });
  }

  it('a file gone since start fails with a typed error naming the file, not its content', () => {
    const caFile = join(dir, 'gone.pem');
    assert.throws(() => kafkaSecurityConfig({ ssl: { caFile, rejectUnauthorized: true } }), (err: unknown) => err instanceof KafkaSecurityFileError && err.message.includes(caFile) && /ENOENT/.test(err.message));
  });
});
