import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { call } from '../spec-support';
import { FakeBitbucket } from './fake-bitbucket';

const HASH = 'd'.repeat(40);
const base = `/2.0/repositories/acme/config/commit/${HASH}/statuses`;

describe('FakeBitbucket build statuses', () => {
  let now = Date.parse('2026-02-01T10:00:00Z');
  const bb = new FakeBitbucket({ tokens: ['bbtoken'], basic: ['sluice:app-pass'], now: () => now });
  const h = { authorization: 'Bearer bbtoken' };

  before(async () => {
    await bb.start();
    bb.seed.repo({ workspace: 'acme', slug: 'config', commits: [HASH] });
  });
  after(async () => {
    await bb.stop();
  });

  it('creates a status (201), updates it by the same key (200), and reads it back by key', async () => {
    const created = await call(bb.url, 'POST', `${base}/build`, { body: { key: 'sluice-deploy', state: 'INPROGRESS', name: 'Sluice deploy', url: 'https://sluice.example/d/1' }, headers: h });
    assert.equal(created.status, 201);
    assert.equal(created.body.type, 'build');
    assert.equal(created.body.commit.hash, HASH);
    now += 1000;
    const updated = await call(bb.url, 'POST', `${base}/build`, { body: { key: 'sluice-deploy', state: 'SUCCESSFUL', url: 'https://sluice.example/d/1' }, headers: h });
    assert.equal(updated.status, 200);
    assert.equal(updated.body.state, 'SUCCESSFUL');
    assert.equal(updated.body.name, 'Sluice deploy');
    assert.equal(bb.statuses('acme/config', HASH).length, 1);
    const one = await call(bb.url, 'GET', `${base}/build/sluice-deploy`, { headers: h });
    assert.equal(one.body.state, 'SUCCESSFUL');
    assert.notEqual(one.body.updated_on, one.body.created_on);
    const put = await call(bb.url, 'PUT', `${base}/build/sluice-deploy`, { body: { state: 'STOPPED' }, headers: h });
    assert.equal(put.status, 200);
    assert.equal(put.body.state, 'STOPPED');
    assert.equal((await call(bb.url, 'GET', `${base}/build/other`, { headers: h })).status, 404);
  });

  it('accepts Basic auth with an app password and an abbreviated hash', async () => {
    const basic = `Basic ${Buffer.from('sluice:app-pass').toString('base64')}`;
    const r = await call(bb.url, 'GET', `/2.0/repositories/acme/config/commit/${HASH.slice(0, 12)}/statuses`, { headers: { authorization: basic } });
    assert.equal(r.status, 200);
    assert.equal(bb.requests.at(-1)!.authKind, 'basic');
    const wrong = `Basic ${Buffer.from('sluice:nope').toString('base64')}`;
    assert.equal((await call(bb.url, 'GET', `${base}`, { headers: { authorization: wrong } })).status, 401);
    assert.equal((await call(bb.url, 'GET', `${base}`)).status, 401);
  });

  it('rejects a bad state, a missing key or url with 400 and field errors', async () => {
    const bad = await call(bb.url, 'POST', `${base}/build`, { body: { key: 'k', state: 'PASSED', url: 'https://x.example' }, headers: h });
    assert.equal(bad.status, 400);
    assert.equal(bad.body.type, 'error');
    assert.deepEqual(Object.keys(bad.body.error.fields), ['state']);
    const missing = await call(bb.url, 'POST', `${base}/build`, { body: { state: 'FAILED' }, headers: h });
    assert.deepEqual(Object.keys(missing.body.error.fields).sort(), ['key', 'url']);
    assert.equal((await call(bb.url, 'POST', `/2.0/repositories/acme/none/commit/${HASH}/statuses/build`, { body: { key: 'k', state: 'FAILED', url: 'https://x.example' }, headers: h })).status, 404);
  });

  it('lists statuses newest first with { values, page, pagelen, size, next }', async () => {
    for (let i = 0; i < 12; i++) {
      now += 1000;
      await call(bb.url, 'POST', `${base}/build`, { body: { key: `k${i}`, state: 'SUCCESSFUL', url: 'https://ci.example/1' }, headers: h });
    }
    const p1 = await call(bb.url, 'GET', base, { headers: h });
    assert.equal(p1.status, 200);
    assert.equal(p1.body.size, 13);
    assert.equal(p1.body.pagelen, 10);
    assert.equal(p1.body.values.length, 10);
    assert.equal(p1.body.values[0].key, 'k11');
    assert.ok(p1.body.next);
    const p2 = await call(bb.url, 'GET', new URL(p1.body.next).pathname + new URL(p1.body.next).search, { headers: h });
    assert.equal(p2.body.page, 2);
    assert.equal(p2.body.values.length, 3);
    assert.equal(p2.body.next, undefined);
    assert.ok(p2.body.previous);
  });

  it('429 with Retry-After, injected or from a spent budget; failures injected by path', async () => {
    bb.injectRateLimit({ status: 429, retryAfterSeconds: 10 });
    const r = await call(bb.url, 'GET', base, { headers: h });
    assert.equal(r.status, 429);
    assert.equal(r.headers.get('retry-after'), '10');
    now += 5_000;
    await call(bb.url, 'GET', base, { headers: h });
    assert.equal(bb.requestsWhileLimited().length, 1);
    now += 6_000;
    bb.setRateLimit({ remaining: 0, resetInSeconds: 60 });
    const spent = await call(bb.url, 'GET', base, { headers: h });
    assert.equal(spent.status, 429);
    assert.equal(spent.headers.get('retry-after'), '60');
    now += 61_000;
    bb.injectFailure({ status: 500, path: /statuses\/build$/, method: 'POST' });
    assert.equal((await call(bb.url, 'POST', `${base}/build`, { body: { key: 'x', state: 'FAILED', url: 'https://x.example' }, headers: h })).status, 500);
    assert.equal((await call(bb.url, 'POST', `${base}/build`, { body: { key: 'x', state: 'FAILED', url: 'https://x.example' }, headers: h })).status, 201);
  });
});

describe('FakeBitbucket repository listing and status listing', () => {
  const bb = new FakeBitbucket({ tokens: ['bbtoken'] });
  const h = { authorization: 'Bearer bbtoken' };

  before(async () => {
    await bb.start();
    for (let i = 0; i < 12; i++) bb.seed.repo({ workspace: 'acme', slug: `r${String(i).padStart(2, '0')}`, private: i !== 0 });
    bb.seed.commit('acme/r00', HASH);
  });
  after(async () => {
    await bb.stop();
  });

  it('lists the repositories of a role in pages (`next` until the last); without a role only public ones; a bad role is 400; no token is 401', async () => {
    const first = await call(bb.url, 'GET', '/2.0/repositories?role=member&pagelen=5', { headers: h });
    assert.equal(first.status, 200);
    assert.deepEqual([first.body.size, first.body.page, first.body.pagelen, first.body.values.length], [12, 1, 5, 5]);
    assert.equal(first.body.values[0].full_name, 'acme/r00');
    assert.deepEqual(first.body.values[0].mainbranch, { type: 'branch', name: 'main' });
    assert.match(first.body.next, /page=2/);
    const last = await call(bb.url, 'GET', '/2.0/repositories?role=member&pagelen=5&page=3', { headers: h });
    assert.deepEqual([last.body.values.length, last.body.next], [2, undefined]);
    assert.deepEqual((await call(bb.url, 'GET', '/2.0/repositories', { headers: h })).body.values.map((r: { full_name: string }) => r.full_name), ['acme/r00']);
    assert.equal((await call(bb.url, 'GET', '/2.0/repositories?role=boss', { headers: h })).status, 400);
    assert.equal((await call(bb.url, 'GET', '/2.0/repositories?role=member')).status, 401);
  });

  it("lists a commit's build statuses, the latest update first; seeded statuses update by key", async () => {
    bb.seed.status('acme/r00', HASH, { key: 'ci', state: 'INPROGRESS', name: 'CI' });
    bb.seed.status('acme/r00', HASH, { key: 'lint', state: 'FAILED' });
    bb.seed.status('acme/r00', HASH, { key: 'ci', state: 'SUCCESSFUL' });
    const res = await call(bb.url, 'GET', `/2.0/repositories/acme/r00/commit/${HASH}/statuses`, { headers: h });
    assert.equal(res.status, 200);
    assert.deepEqual(
      res.body.values.map((s: { key: string; name: string | null; state: string }) => [s.key, s.name, s.state]).sort(),
      [
        ['ci', 'CI', 'SUCCESSFUL'],
        ['lint', null, 'FAILED'],
      ],
    );
  });
});
