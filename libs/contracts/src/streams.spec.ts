import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { applierStream, configStream, messageKey, repoStream } from './streams';

describe('messageKey', () => {
  it('keys a config’s decisions and kube-applier’s outcomes alike, by the config name', () => {
    assert.equal(messageKey(configStream('billing-api')), 'billing-api');
    assert.equal(messageKey(applierStream('billing-api')), 'billing-api');
  });

  it('keys every other stream by itself', () => {
    assert.equal(messageKey(repoStream({ provider: 'github', id: 42, fullName: 'acme/billing' })), 'repo-github-42');
    assert.equal(messageKey('auth-token-0123456789abcdef'), 'auth-token-0123456789abcdef');
    assert.equal(messageKey('team-policy-payments'), 'team-policy-payments');
  });
});

describe('repoStream', () => {
  it('keys a repository by provider and id, so a rename keeps its stream', () => {
    assert.equal(repoStream({ provider: 'github', id: 42, fullName: 'acme/billing' }), repoStream({ provider: 'github', id: 42, fullName: 'payments/ledger' }));
    assert.notEqual(repoStream({ provider: 'github', id: 42, fullName: 'acme/billing' }), repoStream({ provider: 'gitlab', id: 42, fullName: 'acme/billing' }));
  });

  it('falls back to the name when the id is unknown, without colliding across providers', () => {
    assert.equal(repoStream({ provider: 'github', id: null, fullName: 'acme/billing' }), 'repo-acme/billing');
    assert.equal(repoStream({ provider: 'bitbucket', id: null, fullName: 'acme/billing' }), 'repo-bitbucket-acme/billing');
  });
});
