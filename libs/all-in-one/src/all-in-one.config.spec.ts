import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { loadConfig } from '@sluice/platform';
import { allInOneConfigSchema } from './all-in-one.config';

const base = { GITHUB_WEBHOOK_SECRET: 'all-in-one-webhook-secret-for-tests', SLUICE_ADMIN_TOKEN: 'all-in-one-admin-token-for-tests-0123' };

describe('all-in-one config', () => {
  it('SLUICE_PUBLIC_URL defaults to the address the app listens on', () => {
    assert.equal(loadConfig(allInOneConfigSchema, base).SLUICE_PUBLIC_URL, 'http://127.0.0.1:8080');
    assert.equal(loadConfig(allInOneConfigSchema, { ...base, SLUICE_PORT: '9090' }).SLUICE_PUBLIC_URL, 'http://127.0.0.1:9090');
    assert.equal(loadConfig(allInOneConfigSchema, { ...base, SLUICE_HOST: '0.0.0.0', SLUICE_PORT: '9090' }).SLUICE_PUBLIC_URL, 'http://127.0.0.1:9090');
  });

  it('an explicit SLUICE_PUBLIC_URL wins; a bad one names the variable', () => {
    assert.equal(loadConfig(allInOneConfigSchema, { ...base, SLUICE_PUBLIC_URL: 'https://sluice.example.com' }).SLUICE_PUBLIC_URL, 'https://sluice.example.com');
    assert.throws(() => loadConfig(allInOneConfigSchema, { ...base, SLUICE_PUBLIC_URL: 'not a url' }), /SLUICE_PUBLIC_URL/);
  });
});
