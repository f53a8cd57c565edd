import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { ConfigError, loadConfig } from '@sluice/platform';
import { z } from 'zod';
import { imageRegistrySettings } from './settings';

const schema = z.object(imageRegistrySettings);

describe('imageRegistrySettings', () => {
  it('reads credentials per registry host and insecure hosts', () => {
    const config = loadConfig(schema, {
      SLUICE_REGISTRY_CREDENTIALS: JSON.stringify({ 'ghcr.io': { username: 'bot', password: 'secret-1' }, '127.0.0.1:55001': { username: 'sluice', password: 'p' } }),
      SLUICE_REGISTRY_INSECURE_HOSTS: 'registry.internal:5000, 10.0.0.7',
      SLUICE_REGISTRY_TIMEOUT_MS: '2500',
    });
    assert.deepEqual(config.SLUICE_REGISTRY_CREDENTIALS?.['ghcr.io'], { username: 'bot', password: 'secret-1' });
    assert.deepEqual(config.SLUICE_REGISTRY_INSECURE_HOSTS, ['registry.internal:5000', '10.0.0.7']);
    assert.equal(config.SLUICE_REGISTRY_TIMEOUT_MS, 2500);
  });

  it('leaves everything unset by default (anonymous, https, default timeout)', () => {
    assert.deepEqual(loadConfig(schema, {}), {});
  });

  it('names the variable of bad credentials without echoing the password', () => {
    for (const value of ['{"ghcr.io": {"username": "bot", "password": "hunter2-secret"', '{"ghcr.io": {"username": "bot"}}', '{"https://ghcr.io": {"username": "bot", "password": "hunter2-secret"}}']) {
      let error: unknown;
      try {
        loadConfig(schema, { SLUICE_REGISTRY_CREDENTIALS: value });
      } catch (err) {
        error = err;
      }
      assert.ok(error instanceof ConfigError, value);
      assert.match(error.message, /SLUICE_REGISTRY_CREDENTIALS/);
      assert.doesNotMatch(error.message, /hunter2/);
    }
  });
});
