/* eslint-disable @typescript-eslint/no-explicit-any -- JSON bodies; their shape is what the fake checks against the OpenAPI fixture */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { FakeGitHub } from './fake-github';

const TOKEN = 'ghp_test';

async function call(gh: FakeGitHub, method: string, path: string, body?: unknown, token = TOKEN): Promise<{ status: number; headers: Headers; body: any }> {
  const res = await fetch(`${gh.url}${path}`, {
    method,
    headers: { authorization: `token ${token}`, accept: 'application/vnd.github+json', ...(body ? { 'content-type': 'application/json' } : {}) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, headers: res.headers, body: text ? JSON.parse(text) : undefined };
}

describe('FakeGitHub: every endpoint answers with the fixture\'s shapes', () => {
  const gh = new FakeGitHub({ tokens: [TOKEN] });
  let first: string;
  let head: string;

  before(async () => {
    await gh.start();
    gh.seed.repo({ owner: 'acme', name: 'config', defaultBranch: 'main' });
    first = gh.seed.commit('acme/config', {
      message: 'initial',
      files: { 'deploy/billing-api/deploy.yaml': 'team: payments\nnamespace: payments\n', 'deploy/billing-api/app.yaml': 'kind: Deployment\n', 'README.md': '# config\n' },
    });
    head = gh.seed.commit('acme/config', { message: 'bump', files: { 'deploy/billing-api/app.yaml': 'kind: Deployment\nreplicas: 2\n', 'README.md': null } });
    gh.seed.branch('acme/config', 'feature/x', first);
  });
  after(async () => {
    await gh.stop();
  });

  it('GET /repos/{owner}/{repo} is a full repository', async () => {
    const r = await call(gh, 'GET', '/repos/acme/config');
    assert.equal(r.status, 200);
    assert.equal(r.body.full_name, 'acme/config');
    assert.equal(r.body.default_branch, 'main');
    assert.equal(r.body.url, `${gh.url}/repos/acme/config`);
    assert.equal((await call(gh, 'GET', '/repos/acme/nope')).status, 404);
  });

  it('lists and gets branches', async () => {
    const list = await call(gh, 'GET', '/repos/acme/config/branches');
    assert.equal(list.status, 200);
    assert.deepEqual(list.body.map((b: any) => [b.name, b.commit.sha]), [['feature/x', first], ['main', head]]);
    const one = await call(gh, 'GET', '/repos/acme/config/branches/main');
    assert.equal(one.body.commit.sha, head);
    assert.equal(one.body.commit.parents[0].sha, first);
    assert.equal((await call(gh, 'GET', '/repos/acme/config/branches/feature/x')).body.commit.sha, first);
    assert.equal((await call(gh, 'GET', '/repos/acme/config/branches/gone')).status, 404);
  });

  it('reads a commit with its changed files and the history', async () => {
    const c = await call(gh, 'GET', `/repos/acme/config/commits/${head}`);
    assert.equal(c.status, 200);
    assert.equal(c.body.commit.message, 'bump');
    assert.deepEqual(c.body.files.map((f: any) => [f.filename, f.status]), [['README.md', 'removed'], ['deploy/billing-api/app.yaml', 'modified']]);
    const byBranch = await call(gh, 'GET', '/repos/acme/config/commits/main');
    assert.equal(byBranch.body.sha, head);
    const hist = await call(gh, 'GET', '/repos/acme/config/commits?sha=main');
    assert.deepEqual(hist.body.map((x: any) => x.sha), [head, first]);
    const byPath = await call(gh, 'GET', '/repos/acme/config/commits?path=README.md');
    assert.deepEqual(byPath.body.map((x: any) => x.sha), [head, first]);
    assert.equal((await call(gh, 'GET', `/repos/acme/config/commits/${'0'.repeat(40)}`)).status, 422);
  });

  it('reads the deploy/ folder through a recursive tree and its blobs', async () => {
    const tree = await call(gh, 'GET', '/repos/acme/config/git/trees/main?recursive=1');
    assert.equal(tree.status, 200);
    assert.deepEqual(
      tree.body.tree.map((e: any) => [e.path, e.type]),
      [['deploy', 'tree'], ['deploy/billing-api', 'tree'], ['deploy/billing-api/app.yaml', 'blob'], ['deploy/billing-api/deploy.yaml', 'blob']],
    );
    const blobEntry = tree.body.tree.find((e: any) => e.path === 'deploy/billing-api/app.yaml');
    const blob = await call(gh, 'GET', `/repos/acme/config/git/blobs/${blobEntry.sha}`);
    assert.equal(blob.body.encoding, 'base64');
    assert.equal(Buffer.from(blob.body.content, 'base64').toString('utf8'), 'kind: Deployment\nreplicas: 2\n');
    // git's own hashing: `printf 'kind: Deployment\nreplicas: 2\n' | git hash-object --stdin`
    assert.equal(blob.body.sha, '1cbd2e35524e370cd1b2ba099de57722348e6588');
    const commit = await call(gh, 'GET', `/repos/acme/config/commits/${head}`);
    const byTreeSha = await call(gh, 'GET', `/repos/acme/config/git/trees/${commit.body.commit.tree.sha}`);
    assert.deepEqual(byTreeSha.body.tree.map((e: any) => e.path), ['deploy']);
    assert.equal((await call(gh, 'GET', `/repos/acme/config/git/blobs/${'f'.repeat(40)}`)).status, 404);
  });

  it('reads contents: a file (base64) and a directory listing', async () => {
    const file = await call(gh, 'GET', '/repos/acme/config/contents/deploy/billing-api/deploy.yaml?ref=main');
    assert.equal(file.status, 200);
    assert.equal(file.body.type, 'file');
    assert.equal(Buffer.from(file.body.content, 'base64').toString(), 'team: payments\nnamespace: payments\n');
    const dir = await call(gh, 'GET', '/repos/acme/config/contents/deploy/billing-api');
    assert.deepEqual(dir.body.map((e: any) => [e.name, e.type]), [['app.yaml', 'file'], ['deploy.yaml', 'file']]);
    assert.equal((await call(gh, 'GET', '/repos/acme/config/contents/README.md')).status, 404);
    assert.equal((await call(gh, 'GET', `/repos/acme/config/contents/README.md?ref=${first}`)).status, 200);
  });

  it('creates statuses and combines them per context', async () => {
    const created = await call(gh, 'POST', `/repos/acme/config/statuses/${head}`, { state: 'pending', context: 'sluice/deploy', description: 'queued' });
    assert.equal(created.status, 201);
    assert.equal(created.body.state, 'pending');
    await call(gh, 'POST', `/repos/acme/config/statuses/${head}`, { state: 'success', context: 'sluice/deploy', target_url: 'https://sluice.example/d/1' });
    await call(gh, 'POST', `/repos/acme/config/statuses/${head}`, { state: 'success', context: 'ci' });
    const combined = await call(gh, 'GET', `/repos/acme/config/commits/${head}/status`);
    assert.equal(combined.status, 200);
    assert.equal(combined.body.state, 'success');
    assert.equal(combined.body.total_count, 2);
    const list = await call(gh, 'GET', `/repos/acme/config/commits/${head}/statuses`);
    assert.deepEqual(list.body.map((s: any) => s.state), ['success', 'success', 'pending']);
    assert.deepEqual(gh.statuses('acme/config', head).map((s) => s.context), ['sluice/deploy', 'sluice/deploy', 'ci']);
    assert.equal((await call(gh, 'POST', `/repos/acme/config/statuses/${'a'.repeat(40)}`, { state: 'success' })).status, 422);
  });

  it('answers 422 Validation Failed for a body that does not match the request schema', async () => {
    const bad = await call(gh, 'POST', `/repos/acme/config/statuses/${head}`, { state: 'green' });
    assert.equal(bad.status, 422);
    assert.equal(bad.body.message, 'Validation Failed');
    assert.equal(bad.body.errors[0].field, 'state');
    assert.equal(bad.body.errors[0].code, 'invalid');
    const missing = await call(gh, 'POST', '/repos/acme/config/check-runs', { name: 'x' });
    assert.equal(missing.status, 422);
    assert.deepEqual(missing.body.errors.map((e: any) => [e.field, e.code]), [['head_sha', 'missing_field']]);
    assert.equal(gh.statuses('acme/config', head).filter((s) => s.state === ('green' as never)).length, 0);
  });

  it('requires a known token', async () => {
    assert.equal((await call(gh, 'GET', '/repos/acme/config', undefined, 'wrong')).status, 401);
    const anon = await fetch(`${gh.url}/repos/acme/config`);
    assert.equal(anon.status, 401);
    assert.equal(gh.requests.at(-1)!.authKind, 'none');
  });
});
