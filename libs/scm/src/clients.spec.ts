import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { FakeGitHub } from '@sluice/fake-scm';
import { ScmClients, credentialsIdentity } from './clients';
import { ScmRateLimitedError } from './errors';
import { githubScmFromSettings } from './github/from-settings';

/*
 * One client stack and one rate budget per (provider, API base, credentials), whoever calls:
 * a catalogue read and a status write of the same token draw on one budget.
 */
describe('ScmClients: one rate budget per set of credentials', () => {
  const fake = new FakeGitHub({ tokens: ['t0ken', 'other'] });
  let sha: string;

  before(async () => {
    await fake.start();
    fake.seed.repo({ owner: 'acme', name: 'app' });
    sha = fake.seed.commit('acme/app', { message: 'one', files: { 'a.txt': '1' } });
  });
  after(() => fake.stop());

  it('a read through the settings (repo-sync) and a status write (commit-status) share one gate and one budget', async () => {
    const clients = new ScmClients({ minWriteIntervalMs: 1 });
    const reader = githubScmFromSettings({ GITHUB_API_URL: fake.url, GITHUB_TOKEN: 't0ken' }, undefined, clients)!;
    const writes = clients.githubWrites(`${fake.url}/`, { kind: 'token', token: 't0ken' });
    assert.equal(reader.rateLimitGate, clients.gate('github', fake.url, { kind: 'token', token: 't0ken' }), 'one gate for both callers');

    await writes.createCommitStatus({ fullName: 'acme/app' }, sha, { state: 'pending', context: 'ci/x', description: 'one' });
    // The read takes the last request of the budget (its answer says none is left); the write that follows sends nothing.
    fake.setRateLimit({ remaining: 1, resetInSeconds: 30 });
    await reader.getRepo('acme/app');
    const seen = fake.requests.length;
    await assert.rejects(
      writes.createCommitStatus({ fullName: 'acme/app' }, sha, { state: 'success', context: 'ci/x', description: 'two' }),
      (e: unknown) => e instanceof ScmRateLimitedError && e.untilMs > Date.now() + 20_000,
    );
    assert.equal(fake.requests.length, seen, 'the write was not sent: the read told the shared gate');
    assert.equal(fake.statuses('acme/app', sha).filter((s) => s.context === 'ci/x').length, 1);

    // Other credentials have their own budget (the fake's budget is per server, so only the gate is compared).
    assert.notEqual(clients.gate('github', fake.url, { kind: 'token', token: 'other' }), reader.rateLimitGate);
    assert.equal(clients.gate('github', fake.url, { kind: 'token', token: 'other' }).blockedUntil(), null);
    fake.setRateLimit({ remaining: 5000, resetInSeconds: 3600 });
  });

  it('a retry-after on a write holds the reads of the same credentials too', async () => {
    const clients = new ScmClients({ minWriteIntervalMs: 1 });
    const reader = clients.githubScm(fake.url, { kind: 'token', token: 't0ken' });
    const writes = clients.githubWrites(fake.url, { kind: 'token', token: 't0ken' });
    const toldBefore = fake.requestsWhileLimited().length;
    fake.injectRateLimit({ status: 429, retryAfterSeconds: 1, path: /\/statuses\// });
    await assert.rejects(writes.createCommitStatus({ fullName: 'acme/app' }, sha, { state: 'pending', context: 'ci/y', description: 'x' }), ScmRateLimitedError);
    const limitedAt = Date.now();
    await reader.getRepo('acme/app');
    assert.ok(Date.now() - limitedAt >= 800, 'the read waited out the limit the write was told');
    assert.equal(fake.requestsWhileLimited().length - toldBefore, 0, 'nothing arrived before retry-after passed');
  });

  it('keys by who the credentials are, never the secret', () => {
    const id = credentialsIdentity({ kind: 'token', token: 'ghp_secret_value' });
    assert.ok(!id.includes('ghp_secret_value'));
    assert.match(id, /^token:[0-9a-f]{16}$/);
    assert.equal(credentialsIdentity({ kind: 'app', appId: '12', privateKey: 'KEY' }), 'app:12');
  });
});
