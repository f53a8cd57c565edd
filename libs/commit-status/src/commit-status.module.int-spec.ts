import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import request from 'supertest';
import { announceRevocation, announceTeamToken } from '@sluice/auth/testing';
import { Topics, type EventData } from '@sluice/contracts';
import { FakeBitbucket, FakeGitHub, FakeGitLab } from '@sluice/fake-scm';
import { waitUntil } from '@sluice/testing';
import { v7 as uuidv7 } from 'uuid';
import { ADMIN, envelope, startCommitStatus, type App } from './testing/app';

/*
 * The service as deployed without a cluster: deploy events on the in-process bus → the
 * configs' CommitStatus records in PostgreSQL → statuses on fake GitHub; the read API;
 * commit-status.synced in the outbox.
 */

const ARTIFACT_REPO = 'acme/billing';
const CONFIG_REPO = 'acme/deploy';
const TOKEN = 'ghp_module_test';
const PUBLIC = 'https://sluice.example';

describe('commit-status service: deploy lifecycle → GitHub statuses (PostgreSQL store)', () => {
  let gh: FakeGitHub;
  let svc: App;
  const shas: Record<string, string> = {};

  before(async () => {
    gh = new FakeGitHub({ tokens: [TOKEN] });
    await gh.start();
    gh.seed.repo({ owner: 'acme', name: 'billing' });
    gh.seed.repo({ owner: 'acme', name: 'deploy' });
    for (const n of ['a1', 'a2', 'a3', 'a4']) shas[n] = gh.seed.commit(ARTIFACT_REPO, { message: n, files: { 'f.txt': n } });
    shas.c1 = gh.seed.commit(CONFIG_REPO, { message: 'c1', files: { 'deploy/web/deploy.yaml': 'team: web' } });
    svc = await startCommitStatus({ GITHUB_API_URL: gh.url, GITHUB_TOKEN: TOKEN, SLUICE_PUBLIC_URL: PUBLIC, COMMIT_STATUS_STORE: 'postgres' });
  });
  after(async () => {
    await svc?.close();
    await gh?.stop();
  });

  const requested = (config: string, deployId: string, over: Partial<EventData<'deploy.requested'>>): EventData<'deploy.requested'> => ({
    deployId,
    config,
    team: 'payments',
    namespace: 'payments',
    configRepo: CONFIG_REPO,
    path: `deploy/${config}`,
    artifactRepo: ARTIFACT_REPO,
    artifactImage: 'ghcr.io/acme/billing',
    artifactSha: shas.a1,
    configSha: shas.c1,
    imageTag: 'main-1111111',
    cause: 'autodeploy',
    requestedBy: 'autodeploy',
    reason: 'build succeeded',
    reappliedFrom: null,
    ...over,
  });
  const publish = (stream: string, e: Parameters<typeof envelope>) => svc.bus.publish(Topics.deploy, [envelope(...e)]);
  const held = (repo: string, sha: string, context: string) => gh.statuses(repo, sha).filter((s) => s.context === context).map((s) => `${s.state}:${s.description}`);
  async function until(repo: string, sha: string, context: string, n: number) {
    await waitUntil(async () => held(repo, sha, context).length >= n, { timeoutMs: 15_000, message: `${n} statuses on ${sha}` });
    await svc.runtime.idle();
  }

  it('requested → started → applied → succeeded, then a newer deploy that is replaced while in progress: the right commits, no duplicates', async () => {
    const config = 'billing-api';
    const ctx = `sluice/${config}`;
    const stream = `config-${config}`;
    const [d1, d2, d3] = [uuidv7(), uuidv7(), uuidv7()];

    await publish(stream, ['deploy.requested', stream, requested(config, d1, {})]);
    await until(ARTIFACT_REPO, shas.a1, ctx, 1);
    await publish(stream, ['deploy.started', stream, { deployId: d1, config }]);
    await until(ARTIFACT_REPO, shas.a1, ctx, 2);
    await publish(stream, ['deploy.applied', `applier-${config}`, { deployId: d1, config, dryRun: false, inventory: [] }]);
    await until(ARTIFACT_REPO, shas.a1, ctx, 3);
    await publish(stream, ['deploy.succeeded', `applier-${config}`, { deployId: d1, config }]);
    await until(ARTIFACT_REPO, shas.a1, ctx, 4);
    // The same outcome recorded again in the config's stream (another event id): nothing new.
    await publish(stream, ['deploy.succeeded', stream, { deployId: d1, config }]);
    await publish(stream, ['deploy.started', stream, { deployId: d1, config }]);

    await publish(stream, ['deploy.requested', stream, requested(config, d2, { artifactSha: shas.a2 })]);
    await until(ARTIFACT_REPO, shas.a2, ctx, 1);
    await publish(stream, ['deploy.started', stream, { deployId: d2, config }]);
    await until(ARTIFACT_REPO, shas.a2, ctx, 2);
    await publish(stream, ['deploy.requested', stream, requested(config, d3, { artifactSha: shas.a3 })]);
    await until(ARTIFACT_REPO, shas.a3, ctx, 1);
    await publish(stream, ['deploy.failed', `applier-${config}`, { deployId: d3, config, reason: 'InvalidManifest', message: 'spec.replicas: must be an integer', terminal: true }]);
    await until(ARTIFACT_REPO, shas.a3, ctx, 2);
    await new Promise((r) => setTimeout(r, 300));
    await svc.runtime.idle();

    assert.deepEqual(held(ARTIFACT_REPO, shas.a1, ctx), [
      'pending:Deploy to payments queued',
      'pending:Deploying to payments',
      'pending:Applied to payments; waiting for health',
      'success:Deployed to payments',
    ]);
    assert.deepEqual(held(ARTIFACT_REPO, shas.a2, ctx), ['pending:Deploy to payments queued', 'pending:Deploying to payments', 'error:Canceled: Deploying to payments']);
    assert.deepEqual(held(ARTIFACT_REPO, shas.a3, ctx), [
      'pending:Deploy to payments queued',
      'failure:Deploy to payments failed: InvalidManifest — spec.replicas: must be an integer',
    ]);
    assert.equal(gh.statuses(CONFIG_REPO, shas.c1).length, 0, 'artifactful: nothing on the config commit');
    const urls = new Set(gh.statuses(ARTIFACT_REPO, shas.a3).map((s) => s.target_url));
    assert.deepEqual([...urls], [`${PUBLIC}/deploys/${d3}`]);

    // commit-status.synced went to the outbox, on the repository's stream.
    const synced = await svc.events.readStream(`repo-${ARTIFACT_REPO}`);
    assert.ok(synced.every((e) => e.type === 'commit-status.synced'));
    const short = (sha: string) => Object.entries(shas).find(([, v]) => v === sha)?.[0];
    assert.deepEqual(
      synced.map((e) => {
        const d = e.data as { phase: string; sha: string; isSynced: boolean };
        return `${short(d.sha)}:${d.phase}:${d.isSynced}`;
      }),
      // One per phase change (the applied step keeps in_progress: a new description, no event).
      ['a1:queued:true', 'a1:in_progress:true', 'a1:success:true', 'a2:queued:true', 'a2:in_progress:true', 'a2:canceled:true', 'a3:queued:true', 'a3:failure:true'],
    );
  });

  it('a deploy failed by its tests (TestsFailed): healthy is not success; the status is failure with the tests’ message', async () => {
    const config = 'orders-api';
    const ctx = `sluice/${config}`;
    const stream = `config-${config}`;
    const applier = `applier-${config}`;
    const d = uuidv7();
    const at = new Date().toISOString();
    const step = (name: 'wait-healthy' | 'test', state: 'started' | 'done' | 'failed', error: { reason: string; message: string } | null) =>
      ({ deployId: d, config, step: name, state, result: state === 'done' ? 'healthy' : null, error, childId: null, startedAt: at, endedAt: state === 'started' ? null : at }) as EventData<'deploy.step'>;
    const message = 'the tests failed: Job has reached the specified backoff limit';
    await publish(stream, ['deploy.requested', stream, requested(config, d, { artifactSha: shas.a4 })]);
    await until(ARTIFACT_REPO, shas.a4, ctx, 1);
    await publish(stream, ['deploy.started', applier, { deployId: d, config }]);
    await until(ARTIFACT_REPO, shas.a4, ctx, 2);
    await publish(stream, ['deploy.applied', applier, { deployId: d, config, dryRun: false, inventory: [] }]);
    await until(ARTIFACT_REPO, shas.a4, ctx, 3);
    // Healthy, then the tests run and fail (kube-applier's test gate: no deploy.succeeded).
    await publish(stream, ['deploy.step', applier, step('wait-healthy', 'done', null)]);
    await publish(stream, ['deploy.step', applier, step('test', 'started', null)]);
    await publish(stream, ['deploy.log', applier, { deployId: d, config, source: 'job', lines: [{ at: null, text: 'FAIL smoke: GET / answered 500' }] }]);
    await publish(stream, ['deploy.step', applier, step('test', 'failed', { reason: 'TestsFailed', message })]);
    await publish(stream, ['deploy.failed', applier, { deployId: d, config, reason: 'TestsFailed', message, terminal: true }]);
    await waitUntil(async () => held(ARTIFACT_REPO, shas.a4, ctx).some((s) => !s.startsWith('pending:')), { timeoutMs: 15_000, message: 'the final status' });
    await new Promise((r) => setTimeout(r, 300));
    await svc.runtime.idle();
    const statuses = held(ARTIFACT_REPO, shas.a4, ctx);
    assert.ok(
      statuses.slice(0, -1).every((s) => s.startsWith('pending:')),
      `nothing but pending before the tests’ result: ${statuses.join(' | ')}`,
    );
    assert.equal(statuses.at(-1), `failure:Deploy to payments failed: TestsFailed — ${message}`);
    assert.ok(!statuses.some((s) => s.startsWith('success:')), 'never success');
    const last = gh.statuses(ARTIFACT_REPO, shas.a4).filter((s) => s.context === ctx).at(-1)!;
    assert.equal(last.target_url, `${PUBLIC}/deploys/${d}`);
  });

  it('an artifactless config reports on its config commit; superseded → canceled', async () => {
    const config = 'static-site';
    const ctx = `sluice/${config}`;
    const stream = `config-${config}`;
    const d = uuidv7();
    await publish(stream, ['deploy.requested', stream, requested(config, d, { artifactRepo: null, artifactImage: null, artifactSha: null, imageTag: null })]);
    await until(CONFIG_REPO, shas.c1, ctx, 1);
    await publish(stream, ['deploy.superseded', stream, { deployId: d, config, supersededBy: uuidv7() }]);
    await until(CONFIG_REPO, shas.c1, ctx, 2);
    assert.deepEqual(held(CONFIG_REPO, shas.c1, ctx), ['pending:Deploy to payments queued', 'error:Canceled: Superseded by a newer deploy']);
  });

  it('GET /api/commit-statuses?repo=&sha= returns spec and status; 401 without the token; 400 for a bad sha', async () => {
    const res = await request(svc.http).get('/api/commit-statuses').query({ repo: ARTIFACT_REPO, sha: shas.a3 }).set('Authorization', `Bearer ${ADMIN}`).expect(200);
    assert.equal(res.body.items.length, 1);
    const item = res.body.items[0];
    assert.equal(item.name, 'sluice-billing-api');
    assert.equal(item.ownedBySluice, true);
    assert.equal(item.spec.phase, 'failure');
    assert.equal(item.status.phase, 'failure');
    assert.equal(item.status.isSynced, true);
    assert.equal(item.status.sha, shas.a3);
    const all = await request(svc.http).get('/api/commit-statuses').query({ repo: CONFIG_REPO }).set('Authorization', `Bearer ${ADMIN}`).expect(200);
    assert.deepEqual(all.body.items.map((i: { name: string }) => i.name), ['sluice-static-site']);
    await request(svc.http).get('/api/commit-statuses').query({ repo: ARTIFACT_REPO }).expect(401);
    await request(svc.http).get('/api/commit-statuses').query({ repo: ARTIFACT_REPO }).set('Authorization', 'Bearer wrong').expect(401);
    const bad = await request(svc.http).get('/api/commit-statuses').query({ repo: ARTIFACT_REPO, sha: 'xyz' }).set('Authorization', `Bearer ${ADMIN}`).expect(400);
    assert.match(JSON.stringify(bad.body), /query\.sha/);
    await request(svc.http).get('/api/commit-statuses').set('Authorization', `Bearer ${ADMIN}`).expect(400);
  });

  it('GET /api/commit-statuses accepts a team token once announced on sluice.auth.v1, and refuses it (401) once revoked', async () => {
    // The team reads the statuses of its configs' repositories (SLUICE_CATALOGUE_VISIBILITY=team, the default).
    const config = { name: 'billing-api', team: 'payments', namespace: 'payments', artifact: { repo: ARTIFACT_REPO, image: 'ghcr.io/acme/billing', build: null }, track: { branch: 'main' }, autodeploy: true, configRepo: CONFIG_REPO, path: 'deploy/billing-api' };
    await svc.bus.publish(Topics.repo, [envelope('repo.config.discovered', `repo-${CONFIG_REPO}`, { config, configSha: shas.c1! })]);
    const team = await announceTeamToken(svc.bus, 'payments');
    const get = () => request(svc.http).get('/api/commit-statuses').query({ repo: ARTIFACT_REPO, sha: shas.a3 }).set('Authorization', `Bearer ${team.token}`);
    await waitUntil(async () => (await get()).status === 200, { message: 'team token accepted' });
    assert.equal((await get()).body.items[0].name, 'sluice-billing-api');
    await announceRevocation(svc.bus, team.id);
    await waitUntil(async () => (await get()).status === 401, { message: 'revoked token refused' });
    assert.equal((await get()).body.error.code, 'unauthorized');
  });
});

describe('commit-status service: GitHub Deployments mirror (COMMIT_STATUS_GITHUB_DEPLOYMENTS=true)', () => {
  let gh: FakeGitHub;
  let svc: App;
  let a1: string;
  let a2: string;
  const repo = 'acme/shop';

  before(async () => {
    gh = new FakeGitHub({ tokens: [TOKEN] });
    await gh.start();
    gh.seed.repo({ owner: 'acme', name: 'shop' });
    a1 = gh.seed.commit(repo, { message: 'a1', files: { 'f.txt': '1' } });
    a2 = gh.seed.commit(repo, { message: 'a2', files: { 'f.txt': '2' } });
    svc = await startCommitStatus({ GITHUB_API_URL: gh.url, GITHUB_TOKEN: TOKEN, SLUICE_PUBLIC_URL: PUBLIC, COMMIT_STATUS_STORE: 'postgres', COMMIT_STATUS_GITHUB_DEPLOYMENTS: 'true' });
  });
  after(async () => {
    await svc?.close();
    await gh?.stop();
  });

  const requested = (config: string, deployId: string, sha: string): EventData<'deploy.requested'> => ({
    deployId,
    config,
    team: 'shop',
    namespace: 'shop',
    configRepo: CONFIG_REPO,
    path: `deploy/${config}`,
    artifactRepo: repo,
    artifactImage: 'ghcr.io/acme/shop',
    artifactSha: sha,
    configSha: 'c'.repeat(40),
    imageTag: `main-${sha.slice(0, 7)}`,
    cause: 'manual',
    requestedBy: 'alice',
    reason: 'release',
    reappliedFrom: null,
  });
  const publish = (e: Parameters<typeof envelope>) => svc.bus.publish(Topics.deploy, [envelope(...e)]);
  const states = (deployId: string) =>
    gh
      .deployments(repo)
      .filter((d) => (d.payload as { sluiceDeployId?: string }).sluiceDeployId === deployId)
      .map((d) => ({ sha: d.sha, environment: d.environment, states: d.statuses.map((s) => s.state) }));

  it('one deployment per deploy on its commit, environment = config; statuses follow the deploy; a crash-created deployment is adopted', async () => {
    const config = 'shop-web';
    const stream = `config-${config}`;
    const d1 = uuidv7();
    await publish(['deploy.requested', stream, requested(config, d1, a1)]);
    await waitUntil(async () => states(d1)[0]?.states.length === 1, { message: 'queued deployment' });
    await publish(['deploy.started', stream, { deployId: d1, config }]);
    await waitUntil(async () => states(d1)[0]?.states.length === 2, { message: 'in_progress' });
    await publish(['deploy.succeeded', stream, { deployId: d1, config }]);
    await waitUntil(async () => states(d1)[0]?.states.length === 3, { message: 'success' });
    assert.deepEqual(states(d1), [{ sha: a1, environment: config, states: ['queued', 'in_progress', 'success'] }]);
    assert.equal(gh.deployments(repo)[0].statuses[0].log_url, `${PUBLIC}/deploys/${d1}`);
    assert.equal(gh.deployments(repo)[0].statuses[0].environment_url, `${PUBLIC}/api/configs/${config}`);

    // A deployment created just before a crash (id never saved): adopted, not duplicated.
    const d2 = uuidv7();
    const res = await fetch(`${gh.url}/repos/${repo}/deployments`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${TOKEN}`, 'Content-Type': 'application/json' },
      body: JSON.stringify({ ref: a2, environment: config, required_contexts: [], payload: { sluiceDeployId: d2, config } }),
    });
    assert.equal(res.status, 201);
    await publish(['deploy.requested', stream, requested(config, d2, a2)]);
    await publish(['deploy.failed', stream, { deployId: d2, config, reason: 'Unhealthy', message: 'CrashLoopBackOff', terminal: true }]);
    await waitUntil(async () => (states(d2)[0]?.states ?? []).includes('failure'), { message: 'failure' });
    assert.equal(states(d2).length, 1, 'adopted, not a second deployment');
    assert.equal(states(d2)[0].states.at(-1), 'failure');
    // A deploy superseded before it was mirrored creates no deployment at all; one mirrored
    // while queued is retired (inactive).
    const d3 = uuidv7();
    await publish(['deploy.requested', `config-other`, requested('other', d3, a1)]);
    await publish(['deploy.superseded', `config-other`, { deployId: d3, config: 'other', supersededBy: uuidv7() }]);
    await waitUntil(async () => {
      const rows: Array<{ synced_state: string | null; desired_state: string }> = await svc.dataSource.query(`SELECT synced_state, desired_state FROM commit_status.github_deployments WHERE deploy_id = $1`, [d3]);
      return rows[0]?.desired_state === 'inactive' && rows[0].synced_state === 'inactive';
    }, { message: 'd3 settled' });
    assert.ok(states(d3).length <= 1);
    if (states(d3).length === 1) assert.equal(states(d3)[0].states.at(-1), 'inactive', 'mirrored before being superseded: retired');
  });
});

describe('commit-status service: GitLab and Bitbucket repositories get their deploys’ statuses (#22)', () => {
  let gh: FakeGitHub;
  let gitlab: FakeGitLab;
  let bitbucket: FakeBitbucket;
  let svc: App;
  const ORDERS = 'acme/orders';
  const PAYMENTS = 'acme/payments';
  const orders = 'a0'.repeat(20);
  const payments = 'b0'.repeat(20);
  const config = 'f0'.repeat(20);

  before(async () => {
    gh = new FakeGitHub({ tokens: [TOKEN] });
    gitlab = new FakeGitLab({ tokens: ['gl-token'] });
    bitbucket = new FakeBitbucket({ tokens: ['bb-token'] });
    await Promise.all([gh.start(), gitlab.start(), bitbucket.start()]);
    gitlab.seed.project({ id: 4501, path: ORDERS, defaultBranch: 'main' });
    gitlab.seed.commit(4501, orders);
    bitbucket.seed.repo({ workspace: 'acme', slug: 'payments', commits: [payments, config] });
    svc = await startCommitStatus({
      GITHUB_API_URL: gh.url,
      GITHUB_TOKEN: TOKEN,
      GITLAB_API_URL: `${gitlab.url}/api/v4`,
      GITLAB_TOKEN: 'gl-token',
      BITBUCKET_API_URL: `${bitbucket.url}/2.0`,
      BITBUCKET_TOKEN: 'bb-token',
      SLUICE_PUBLIC_URL: PUBLIC,
      COMMIT_STATUS_STORE: 'postgres',
    });
  });
  after(async () => {
    await svc?.close();
    await Promise.all([gh?.stop(), gitlab?.stop(), bitbucket?.stop()]);
  });

  const upserted = (provider: 'gitlab' | 'bitbucket', fullName: string, id: number | null) =>
    svc.bus.publish(Topics.repo, [envelope('repo.upserted', `repo-${provider}-${id ?? fullName}`, { repo: { provider, fullName, id, defaultBranch: 'main', private: true } })]);
  const requested = (name: string, deployId: string, over: Partial<EventData<'deploy.requested'>>): EventData<'deploy.requested'> => ({
    deployId,
    config: name,
    team: 'payments',
    namespace: 'payments',
    configRepo: PAYMENTS,
    configRepoProvider: 'bitbucket',
    path: `deploy/${name}`,
    artifactRepo: ORDERS,
    artifactImage: 'registry.gitlab.com/acme/orders',
    artifactSha: orders,
    configSha: config,
    imageTag: 'main-a0a0a0a',
    cause: 'autodeploy',
    requestedBy: 'autodeploy',
    reason: 'build succeeded',
    reappliedFrom: null,
    ...over,
  });
  const publish = (e: Parameters<typeof envelope>) => svc.bus.publish(Topics.deploy, [envelope(...e)]);

  it('an artifact on GitLab (as repo.upserted announced it): its commit gets the status on GitLab, none on GitHub', async () => {
    await upserted('gitlab', ORDERS, 4501);
    // The consumers of sluice.repo.v1 and sluice.deploy.v1 are separate: the artifact's repository is known before its deploy.
    await waitUntil(async () => (await svc.dataSource.query(`SELECT 1 FROM commit_status.repo_providers WHERE full_name = $1`, [ORDERS])).length === 1, { message: 'repo_providers' });
    const d = uuidv7();
    const stream = 'config-orders';
    await publish(['deploy.requested', stream, requested('orders', d, {})]);
    await publish(['deploy.succeeded', stream, { deployId: d, config: 'orders' }]);
    await waitUntil(async () => gitlab.statuses(ORDERS, orders).some((s) => s.status === 'success'), { timeoutMs: 15_000, message: 'success on GitLab' });
    assert.deepEqual(gitlab.statuses(ORDERS, orders).map((s) => s.name).filter((n, i, all) => all.indexOf(n) === i), ['sluice/orders']);
    const gitRepos = await svc.dataSource.query(`SELECT provider FROM commit_status.git_repos WHERE full_name = $1`, [ORDERS]);
    assert.deepEqual(gitRepos, [{ provider: 'gitlab' }], 'a GitLab GitRepo, no GitHub one');
  });

  it('an artifactless config in a Bitbucket repository: its config commit gets the status on Bitbucket', async () => {
    const d = uuidv7();
    const stream = 'config-payments-site';
    await publish(['deploy.requested', stream, requested('payments-site', d, { artifactRepo: null, artifactImage: null, artifactSha: null, imageTag: null })]);
    await publish(['deploy.succeeded', stream, { deployId: d, config: 'payments-site' }]);
    await waitUntil(async () => bitbucket.statuses(PAYMENTS, config).some((s) => s.state === 'SUCCESSFUL'), { timeoutMs: 15_000, message: 'SUCCESSFUL on Bitbucket' });
  });
});
