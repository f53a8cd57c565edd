import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { ApiOriginPolicy } from './api-origins';

describe('ApiOriginPolicy: a token goes only to configured SCM API origins', () => {
  const policy = new ApiOriginPolicy(['https://api.github.com', 'https://gitlab.com/api/v4', 'http://127.0.0.1:4010'], ['https://ghe.acme.example']);

  it('allows the configured bases, any path below them, and the allow-listed origins', () => {
    assert.equal(policy.refusal('https://api.github.com'), null);
    assert.equal(policy.refusal('https://gitlab.com/api/v4'), null);
    assert.equal(policy.refusal('https://GHE.acme.example/api/v3'), null);
    assert.equal(policy.refusal('https://ghe.acme.example:443/api/v3'), null);
  });

  it('allows http only where a configured base URL is http itself', () => {
    assert.equal(policy.refusal('http://127.0.0.1:4010/api'), null);
    assert.match(policy.refusal('http://ghe.acme.example/api/v3')!, /origin http:\/\/ghe\.acme\.example is not an allowed SCM API origin/);
    assert.match(policy.refusal('http://api.github.com')!, /not an allowed/);
    assert.match(policy.refusal('http://127.0.0.1:4011')!, /not an allowed/);
  });

  it('refuses other hosts, ports, look-alikes and URLs with credentials, naming the allowed origins', () => {
    const refusal = policy.refusal('https://evil.example/api');
    assert.equal(refusal, 'apiUrl origin https://evil.example is not an allowed SCM API origin (allowed: https://api.github.com, https://gitlab.com, http://127.0.0.1:4010, https://ghe.acme.example; an operator may add https origins to SLUICE_SCM_API_HOSTS)');
    assert.notEqual(policy.refusal('https://api.github.com:8443'), null);
    assert.notEqual(policy.refusal('https://api.github.com.evil.example'), null);
    assert.match(policy.refusal('https://x:y@api.github.com')!, /credentials/);
    assert.match(policy.refusal('ftp://api.github.com')!, /https/);
    assert.match(policy.refusal('not a url')!, /not a URL/);
  });
});
