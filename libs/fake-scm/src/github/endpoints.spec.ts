/* eslint-disable @typescript-eslint/no-explicit-any -- JSON bodies; their shape is what the fake checks against the OpenAPI fixture */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { call as rawCall } from '../spec-support';
import { createAppCredentials, signAppJwt } from './auth';
import { FakeGitHub } from './fake-github';
import { GitHubOpenApi } from './openapi';

const TOKEN = 'ghp_test';
const app = createAppCredentials(77);

describe('FakeGitHub endpoints (responses validated against the fixture)', () => {
  const gh = new FakeGitHub({ tokens: [TOKEN], app: { appId: app.appId, publicKey: app.publicKey } });
  const call = (method: string, path: string, body?: unknown, auth = `token ${TOKEN}`) =>
    rawCall(gh.url, method, path, { body, headers: { authorization: auth } });
  let head: string;

  before(async () => {
    await gh.start();
    gh.seed.repo({ owner: 'acme', name: 'billing' });
    gh.seed.repo({ owner: 'acme', name: 'config', private: true });
    gh.seed.repo({ owner: 'other', name: 'thing' });
    head = gh.seed.commit('acme/billing', { message: 'feat: one', files: { 'src/a.ts': 'export const a = 1;\n' } });
    gh.seed.installation({ id: 9, account: 'acme' });
  });
  after(async () => {
    await gh.stop();
  });

  it('serves every operation of the fixture, plus the App hook deliveries and the commit comparison it leaves out', () => {
    const ops = GitHubOpenApi.load().operations;
    // 32 from the shared fixture, plus issues/list-comments and issues/update-comment from GitHub's REST description.
    assert.equal(ops.filter((o) => !o.supplementary).length, 34);
    assert.deepEqual([...gh.implementedOperations].sort(), ops.map((o) => o.operationId).sort());
    assert.deepEqual(ops.filter((o) => o.supplementary).map((o) => o.operationId).sort(), [
      'apps/list-webhook-deliveries',
      'apps/redeliver-webhook-delivery',
      'repos/compare-commits',
    ]);
  });



  it('App hook deliveries: listed newest first with a JWT, redelivered', async () => {
    const jwt = `Bearer ${signAppJwt({ appId: app.appId, privateKey: app.privateKey })}`;
    gh.seed.appDelivery({ event: 'push', payload: { ref: 'refs/heads/main' }, delivered_at: '2026-01-01T00:00:00Z', installationId: 9 });
    const failed = gh.seed.appDelivery({ event: 'push', payload: { ref: 'refs/heads/main' }, status_code: 502, delivered_at: '2026-01-02T00:00:00Z' });
    const list = await call('GET', '/app/hook/deliveries', undefined, jwt);
    assert.equal(list.status, 200);
    assert.deepEqual(list.body.map((d: any) => d.status_code), [502, 200]);
    assert.equal(list.body[1].installation_id, 9);
    assert.equal((await call('GET', '/app/hook/deliveries')).status, 401);
    const redo = await call('POST', `/app/hook/deliveries/${failed.id}/attempts`, undefined, jwt);
    assert.equal(redo.status, 202);
    assert.equal(gh.appDeliveries().at(-1)!.redelivery, true);
    assert.equal(gh.appDeliveries().at(-1)!.guid, failed.guid);
  });

  it('check runs: create, get, patch, list for ref; suites follow their runs', async () => {
    const appAuth = `token ${gh.issueInstallationToken(9).token}`;
    const call = (method: string, path: string, body?: unknown) => rawCall(gh.url, method, path, { body, headers: { authorization: appAuth } });
    const created = await call('POST', '/repos/acme/billing/check-runs', { name: 'sluice', head_sha: head, status: 'in_progress', details_url: 'https://sluice.example/x' });
    assert.equal(created.status, 201);
    assert.equal(created.body.status, 'in_progress');
    const id = created.body.id;
    assert.equal((await call('GET', `/repos/acme/billing/check-runs/${id}`)).body.name, 'sluice');
    let suites = await call('GET', `/repos/acme/billing/commits/${head}/check-suites`);
    assert.equal(suites.status, 200);
    assert.equal(suites.body.check_suites[0].status, 'in_progress');
    const done = await call('PATCH', `/repos/acme/billing/check-runs/${id}`, { conclusion: 'success', output: { title: 'Deployed', summary: 'ok' } });
    assert.equal(done.status, 200);
    assert.equal(done.body.status, 'completed');
    assert.equal(done.body.conclusion, 'success');
    assert.equal(done.body.output.title, 'Deployed');
    const listed = await call('GET', `/repos/acme/billing/commits/main/check-runs?check_name=sluice`);
    assert.equal(listed.body.total_count, 1);
    assert.equal(listed.body.check_runs[0].id, id);
    suites = await call('GET', `/repos/acme/billing/commits/${head}/check-suites`);
    assert.equal(suites.body.check_suites[0].conclusion, 'success');
    assert.equal(gh.checkRuns('acme/billing', head).length, 1);
    const bad = await call('PATCH', `/repos/acme/billing/check-runs/${id}`, { conclusion: 'great' });
    assert.equal(bad.status, 422);
    assert.equal((await call('GET', '/repos/acme/billing/check-runs/1')).status, 404);
    assert.equal(created.body.app.id, app.appId);
  });

  it('check runs are written by GitHub Apps only, each app its own runs', async () => {
    const byToken = await call('POST', '/repos/acme/billing/check-runs', { name: 'x', head_sha: head });
    assert.equal(byToken.status, 403);
    const otherCi = gh.seed.checkRun('acme/billing', { head_sha: head, name: 'build', conclusion: 'failure' });
    const appAuth = `token ${gh.issueInstallationToken(9).token}`;
    const read = await rawCall(gh.url, 'GET', `/repos/acme/billing/check-runs/${otherCi}`, { headers: { authorization: appAuth } });
    assert.equal(read.body.app.slug, 'octoapp');
    const patch = await rawCall(gh.url, 'PATCH', `/repos/acme/billing/check-runs/${otherCi}`, { body: { conclusion: 'success' }, headers: { authorization: appAuth } });
    assert.equal(patch.status, 403);
    assert.equal(gh.checkRuns('acme/billing', head).find((r) => r.id === otherCi)!.conclusion, 'failure');
    const suites = await call('GET', `/repos/acme/billing/commits/${head}/check-suites`);
    assert.deepEqual(suites.body.check_suites.map((s: any) => s.app.slug).sort(), ['octoapp', 'sluice']);
  });

  it('workflow runs: seeded, filtered by branch and status', async () => {
    gh.seed.workflowRun('acme/billing', { head_sha: head, name: 'build', conclusion: 'success' });
    gh.seed.workflowRun('acme/billing', { head_sha: head, name: 'lint', status: 'in_progress' });
    const all = await call('GET', '/repos/acme/billing/actions/runs?branch=main');
    assert.equal(all.status, 200);
    assert.equal(all.body.total_count, 2);
    const done = await call('GET', '/repos/acme/billing/actions/runs?status=success');
    assert.deepEqual(done.body.workflow_runs.map((r: any) => [r.name, r.head_sha, r.head_branch]), [['build', head, 'main']]);
  });

  it('deployments and deployment statuses', async () => {
    const d = await call('POST', '/repos/acme/billing/deployments', { ref: 'main', environment: 'staging', payload: { config: 'billing-api' } });
    assert.equal(d.status, 201);
    assert.equal(d.body.sha, head);
    const s = await call('POST', `/repos/acme/billing/deployments/${d.body.id}/statuses`, { state: 'success', environment_url: 'https://billing.example' });
    assert.equal(s.status, 201);
    assert.equal((await call('GET', `/repos/acme/billing/deployments/${d.body.id}/statuses`)).body[0].state, 'success');
    assert.equal((await call('GET', '/repos/acme/billing/deployments?environment=staging')).body.length, 1);
    assert.equal((await call('POST', '/repos/acme/billing/deployments', { ref: 'nope' })).status, 422);
    assert.equal((await call('POST', `/repos/acme/billing/deployments/${d.body.id}/statuses`, { state: 'great' })).status, 422);
  });

  it('transient deployments (previews): environment_url, inactive, and auto_inactive as GitHub documents it', async () => {
    const env = 'preview/billing-api/pr-3';
    const create = (transient: boolean) => call('POST', '/repos/acme/billing/deployments', { ref: head, environment: env, required_contexts: [], transient_environment: transient, payload: { n: 1 } });
    const first = await create(true);
    assert.equal(first.status, 201);
    assert.deepEqual([first.body.transient_environment, first.body.production_environment], [true, false]);
    const status = (id: number, body: object) => call('POST', `/repos/acme/billing/deployments/${id}/statuses`, body);
    const s = await status(first.body.id, { state: 'success', environment_url: 'https://pr-3.preview.example' });
    assert.equal(s.body.environment_url, 'https://pr-3.preview.example');
    // A later success in the environment leaves a transient one alone (its owner retires it) …
    const second = await create(true);
    await status(second.body.id, { state: 'success' });
    assert.equal(gh.deployments('acme/billing').find((d) => d.id === first.body.id)!.statuses.at(-1)!.state, 'success');
    assert.equal((await status(first.body.id, { state: 'inactive' })).body.state, 'inactive');
    // … and retires an earlier successful non-transient one.
    const third = await create(false);
    await status(third.body.id, { state: 'success' });
    const fourth = await create(false);
    await status(fourth.body.id, { state: 'success', auto_inactive: true });
    assert.deepEqual(gh.deployments('acme/billing').find((d) => d.id === third.body.id)!.statuses.map((x) => x.state), ['success', 'inactive']);
    const listed = await call('GET', `/repos/acme/billing/deployments?sha=${head}&environment=${encodeURIComponent(env)}`);
    assert.deepEqual(listed.body.map((d: any) => d.id), [fourth.body.id, third.body.id, second.body.id, first.body.id]);
    assert.equal((await call('GET', '/repos/acme/billing/deployments?environment=production')).body.every((d: any) => d.production_environment), true);
  });

  it('pull requests and issue comments', async () => {
    gh.seed.pull('acme/billing', { number: 5, head: { ref: 'feature/x', sha: head } });
    const p = await call('GET', '/repos/acme/billing/pulls/5');
    assert.equal(p.status, 200);
    assert.equal(p.body.head.sha, head);
    assert.equal((await call('GET', '/repos/acme/billing/pulls/6')).status, 404);
    const c = await call('POST', '/repos/acme/billing/issues/5/comments', { body: 'Deployed to staging' });
    assert.equal(c.status, 201);
    assert.deepEqual(gh.comments('acme/billing', 5).map((x) => x.body), ['Deployed to staging']);
    assert.equal((await call('POST', '/repos/acme/billing/issues/5/comments', {})).status, 422);
  });

  it('issue comments: listed oldest first and paged, edited in place', async () => {
    const ids: number[] = [];
    for (const body of ['one', 'two', 'three']) ids.push((await call('POST', '/repos/acme/billing/issues/8/comments', { body })).body.id);
    await call('POST', '/repos/acme/billing/issues/9/comments', { body: 'elsewhere' });
    const page1 = await call('GET', '/repos/acme/billing/issues/8/comments?per_page=2');
    assert.equal(page1.status, 200);
    assert.deepEqual(page1.body.map((c: any) => c.body), ['one', 'two']);
    assert.match(page1.headers.get('link') ?? '', /rel="next"/);
    assert.deepEqual((await call('GET', '/repos/acme/billing/issues/8/comments?per_page=2&page=2')).body.map((c: any) => c.id), [ids[2]]);
    const edited = await call('PATCH', `/repos/acme/billing/issues/comments/${ids[1]}`, { body: 'two, edited' });
    assert.equal(edited.status, 200);
    assert.equal(edited.body.id, ids[1]);
    assert.equal(edited.body.body, 'two, edited');
    assert.deepEqual(gh.comments('acme/billing', 8).map((c) => c.body), ['one', 'two, edited', 'three']);
    assert.deepEqual(gh.comments('acme/billing', 8)[1].edits, ['two']);
    assert.equal((await call('PATCH', `/repos/acme/billing/issues/comments/${ids[1]}`, {})).status, 422);
    assert.equal((await call('PATCH', '/repos/acme/billing/issues/comments/1', { body: 'x' })).status, 404);
    assert.deepEqual((await call('GET', '/repos/acme/billing/issues/7/comments')).body, []);
  });

  it('creates and updates a file through contents, which moves the branch', async () => {
    const created = await call('PUT', '/repos/acme/billing/contents/deploy/x.yaml', { message: 'add', content: Buffer.from('a: 1\n').toString('base64') });
    assert.equal(created.status, 201);
    assert.equal(gh.headOf('acme/billing'), created.body.commit.sha);
    const stale = await call('PUT', '/repos/acme/billing/contents/deploy/x.yaml', { message: 'upd', content: 'YjogMgo=', sha: 'f'.repeat(40) });
    assert.equal(stale.status, 409);
    const updated = await call('PUT', '/repos/acme/billing/contents/deploy/x.yaml', { message: 'upd', content: 'YjogMgo=', sha: created.body.content.sha });
    assert.equal(updated.status, 200);
    assert.equal((await call('PUT', '/repos/acme/billing/contents/deploy/x.yaml', { message: 'no content' })).status, 422);
  });

  it('repository listings for an org, a user and an installation token', async () => {
    const org = await call('GET', '/orgs/acme/repos');
    assert.deepEqual(org.body.map((r: any) => r.full_name).sort(), ['acme/billing', 'acme/config']);
    assert.equal((await call('GET', '/user/repos')).body.length, 3);
    const jwt = signAppJwt({ appId: app.appId, privateKey: app.privateKey });
    const installs = await call('GET', '/app/installations', undefined, `Bearer ${jwt}`);
    assert.equal(installs.status, 200);
    assert.equal(installs.body[0].account.login, 'acme');
    const tok = await call('POST', '/app/installations/9/access_tokens', {}, `Bearer ${jwt}`);
    assert.equal(tok.status, 201);
    const repos = await call('GET', '/installation/repositories', undefined, `token ${tok.body.token}`);
    assert.equal(repos.status, 200);
    assert.equal(repos.body.total_count, 2);
    assert.equal((await call('GET', '/installation/repositories')).status, 403);
  });

  it('rate_limit reports the core budget and does not spend it', async () => {
    const a = await call('GET', '/rate_limit');
    const b = await call('GET', '/rate_limit');
    assert.equal(a.status, 200);
    assert.equal(a.body.resources.core.limit, 5000);
    assert.equal(a.body.resources.core.remaining, b.body.resources.core.remaining);
    assert.equal(a.headers.get('x-ratelimit-resource'), 'core');
  });

  it('no answer drifted from the fixture', () => {
    assert.deepEqual(gh.errors, []);
  });

  it('compares two commits as GitHub does: status, counts, the commits ahead; 404 without common history', async () => {
    gh.seed.repo({ owner: 'acme', name: 'compared' });
    const base = gh.seed.commit('acme/compared', { message: 'base', files: { 'src/b.ts': 'b\n' } });
    const ahead = gh.seed.commit('acme/compared', { message: 'ahead', files: { 'src/c.ts': 'c\n' } });
    const res = await call('GET', `/repos/acme/compared/compare/${base}...${ahead}`);
    assert.equal(res.status, 200);
    assert.deepEqual([res.body.status, res.body.ahead_by, res.body.behind_by, res.body.total_commits], ['ahead', 1, 0, 1]);
    assert.deepEqual(res.body.commits.map((c: any) => c.sha), [ahead]);
    assert.equal(res.body.merge_base_commit.sha, base);
    assert.deepEqual(res.body.files.map((f: any) => [f.filename, f.status]), [['src/c.ts', 'added']]);
    assert.equal((await call('GET', `/repos/acme/compared/compare/${ahead}...${base}`)).body.status, 'behind');
    assert.equal((await call('GET', `/repos/acme/compared/compare/${ahead}...${ahead}`)).body.status, 'identical');
    const side = gh.seed.commit('acme/compared', { message: 'side', parents: [base], branch: 'side', files: { 'src/d.ts': 'd\n' } });
    const diverged = await call('GET', `/repos/acme/compared/compare/${ahead}...${side}`);
    assert.deepEqual([diverged.body.status, diverged.body.ahead_by, diverged.body.behind_by], ['diverged', 1, 1]);
    const orphan = gh.seed.commit('acme/compared', { message: 'orphan', parents: [], branch: 'orphan', files: { x: 'x' } });
    const unrelated = await call('GET', `/repos/acme/compared/compare/${ahead}...${orphan}`);
    assert.equal(unrelated.status, 404);
    assert.equal(unrelated.body.message, `No common ancestor between ${ahead} and ${orphan}.`);
    assert.equal((await call('GET', `/repos/acme/compared/compare/main...${'f'.repeat(40)}`)).status, 404);
  });});

describe('FakeGitHub response validation', () => {
  it('a response that drifted from the fixture is a 500 and makes stop() throw', async () => {
    const gh = new FakeGitHub();
    await gh.start();
    gh.seed.repo({ owner: 'acme', name: 'x' });
    const original = gh.views.fullRepository.bind(gh.views);
    gh.views.fullRepository = (repo) => {
      const r = original(repo);
      delete r.default_branch;
      return r;
    };
    const res = await rawCall(gh.url, 'GET', '/repos/acme/x', { headers: { authorization: 'token t' } });
    assert.equal(res.status, 500);
    assert.equal(res.headers.get('x-fake-scm-error'), 'schema-drift');
    await assert.rejects(gh.stop(), /repos\/get \(200\) does not match the OpenAPI fixture: \(root\) must have required property 'default_branch'/);
  });

  it('validateResponses: false lets it through', async () => {
    const gh = new FakeGitHub({ validateResponses: false });
    await gh.start();
    gh.seed.repo({ owner: 'acme', name: 'x' });
    gh.views.fullRepository = () => ({ nothing: true });
    const res = await rawCall(gh.url, 'GET', '/repos/acme/x', { headers: { authorization: 'token t' } });
    assert.equal(res.status, 200);
    await gh.stop();
  });
});
