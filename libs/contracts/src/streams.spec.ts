import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { applierStream, configStream, messageKey, repoStream } from './streams';

describe('messageKey', () => {
  it('keys a config’s decisions and kube-applier’s outcomes alike, by the config name', () => {
    assert.equal(messageKey(configStream('billing-api')), 'billing-api');
    assert.equal(messageKey(applierStream('billing-api')), 'billing-api');
  });

  it('keys every other stream by itself', () => {
    assert.equal(messageKey(repoStream('acme/billing')), 'repo-acme/billing');
    assert.equal(messageKey('auth-token-0123456789abcdef'), 'auth-token-0123456789abcdef');
    assert.equal(messageKey('team-policy-payments'), 'team-policy-payments');
  });
});
