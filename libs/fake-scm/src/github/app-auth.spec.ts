import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { call } from '../spec-support';
import { createAppCredentials, signAppJwt } from './auth';
import { FakeGitHub } from './fake-github';
import { createAppAuth } from '@octokit/auth-app';
import { Octokit } from '@octokit/rest';

describe('FakeGitHub App authentication', () => {
  const app = createAppCredentials(123);
  let now = Date.parse('2026-03-01T12:00:00Z');
  const gh = new FakeGitHub({ app: { appId: app.appId, publicKey: app.publicKey }, installationTokenTtlSeconds: 600, now: () => now, tokens: ['ghp_user'] });

  before(async () => {
    await gh.start();
    gh.seed.repo({ owner: 'acme', name: 'config' });
    gh.seed.repo({ owner: 'acme', name: 'secret' });
    gh.seed.installation({ id: 42, account: 'acme', repositories: ['acme/config'] });
  });
  after(async () => {
    await gh.stop();
  });

  const jwt = (overrides: { privateKey?: string; appId?: number; nowMs?: number; expiresInSeconds?: number } = {}) =>
    signAppJwt({ appId: overrides.appId ?? app.appId, privateKey: overrides.privateKey ?? app.privateKey, nowMs: overrides.nowMs ?? now, expiresInSeconds: overrides.expiresInSeconds });

  it('exchanges a real RS256 App JWT for an installation token that expires', async () => {
    const res = await call(gh.url, 'POST', '/app/installations/42/access_tokens', { body: {}, headers: { authorization: `Bearer ${jwt()}` } });
    assert.equal(res.status, 201);
    assert.match(res.body.token, /^ghs_/);
    assert.equal(res.body.expires_at, '2026-03-01T12:10:00Z');
    assert.deepEqual(res.body.repositories.map((r: { full_name: string }) => r.full_name), ['acme/config']);
    assert.equal(gh.requests.at(-1)!.authKind, 'jwt');

    const token = res.body.token as string;
    const ok = await call(gh.url, 'GET', '/repos/acme/config', { headers: { authorization: `token ${token}` } });
    assert.equal(ok.status, 200);
    assert.equal(gh.requests.at(-1)!.authKind, 'installation');
    // Repositories outside the installation are invisible, as on GitHub.
    assert.equal((await call(gh.url, 'GET', '/repos/acme/secret', { headers: { authorization: `token ${token}` } })).status, 404);
    now += 601_000;
    const expired = await call(gh.url, 'GET', '/repos/acme/config', { headers: { authorization: `token ${token}` } });
    assert.equal(expired.status, 401);
    assert.equal(expired.body.message, 'Bad credentials');
  });

  it('refuses a JWT signed with another key, for another app, or expired', async () => {
    const other = createAppCredentials(123);
    for (const bad of [jwt({ privateKey: other.privateKey }), jwt({ appId: 999 }), jwt({ nowMs: now - 3_600_000 })]) {
      const res = await call(gh.url, 'POST', '/app/installations/42/access_tokens', { body: {}, headers: { authorization: `Bearer ${bad}` } });
      assert.equal(res.status, 401);
    }
    const tooLong = await call(gh.url, 'GET', '/app/installations', { headers: { authorization: `Bearer ${jwt({ expiresInSeconds: 3600 })}` } });
    assert.equal(tooLong.status, 401);
    assert.match(tooLong.body.message, /too far in the future/);
  });

  it('a personal token does not open /app, and a JWT opens nothing else', async () => {
    assert.equal((await call(gh.url, 'GET', '/app/installations', { headers: { authorization: 'token ghp_user' } })).status, 401);
    assert.equal((await call(gh.url, 'GET', '/repos/acme/config', { headers: { authorization: `Bearer ${jwt()}` } })).status, 401);
    assert.equal((await call(gh.url, 'POST', '/app/installations/7/access_tokens', { body: {}, headers: { authorization: `Bearer ${jwt()}` } })).status, 404);
  });

  it('works with @octokit/auth-app end to end', async () => {
    const auth = createAppAuth({
      appId: app.appId,
      privateKey: app.privateKey,
      installationId: 42,
      request: new Octokit({ baseUrl: gh.url }).request,
    });
    // auth-app signs with the real clock; move the fake's clock back to it.
    now = Date.now();
    const result = await auth({ type: 'installation' });
    assert.equal(result.type, 'token');
    const repo = await call(gh.url, 'GET', '/repos/acme/config', { headers: { authorization: `token ${result.token}` } });
    assert.equal(repo.status, 200);
  });
});
