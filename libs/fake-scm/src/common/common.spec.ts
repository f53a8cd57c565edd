import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { FaultPlan } from './faults';
import { linkHeader, paginate, parseLinkHeader, readPage } from './pagination';
import { Router } from './router';
import type { FakeRequest } from './types';

describe('Router', () => {
  const r = new Router();
  r.add('GET', '/api/v4/projects/:id/statuses', () => ({ status: 200 }), 'gl');
  r.add('GET', '/repos/{owner}/{repo}/contents/{path+}', () => ({ status: 200 }), 'contents');
  r.add('POST', '/repos/{owner}/{repo}', () => ({ status: 201 }), 'post');

  it('decodes one-segment parameters (GitLab ids like group%2Fproject)', () => {
    const m = r.match('GET', '/api/v4/projects/acme%2Fconfig/statuses');
    assert.ok(m && m !== 'method-not-allowed');
    assert.deepEqual(m.params, { id: 'acme/config' });
  });

  it('a {name+} parameter takes the rest of the path', () => {
    const m = r.match('GET', '/repos/acme/config/contents/deploy/a/deploy.yaml');
    assert.ok(m && m !== 'method-not-allowed');
    assert.equal(m.params.path, 'deploy/a/deploy.yaml');
  });

  it('tells an unknown path from a known path with another method', () => {
    assert.equal(r.match('GET', '/nope'), undefined);
    assert.equal(r.match('GET', '/repos/acme/config'), 'method-not-allowed');
  });
});

describe('pagination', () => {
  it('slices pages and computes the last page', () => {
    const p = paginate([...Array(65).keys()], { page: 3, perPage: 30 });
    assert.deepEqual(p.items, [60, 61, 62, 63, 64]);
    assert.equal(p.lastPage, 3);
    assert.equal(paginate([], { page: 1, perPage: 30 }).lastPage, 1);
  });

  it('reads page/per_page with defaults and a cap, and refuses nonsense', () => {
    assert.deepEqual(readPage(new URLSearchParams('')), { page: 1, perPage: 30 });
    assert.deepEqual(readPage(new URLSearchParams('per_page=1000&page=2')), { page: 2, perPage: 100 });
    assert.deepEqual(readPage(new URLSearchParams('pagelen=5'), { perPageParam: 'pagelen', defaultPerPage: 10 }), { page: 1, perPage: 5 });
    assert.throws(() => readPage(new URLSearchParams('page=-1')), /page must be a positive integer/);
  });

  it('writes a Link header that parses back, keeping the other query parameters', () => {
    const url = new URL('http://127.0.0.1:1/repos/a/b/commits?sha=main&per_page=10&page=2');
    const header = linkHeader(url, paginate([...Array(35).keys()], { page: 2, perPage: 10 }))!;
    const links = parseLinkHeader(header);
    assert.deepEqual(Object.keys(links).sort(), ['first', 'last', 'next', 'prev']);
    assert.equal(new URL(links.next).searchParams.get('page'), '3');
    assert.equal(new URL(links.last).searchParams.get('page'), '4');
    assert.equal(new URL(links.next).searchParams.get('sha'), 'main');
  });
});

describe('FaultPlan', () => {
  const req = (path: string, method = 'GET') => ({ path, method }) as FakeRequest;

  it('fails matching requests the given number of times', () => {
    const plan = new FaultPlan(() => 0);
    plan.injectFailure({ status: 503, times: 2, path: /statuses/, method: 'POST' });
    assert.equal(plan.takeFailure(req('/x/statuses')), undefined);
    assert.equal(plan.takeFailure(req('/x/statuses', 'POST'))?.status, 503);
    assert.equal(plan.takeFailure(req('/x/statuses', 'POST'))?.status, 503);
    assert.equal(plan.takeFailure(req('/x/statuses', 'POST')), undefined);
  });

  it('a rate limit makes the client wait retry-after seconds', () => {
    let now = 1_000_000;
    const plan = new FaultPlan(() => now);
    plan.injectRateLimit({ status: 429, retryAfterSeconds: 2 });
    assert.equal(plan.isLimited(), false);
    assert.equal(plan.takeRateLimit(req('/a'))?.status, 429);
    assert.equal(plan.isLimited(), true);
    now += 2_000;
    assert.equal(plan.isLimited(), false);
    assert.equal(plan.takeRateLimit(req('/a')), undefined);
  });
});
