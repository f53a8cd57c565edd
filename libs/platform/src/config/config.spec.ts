import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { z } from 'zod';
import { commonConfigSchema, ConfigError, httpPortOf, loadConfig, loadServiceConfig, requiredWebhookSecrets } from './config';

function configError(fn: () => unknown): ConfigError {
  try {
    fn();
  } catch (err) {
    assert.ok(err instanceof ConfigError, `expected ConfigError, got ${String(err)}`);
    return err;
  }
  assert.fail('expected a ConfigError');
}

describe('loadConfig', () => {
  it('applies the documented defaults of docs/architecture.md §9 to an empty environment', () => {
    const config = loadConfig(commonConfigSchema, {});
    assert.equal(config.SLUICE_PORT, 8080);
    assert.equal(config.SLUICE_DATA_DIR, '.sluice');
    assert.equal(config.GITHUB_API_URL, 'https://api.github.com');
    assert.equal(config.LOG_LEVEL, 'info');
    assert.equal(config.SLUICE_HOST, '127.0.0.1');
    assert.equal(config.DATABASE_URL, undefined);
    assert.equal(config.KAFKA_BROKERS, undefined);
    assert.equal(httpPortOf(config), 8080);
  });

  it('splits comma lists and lets PORT win over SLUICE_PORT', () => {
    const config = loadConfig(commonConfigSchema, {
      KAFKA_BROKERS: 'kafka-0:9092, kafka-1:9092,',
      GITHUB_WEBHOOK_SECRET: 'new-webhook-secret-0001, old-webhook-secret-0002',
      PORT: '3001',
      GITHUB_API_URL: 'http://127.0.0.1:9999/api/v3/',
    });
    assert.deepEqual(config.KAFKA_BROKERS, ['kafka-0:9092', 'kafka-1:9092']);
    assert.deepEqual(config.GITHUB_WEBHOOK_SECRET, ['new-webhook-secret-0001', 'old-webhook-secret-0002']);
    assert.equal(httpPortOf(config), 3001);
    assert.equal(config.GITHUB_API_URL, 'http://127.0.0.1:9999/api/v3');
  });

  it('treats an empty variable as unset', () => {
    const config = loadConfig(commonConfigSchema, { KAFKA_BROKERS: '', SLUICE_PORT: '' });
    assert.equal(config.KAFKA_BROKERS, undefined);
    assert.equal(config.SLUICE_PORT, 8080);
  });

  it('names each bad variable in the error, without its value', () => {
    const err = configError(() =>
      loadConfig(commonConfigSchema, {
        KAFKA_BROKERS: 'not a broker list',
        SLUICE_PORT: '70000',
        DATABASE_URL: 'mysql://user:hunter2@db/sluice',
        LOG_LEVEL: 'loud',
      }),
    );
    assert.match(err.message, /KAFKA_BROKERS: expected host:port\[,host:port\]/);
    assert.match(err.message, /SLUICE_PORT: expected a port number/);
    assert.match(err.message, /DATABASE_URL: expected a postgres/);
    assert.match(err.message, /LOG_LEVEL: expected one of/);
    assert.deepEqual(err.problems.map((p) => p.variable).sort(), ['DATABASE_URL', 'KAFKA_BROKERS', 'LOG_LEVEL', 'SLUICE_PORT']);
    assert.doesNotMatch(err.message, /hunter2/);
  });

  it('refuses weak secrets at start (admin token under 32 characters, a webhook secret under 20, one character repeated), naming the variable, never the value', () => {
    const weak: Array<[Record<string, string>, string, RegExp]> = [
      [{ SLUICE_ADMIN_TOKEN: 'hunter2-admin' }, 'SLUICE_ADMIN_TOKEN', /at least 32 characters/],
      [{ SLUICE_ADMIN_TOKEN: 'h'.repeat(64) }, 'SLUICE_ADMIN_TOKEN', /one character repeated/],
      [{ GITHUB_WEBHOOK_SECRET: 'devsecret' }, 'GITHUB_WEBHOOK_SECRET', /at least 20 characters/],
      [{ GITHUB_WEBHOOK_SECRET: 'a-strong-enough-webhook-secret,hunter2' }, 'GITHUB_WEBHOOK_SECRET', /secret 2 of 2: too short/],
      [{ GITHUB_WEBHOOK_SECRET: '!'.repeat(40) }, 'GITHUB_WEBHOOK_SECRET', /one character repeated/],
    ];
    for (const [env, variable, reason] of weak) {
      const err = configError(() => loadConfig(commonConfigSchema, env));
      assert.deepEqual(err.problems.map((p) => p.variable), [variable], JSON.stringify(err.problems));
      assert.match(err.message, reason);
      assert.doesNotMatch(err.message, /hunter2|devsecret|hhhh|!!!!/);
    }
    // The same rules where webhook-ingest requires the secrets.
    const schema = commonConfigSchema.extend({ GITHUB_WEBHOOK_SECRET: requiredWebhookSecrets });
    assert.match(configError(() => loadConfig(schema, { GITHUB_WEBHOOK_SECRET: 'devsecret' })).message, /GITHUB_WEBHOOK_SECRET: too short/);
    const strong = loadConfig(schema, { GITHUB_WEBHOOK_SECRET: 'x'.repeat(19) + 'y', SLUICE_ADMIN_TOKEN: 'a1'.repeat(16) });
    assert.deepEqual([strong.GITHUB_WEBHOOK_SECRET, strong.SLUICE_ADMIN_TOKEN], [['x'.repeat(19) + 'y'], 'a1'.repeat(16)]);
  });

  it('reports a required variable of a service schema as not set', () => {
    const schema = commonConfigSchema.extend({ GITHUB_WEBHOOK_SECRET: requiredWebhookSecrets });
    const err = configError(() => loadConfig(schema, {}));
    assert.match(err.message, /GITHUB_WEBHOOK_SECRET: required but not set/);
  });

  it('requires GITHUB_APP_PRIVATE_KEY together with GITHUB_APP_ID', () => {
    const err = configError(() => loadServiceConfig({}, { GITHUB_APP_ID: '12345' }));
    assert.match(err.message, /GITHUB_APP_PRIVATE_KEY: required when GITHUB_APP_ID is set/);
  });

  it('turns escaped newlines of a private key into real ones', () => {
    const config = loadServiceConfig({}, {
      GITHUB_APP_ID: '12345',
      GITHUB_APP_PRIVATE_KEY: '-----BEGIN RSA PRIVATE KEY-----\\nabc\\n-----END RSA PRIVATE KEY-----',
    });
    assert.equal(config.GITHUB_APP_PRIVATE_KEY, '-----BEGIN RSA PRIVATE KEY-----\nabc\n-----END RSA PRIVATE KEY-----');
  });

  it('lets a service extend the common schema with its own variables', () => {
    const config = loadServiceConfig(
      { AUTODEPLOY_QUEUE_LIMIT: z.coerce.number().int().positive().default(10) },
      { AUTODEPLOY_QUEUE_LIMIT: '3', SLUICE_PORT: '9000' },
    );
    assert.equal(config.AUTODEPLOY_QUEUE_LIMIT, 3);
    assert.equal(config.SLUICE_PORT, 9000);
    const err = configError(() => loadServiceConfig({ AUTODEPLOY_QUEUE_LIMIT: z.coerce.number().int().positive() }, { AUTODEPLOY_QUEUE_LIMIT: 'many' }));
    assert.match(err.message, /AUTODEPLOY_QUEUE_LIMIT:/);
  });
});
