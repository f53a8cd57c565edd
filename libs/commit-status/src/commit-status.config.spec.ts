import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { ConfigError, loadConfig } from '@sluice/platform';
import { commitStatusConfigSchema } from './commit-status.config';

const BASE = { DATABASE_URL: 'postgres://u@127.0.0.1/db' };

describe('SLUICE_SCM_API_HOSTS', () => {
  it('is a list of https origins, normalised', () => {
    const config = loadConfig(commitStatusConfigSchema, { ...BASE, SLUICE_SCM_API_HOSTS: 'https://GHE.acme.example, https://gitlab.acme.example:8443/' });
    assert.deepEqual(config.SLUICE_SCM_API_HOSTS, ['https://ghe.acme.example', 'https://gitlab.acme.example:8443']);
    assert.equal(loadConfig(commitStatusConfigSchema, BASE).SLUICE_SCM_API_HOSTS, undefined);
  });

  for (const bad of ['http://ghe.acme.example', 'https://ghe.acme.example/api/v3', 'https://u:p@ghe.acme.example', 'ghe.acme.example', 'https://ok.example,http://no.example']) {
    it(`refuses ${bad} at start, naming the variable`, () => {
      assert.throws(
        () => loadConfig(commitStatusConfigSchema, { ...BASE, SLUICE_SCM_API_HOSTS: bad }),
        (err: unknown) => err instanceof ConfigError && err.problems.length === 1 && err.problems[0].variable === 'SLUICE_SCM_API_HOSTS' && /https:\/\/host\[:port\]/.test(err.problems[0].message),
      );
    });
  }
});

describe('COMMIT_STATUS_PREVIEWS', () => {
  it('is on unless set to false; anything but true/false is refused at start', () => {
    assert.equal(loadConfig(commitStatusConfigSchema, BASE).COMMIT_STATUS_PREVIEWS, true);
    assert.equal(loadConfig(commitStatusConfigSchema, { ...BASE, COMMIT_STATUS_PREVIEWS: 'false' }).COMMIT_STATUS_PREVIEWS, false);
    assert.throws(
      () => loadConfig(commitStatusConfigSchema, { ...BASE, COMMIT_STATUS_PREVIEWS: 'yes' }),
      (err: unknown) => err instanceof ConfigError && err.problems[0].variable === 'COMMIT_STATUS_PREVIEWS' && /true or false/.test(err.problems[0].message),
    );
  });
});
