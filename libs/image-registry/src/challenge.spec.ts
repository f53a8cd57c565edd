import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { parseChallenges } from './challenge';

describe('parseChallenges', () => {
  it('reads a Bearer challenge as distribution and Docker Hub send it', () => {
    assert.deepEqual(
      parseChallenges('Bearer realm="https://auth.docker.io/token",service="registry.docker.io",scope="repository:library/nginx:pull"'),
      [{ scheme: 'bearer', params: { realm: 'https://auth.docker.io/token', service: 'registry.docker.io', scope: 'repository:library/nginx:pull' } }],
    );
  });

  it('reads spaces after commas, token values, escaped quotes and an error param', () => {
    assert.deepEqual(parseChallenges('Bearer realm="https://r/t", service=svc, error="insufficient_scope", x="a\\"b"'), [
      { scheme: 'bearer', params: { realm: 'https://r/t', service: 'svc', error: 'insufficient_scope', x: 'a"b' } },
    ]);
  });

  it('reads several challenges in one header, in order', () => {
    const got = parseChallenges('Basic realm="Registry Realm", Bearer realm="https://ghcr.io/token",service="ghcr.io"');
    assert.deepEqual(got.map((c) => c.scheme), ['basic', 'bearer']);
    assert.equal(got[0].params.realm, 'Registry Realm');
    assert.equal(got[1].params.service, 'ghcr.io');
  });

  it('returns nothing for a missing or empty header', () => {
    assert.deepEqual(parseChallenges(null), []);
    assert.deepEqual(parseChallenges(''), []);
  });
});
