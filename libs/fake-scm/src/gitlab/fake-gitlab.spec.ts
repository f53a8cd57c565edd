import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { call } from '../spec-support';
import { FakeGitLab } from './fake-gitlab';

const SHA = 'a'.repeat(40);
const OTHER = 'b'.repeat(40);

describe('FakeGitLab commit statuses', () => {
  let now = Date.parse('2026-02-01T10:00:00Z');
  const gl = new FakeGitLab({ tokens: ['glpat-1'], rateLimit: { limit: 1000, windowSeconds: 60 }, now: () => now });
  const h = { 'private-token': 'glpat-1' };

  before(async () => {
    await gl.start();
    gl.seed.project({ id: 12, path: 'acme/config', commits: [SHA] });
    gl.seed.commit('acme/config', OTHER, 'feature/x');
  });
  after(async () => {
    await gl.stop();
  });

  it('creates a status by numeric id and by URL-encoded path, with PRIVATE-TOKEN or Bearer', async () => {
    const a = await call(gl.url, 'POST', `/api/v4/projects/12/statuses/${SHA}`, { body: { state: 'pending', name: 'sluice/deploy', description: 'queued', target_url: 'https://sluice.example/d/1' }, headers: h });
    assert.equal(a.status, 201);
    assert.equal(a.body.status, 'pending');
    assert.equal(a.body.name, 'sluice/deploy');
    assert.equal(a.body.ref, 'main');
    const b = await call(gl.url, 'POST', `/api/v4/projects/acme%2Fconfig/statuses/${OTHER}?state=running&context=ci`, { headers: { authorization: 'Bearer glpat-1' } });
    assert.equal(b.status, 201);
    assert.equal(b.body.name, 'ci');
    assert.equal(b.body.ref, 'feature/x');
    assert.deepEqual(gl.requests.slice(-2).map((r) => r.authKind), ['private-token', 'bearer']);
  });

  it('updates a pending status of the same name in place, and refuses an impossible transition with 400', async () => {
    const first = gl.statuses(12, SHA)[0];
    const running = await call(gl.url, 'POST', `/api/v4/projects/12/statuses/${SHA}`, { body: { state: 'running', name: 'sluice/deploy' }, headers: h });
    assert.equal(running.body.id, first.id);
    const again = await call(gl.url, 'POST', `/api/v4/projects/12/statuses/${SHA}`, { body: { state: 'pending', name: 'sluice/deploy' }, headers: h });
    assert.equal(again.status, 400);
    assert.equal(again.body.error, 'Cannot transition status via :enqueue from :running');
    const done = await call(gl.url, 'POST', `/api/v4/projects/12/statuses/${SHA}`, { body: { state: 'success', name: 'sluice/deploy' }, headers: h });
    assert.equal(done.body.id, first.id);
    assert.ok(done.body.finished_at);
    // A finished status is not reopened: the next one is a new status.
    const next = await call(gl.url, 'POST', `/api/v4/projects/12/statuses/${SHA}`, { body: { state: 'pending', name: 'sluice/deploy' }, headers: h });
    assert.notEqual(next.body.id, first.id);
  });

  it('rejects a bad or missing state with 400, unknown project/commit with 404, no token with 401', async () => {
    const bad = await call(gl.url, 'POST', `/api/v4/projects/12/statuses/${SHA}`, { body: { state: 'succeeded' }, headers: h });
    assert.equal(bad.status, 400);
    assert.equal(bad.body.error, 'state does not have a valid value');
    assert.equal((await call(gl.url, 'POST', `/api/v4/projects/12/statuses/${SHA}`, { body: {}, headers: h })).body.error, 'state is missing');
    assert.equal((await call(gl.url, 'POST', `/api/v4/projects/99/statuses/${SHA}`, { body: { state: 'success' }, headers: h })).body.message, '404 Project Not Found');
    assert.equal((await call(gl.url, 'POST', `/api/v4/projects/12/statuses/${'c'.repeat(40)}`, { body: { state: 'success' }, headers: h })).status, 404);
    assert.equal((await call(gl.url, 'POST', `/api/v4/projects/12/statuses/${SHA}`, { body: { state: 'success' } })).status, 401);
    assert.equal((await call(gl.url, 'POST', `/api/v4/projects/12/statuses/${SHA}`, { body: { state: 'success' }, headers: { 'private-token': 'nope' } })).status, 401);
  });

  it('lists the latest status per name, or all, paginated with x-next-page/x-total', async () => {
    for (let i = 0; i < 25; i++) {
      await call(gl.url, 'POST', `/api/v4/projects/12/statuses/${SHA}`, { body: { state: 'success', name: `job-${i}` }, headers: h });
    }
    const p1 = await call(gl.url, 'GET', `/api/v4/projects/12/repository/commits/${SHA}/statuses`, { headers: h });
    assert.equal(p1.status, 200);
    assert.equal(p1.body.length, 20);
    assert.equal(p1.headers.get('x-total'), '26');
    assert.equal(p1.headers.get('x-next-page'), '2');
    assert.equal(p1.headers.get('x-total-pages'), '2');
    const p2 = await call(gl.url, 'GET', `/api/v4/projects/12/repository/commits/${SHA}/statuses?page=2`, { headers: h });
    assert.equal(p2.body.length, 6);
    assert.equal(p2.headers.get('x-next-page'), '');
    assert.equal(p2.headers.get('x-prev-page'), '1');
    const all = await call(gl.url, 'GET', `/api/v4/projects/12/repository/commits/${SHA}/statuses?all=true&name=sluice/deploy`, { headers: h });
    assert.equal(all.body.length, 2);
  });

  it('sends RateLimit-* headers; a spent budget answers 429 with Retry-After; a too-early retry is recorded', async () => {
    gl.setRateLimit({ remaining: 1, resetInSeconds: 30 });
    const last = await call(gl.url, 'GET', `/api/v4/projects/12/repository/commits/${SHA}/statuses`, { headers: h });
    assert.equal(last.status, 200);
    assert.equal(last.headers.get('ratelimit-remaining'), '0');
    assert.equal(last.headers.get('ratelimit-limit'), '1000');
    const limited = await call(gl.url, 'GET', `/api/v4/projects/12/repository/commits/${SHA}/statuses`, { headers: h });
    assert.equal(limited.status, 429);
    assert.equal(limited.headers.get('retry-after'), '30');
    assert.equal(limited.body, 'Retry later');
    assert.equal(gl.requestsWhileLimited().length, 1);
    now += 31_000;
    assert.equal((await call(gl.url, 'GET', `/api/v4/projects/12/repository/commits/${SHA}/statuses`, { headers: h })).status, 200);
    assert.equal(gl.requestsWhileLimited().length, 1);
  });

  it('injected 429 and 5xx', async () => {
    gl.injectRateLimit({ status: 429, retryAfterSeconds: 3 });
    const r = await call(gl.url, 'POST', `/api/v4/projects/12/statuses/${SHA}`, { body: { state: 'pending', name: 'z' }, headers: h });
    assert.equal(r.status, 429);
    assert.equal(r.headers.get('retry-after'), '3');
    now += 3_000;
    gl.injectFailure({ status: 503, path: /statuses/ });
    assert.equal((await call(gl.url, 'POST', `/api/v4/projects/12/statuses/${SHA}`, { body: { state: 'pending', name: 'z' }, headers: h })).status, 503);
    assert.equal((await call(gl.url, 'POST', `/api/v4/projects/12/statuses/${SHA}`, { body: { state: 'pending', name: 'z' }, headers: h })).status, 201);
    assert.equal(gl.statuses(12, SHA).filter((s) => s.name === 'z').length, 1);
  });
});

describe('FakeGitLab project and pipeline listings', () => {
  const gl = new FakeGitLab({ tokens: ['glpat-1'] });
  const h = { 'private-token': 'glpat-1' };

  before(async () => {
    await gl.start();
    for (let id = 1; id <= 25; id++) gl.seed.project({ id, path: `acme/p${id}`, visibility: id === 1 ? 20 : 0 });
    gl.seed.commit(1, SHA);
  });
  after(async () => {
    await gl.stop();
  });

  it("lists the token's projects in pages with GitLab's pagination headers; archived=true lists none; a bad parameter is 400; no token is 401", async () => {
    const first = await call(gl.url, 'GET', '/api/v4/projects?membership=true&archived=false&order_by=id&sort=asc&per_page=10', { headers: h });
    assert.equal(first.status, 200);
    assert.deepEqual(first.body.map((p: { id: number }) => p.id), [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    assert.deepEqual([first.headers.get('x-total'), first.headers.get('x-total-pages'), first.headers.get('x-next-page')], ['25', '3', '2']);
    assert.match(first.headers.get('link') ?? '', /rel="next"/);
    assert.deepEqual([first.body[0].path_with_namespace, first.body[0].visibility, first.body[1].visibility, first.body[0].archived], ['acme/p1', 'public', 'private', false]);
    const last = await call(gl.url, 'GET', '/api/v4/projects?membership=true&order_by=id&sort=asc&per_page=10&page=3', { headers: h });
    assert.deepEqual([last.body.length, last.headers.get('x-next-page')], [5, '']);
    // GitLab's default order: newest first.
    assert.equal((await call(gl.url, 'GET', '/api/v4/projects?membership=true', { headers: h })).body[0].id, 25);
    assert.deepEqual((await call(gl.url, 'GET', '/api/v4/projects?archived=true', { headers: h })).body, []);
    assert.equal((await call(gl.url, 'GET', '/api/v4/projects?sort=sideways', { headers: h })).status, 400);
    assert.equal((await call(gl.url, 'GET', '/api/v4/projects')).status, 401);
    assert.equal((await call(gl.url, 'GET', '/api/v4/projects', { headers: { 'private-token': 'other' } })).status, 401);
  });

  it("lists a commit's pipelines: seeded ones as they move on, and the external pipeline of statuses posted through the API", async () => {
    const id = gl.seed.pipeline(1, { sha: SHA, status: 'running', name: 'build' });
    gl.seed.pipeline(1, { sha: SHA, status: 'success', id });
    await call(gl.url, 'POST', `/api/v4/projects/1/statuses/${SHA}`, { body: { state: 'failed', name: 'external-ci' }, headers: h });
    const res = await call(gl.url, 'GET', `/api/v4/projects/1/pipelines?sha=${SHA}`, { headers: h });
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('x-total'), '2');
    const [external, seeded] = res.body;
    assert.deepEqual([seeded.id, seeded.status, seeded.name, seeded.sha, seeded.ref, seeded.web_url], [id, 'success', 'build', SHA, 'main', `${gl.url}/acme/p1/-/pipelines/${id}`]);
    assert.deepEqual([external.status, external.source, external.name], ['failed', 'external', null]);
    assert.ok(external.id > seeded.id, 'newest first');
    assert.deepEqual((await call(gl.url, 'GET', `/api/v4/projects/1/pipelines?sha=${OTHER}`, { headers: h })).body, []);
    assert.equal((await call(gl.url, 'GET', `/api/v4/projects/1/pipelines?status=success`, { headers: h })).body.length, 1);
    assert.equal((await call(gl.url, 'GET', '/api/v4/projects/404/pipelines', { headers: h })).status, 404);
    assert.equal((await call(gl.url, 'GET', '/api/v4/projects/1/pipelines')).status, 401);
  });
});

describe('FakeGitLab merge requests', () => {
  const gl = new FakeGitLab({ tokens: ['glpat-1'] });
  const h = { 'private-token': 'glpat-1' };

  before(async () => {
    await gl.start();
    gl.seed.project({ id: 5, path: 'acme/app' });
    gl.seed.mergeRequest(5, { iid: 9, sourceBranch: 'feature/a', sha: SHA });
  });
  after(async () => {
    await gl.stop();
  });

  it('answers one merge request by iid with its state, branches and head; 404 for another iid or project; 400 for a non-numeric iid; 401 without a token', async () => {
    const res = await call(gl.url, 'GET', '/api/v4/projects/acme%2Fapp/merge_requests/9', { headers: h });
    assert.equal(res.status, 200);
    assert.deepEqual(
      [res.body.iid, res.body.project_id, res.body.source_project_id, res.body.state, res.body.source_branch, res.body.target_branch, res.body.sha, res.body.web_url],
      [9, 5, 5, 'opened', 'feature/a', 'main', SHA, `${gl.url}/acme/app/-/merge_requests/9`],
    );
    gl.seed.mergeRequest(5, { iid: 9, sourceBranch: 'feature/a', sha: OTHER, state: 'merged' });
    assert.deepEqual([(await call(gl.url, 'GET', '/api/v4/projects/5/merge_requests/9', { headers: h })).body.state, gl.requests.at(-1)?.status], ['merged', 200]);
    assert.equal((await call(gl.url, 'GET', '/api/v4/projects/5/merge_requests/10', { headers: h })).status, 404);
    assert.equal((await call(gl.url, 'GET', '/api/v4/projects/6/merge_requests/9', { headers: h })).status, 404);
    assert.equal((await call(gl.url, 'GET', '/api/v4/projects/5/merge_requests/x', { headers: h })).status, 400);
    assert.equal((await call(gl.url, 'GET', '/api/v4/projects/5/merge_requests/9')).status, 401);
  });

  it('notes on a merge request: created (201), listed newest first or sort=asc in pages, edited in place (PUT, the earlier body kept); 400 without a body, 404 for an unknown note or merge request, 401 without a token', async () => {
    const base = '/api/v4/projects/acme%2Fapp/merge_requests/9/notes';
    const first = await call(gl.url, 'POST', base, { headers: h, body: { body: 'one' } });
    assert.deepEqual([first.status, first.body.body, first.body.noteable_iid, first.body.system], [201, 'one', 9, false]);
    await call(gl.url, 'POST', base, { headers: h, body: { body: 'two' } });
    assert.deepEqual((await call(gl.url, 'GET', base, { headers: h })).body.map((n: { body: string }) => n.body), ['two', 'one']);
    const asc = await call(gl.url, 'GET', `${base}?sort=asc&per_page=1&page=2`, { headers: h });
    assert.deepEqual([asc.body.map((n: { body: string }) => n.body), asc.headers.get('x-total')], [['two'], '2']);
    const edited = await call(gl.url, 'PUT', `${base}/${first.body.id}`, { headers: h, body: { body: 'one, edited' } });
    assert.deepEqual([edited.status, edited.body.id, edited.body.body], [200, first.body.id, 'one, edited']);
    assert.deepEqual(gl.notes(5, 9).map((n) => [n.body, n.edits]), [['one, edited', ['one']], ['two', []]]);
    assert.equal((await call(gl.url, 'POST', base, { headers: h, body: {} })).status, 400);
    assert.equal((await call(gl.url, 'PUT', `${base}/999999`, { headers: h, body: { body: 'x' } })).status, 404);
    assert.equal((await call(gl.url, 'POST', '/api/v4/projects/5/merge_requests/10/notes', { headers: h, body: { body: 'x' } })).status, 404);
    assert.equal((await call(gl.url, 'GET', base)).status, 401);
  });
});
