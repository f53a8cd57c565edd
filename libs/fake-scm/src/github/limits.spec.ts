/* eslint-disable @typescript-eslint/no-explicit-any -- JSON bodies; their shape is what the fake checks against the OpenAPI fixture */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { parseLinkHeader } from '../common/pagination';
import { call as rawCall } from '../spec-support';
import { FakeGitHub } from './fake-github';

const auth = { authorization: 'token t' };

describe('FakeGitHub pagination', () => {
  const gh = new FakeGitHub();
  before(async () => {
    await gh.start();
    gh.seed.repo({ owner: 'acme', name: 'many' });
    const sha = gh.seed.commit('acme/many', { message: 'one', files: { a: 'a' } });
    for (let i = 0; i < 75; i++) gh.seed.branch('acme/many', `b${String(i).padStart(2, '0')}`, sha);
    for (let i = 0; i < 45; i++) gh.seed.status('acme/many', sha, { state: 'success', context: `ctx-${i}` });
  });
  after(async () => {
    await gh.stop();
  });

  it('defaults to 30 per page with next/last links, and walks all pages by following next', async () => {
    let url: string | undefined = `${gh.url}/repos/acme/many/branches`;
    const names: string[] = [];
    const pages: Record<string, string>[] = [];
    while (url) {
      const res = await fetch(url, { headers: auth });
      const body = (await res.json()) as any[];
      names.push(...body.map((b) => b.name));
      const links = parseLinkHeader(res.headers.get('link'));
      pages.push(links);
      url = links.next;
    }
    assert.equal(names.length, 76);
    assert.equal(new Set(names).size, 76);
    assert.equal(pages.length, 3);
    assert.equal(new URL(pages[0].next).searchParams.get('page'), '2');
    assert.equal(new URL(pages[0].last).searchParams.get('page'), '3');
    assert.equal(pages[0].prev, undefined);
    assert.equal(new URL(pages[1].prev).searchParams.get('page'), '1');
    assert.equal(new URL(pages[2].first).searchParams.get('page'), '1');
    assert.equal(pages[2].next, undefined);
  });

  it('honours per_page, caps it at 100, and keeps other query parameters in the links', async () => {
    const small = await rawCall(gh.url, 'GET', '/repos/acme/many/commits/main/statuses?per_page=10&page=2', { headers: auth });
    assert.equal(small.body.length, 10);
    const links = parseLinkHeader(small.headers.get('link'));
    assert.equal(new URL(links.last).searchParams.get('page'), '5');
    assert.equal(new URL(links.next).searchParams.get('per_page'), '10');
    const big = await rawCall(gh.url, 'GET', '/repos/acme/many/branches?per_page=500', { headers: auth });
    assert.equal(big.body.length, 76);
    assert.equal(big.headers.get('link'), null);
    const wrapped = await rawCall(gh.url, 'GET', '/installation/repositories?per_page=1', { headers: auth });
    assert.equal(wrapped.status, 403);
    assert.equal((await rawCall(gh.url, 'GET', '/repos/acme/many/branches?per_page=0', { headers: auth })).status, 400);
  });

  it('pages a wrapped list (check runs) with total_count of all items', async () => {
    const sha = gh.headOf('acme/many')!;
    for (let i = 0; i < 5; i++) gh.seed.checkRun('acme/many', { head_sha: sha, name: `c${i}`, conclusion: 'success' });
    const res = await rawCall(gh.url, 'GET', `/repos/acme/many/commits/${sha}/check-runs?per_page=2&page=3`, { headers: auth });
    assert.equal(res.body.total_count, 5);
    assert.equal(res.body.check_runs.length, 1);
    assert.ok(parseLinkHeader(res.headers.get('link')).prev);
  });
});

describe('FakeGitHub rate limits and failures', () => {
  it('sends x-ratelimit-* on every answer and refuses with 403 when the primary budget is spent', async () => {
    let now = Date.parse('2026-01-01T00:00:00Z');
    const gh = new FakeGitHub({ rateLimit: { limit: 3, windowSeconds: 60 }, now: () => now });
    await gh.start();
    gh.seed.repo({ owner: 'acme', name: 'r' });
    try {
      const seen: string[] = [];
      for (let i = 0; i < 3; i++) {
        const r = await rawCall(gh.url, 'GET', '/repos/acme/r', { headers: auth });
        assert.equal(r.status, 200);
        seen.push(r.headers.get('x-ratelimit-remaining')!);
        assert.equal(r.headers.get('x-ratelimit-limit'), '3');
        assert.equal(r.headers.get('x-ratelimit-resource'), 'core');
      }
      assert.deepEqual(seen, ['2', '1', '0']);
      assert.deepEqual(gh.requestsWhileLimited(), []);
      const refused = await rawCall(gh.url, 'GET', '/repos/acme/r', { headers: auth });
      assert.equal(refused.status, 403);
      assert.match(refused.body.message, /^API rate limit exceeded/);
      assert.equal(refused.headers.get('x-ratelimit-remaining'), '0');
      assert.equal(refused.headers.get('x-ratelimit-reset'), String(now / 1000 + 60));
      assert.equal(gh.requestsWhileLimited().length, 1, 'a client that ignores x-ratelimit-remaining: 0 is caught');
      // Checking the budget is allowed while limited, and is free.
      assert.equal((await rawCall(gh.url, 'GET', '/rate_limit', { headers: auth })).body.resources.core.remaining, 0);
      assert.equal(gh.requestsWhileLimited().length, 1);
      now += 61_000;
      assert.equal((await rawCall(gh.url, 'GET', '/repos/acme/r', { headers: auth })).status, 200);
      assert.equal(gh.requestsWhileLimited().length, 1);
    } finally {
      await gh.stop();
    }
  });

  it('setRateLimit exhausts the budget on demand', async () => {
    const gh = new FakeGitHub();
    await gh.start();
    gh.seed.repo({ owner: 'acme', name: 'r' });
    gh.setRateLimit({ remaining: 0, resetInSeconds: 30 });
    const r = await rawCall(gh.url, 'GET', '/repos/acme/r', { headers: auth });
    assert.equal(r.status, 403);
    assert.equal(gh.requestsWhileLimited().length, 1);
    await gh.stop();
  });

  for (const status of [403, 429] as const) {
    it(`injected secondary limit answers ${status} with retry-after; a request before it elapses is recorded`, async () => {
      let now = Date.parse('2026-01-01T00:00:00Z');
      const gh = new FakeGitHub({ now: () => now });
      await gh.start();
      gh.seed.repo({ owner: 'acme', name: 'r' });
      try {
        gh.injectRateLimit({ status, retryAfterSeconds: 5, times: 1 });
        const limited = await rawCall(gh.url, 'GET', '/repos/acme/r', { headers: auth });
        assert.equal(limited.status, status);
        assert.equal(limited.headers.get('retry-after'), '5');
        assert.match(limited.body.message, /secondary rate limit/);
        assert.deepEqual(gh.requestsWhileLimited(), []);
        now += 2_000;
        await rawCall(gh.url, 'GET', '/repos/acme/r', { headers: auth });
        assert.equal(gh.requestsWhileLimited().length, 1, 'came back 2 s into a 5 s wait');
        now += 4_000;
        assert.equal((await rawCall(gh.url, 'GET', '/repos/acme/r', { headers: auth })).status, 200);
        assert.equal(gh.requestsWhileLimited().length, 1);
      } finally {
        await gh.stop();
      }
    });
  }

  it('injected failures hit matching paths the given number of times, then the API answers again', async () => {
    const gh = new FakeGitHub();
    await gh.start();
    gh.seed.repo({ owner: 'acme', name: 'r' });
    gh.seed.commit('acme/r', { message: 'x', files: { a: 'a' } });
    try {
      gh.injectFailure({ status: 502, times: 2, path: /\/branches/ });
      assert.equal((await rawCall(gh.url, 'GET', '/repos/acme/r', { headers: auth })).status, 200);
      assert.equal((await rawCall(gh.url, 'GET', '/repos/acme/r/branches', { headers: auth })).status, 502);
      assert.equal((await rawCall(gh.url, 'GET', '/repos/acme/r/branches', { headers: auth })).status, 502);
      assert.equal((await rawCall(gh.url, 'GET', '/repos/acme/r/branches', { headers: auth })).status, 200);
      gh.injectFailure({ status: 503 });
      assert.equal((await rawCall(gh.url, 'GET', '/rate_limit', { headers: auth })).status, 503);
      assert.deepEqual(gh.requests.map((r) => r.status), [200, 502, 502, 200, 503]);
    } finally {
      await gh.stop();
    }
  });

  it('conditional GET: the same ETag answers 304 without spending the budget', async () => {
    const gh = new FakeGitHub();
    await gh.start();
    gh.seed.repo({ owner: 'acme', name: 'r' });
    try {
      const first = await rawCall(gh.url, 'GET', '/repos/acme/r', { headers: auth });
      const etag = first.headers.get('etag')!;
      assert.match(etag, /^W\/"[0-9a-f]{40}"$/);
      const again = await fetch(`${gh.url}/repos/acme/r`, { headers: { ...auth, 'if-none-match': etag } });
      assert.equal(again.status, 304);
      assert.equal(again.headers.get('x-ratelimit-remaining'), first.headers.get('x-ratelimit-remaining'));
      gh.seed.commit('acme/r', { message: 'changes pushed_at', files: { a: 'a' }, date: '2030-01-01T00:00:00Z' });
      assert.equal((await fetch(`${gh.url}/repos/acme/r`, { headers: { ...auth, 'if-none-match': etag } })).status, 200);
    } finally {
      await gh.stop();
    }
  });

  it('latencyMs delays every answer', async () => {
    const gh = new FakeGitHub({ latencyMs: 120 });
    await gh.start();
    try {
      const t0 = Date.now();
      await rawCall(gh.url, 'GET', '/rate_limit', { headers: auth });
      assert.ok(Date.now() - t0 >= 110);
    } finally {
      await gh.stop();
    }
  });
});
