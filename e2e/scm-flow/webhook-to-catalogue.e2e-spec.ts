// A signed GitHub push goes in at webhook-ingest and comes out as a deploy-config
// catalogue in repo-sync: real PostgreSQL, real Kafka, GitHub faked.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import type { INestApplication } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { AutodeployModule, autodeployEventStoreOptions } from '@sluice/autodeploy';
import { repoStream } from '@sluice/contracts';
import { EventStore, EventStoreModule, startSluiceConsumers } from '@sluice/event-store';
import { examplePayload, FakeGitHub, signWebhook } from '@sluice/fake-scm';
import { MessagingModule } from '@sluice/messaging';
import { configureApp } from '@sluice/platform';
import { REPO_SYNC_SCHEMA, repoSyncMigrations, RepoSyncModule } from '@sluice/repo-sync';
import { GitHubScm } from '@sluice/scm';
import { createTestDatabase, kafkaBrokers, uniqueName, waitUntil, type TestDatabase } from '@sluice/testing';
import { Client } from 'pg';
import { WEBHOOK_INGEST_SCHEMA, webhookIngestMigrations, WebhookIngestModule } from '@sluice/webhook-ingest';

const SECRET = 'e2e-webhook-secret';
const ADMIN = 'e2e-admin-token';

async function listen(app: INestApplication): Promise<string> {
  await app.init();
  await startSluiceConsumers(app);
  await app.listen(0, '127.0.0.1');
  return `http://127.0.0.1:${((app.getHttpServer() as Server).address() as AddressInfo).port}`;
}

/** Signs and posts a webhook body as GitHub does; a replay is the same body under a fresh delivery id. */
async function post(ingestUrl: string, event: string, body: string): Promise<string> {
  const res = await fetch(`${ingestUrl}/webhooks/github`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-github-event': event, 'x-github-delivery': randomUUID(), 'x-hub-signature-256': signWebhook(SECRET, body) },
    body,
  });
  assert.equal(res.status, 202);
  return ((await res.json()) as { result: string }).result;
}

describe('webhook → Kafka → catalogue', () => {
  const fake = new FakeGitHub();
  /** The repository's stream: by GitHub's id (docs/architecture.md §3). */
  const streamOf = (fullName: string) => repoStream({ provider: 'github', id: fake.state.requireRepo(fullName).id, fullName });
  const topicPrefix = uniqueName('e2e-scm');
  let db: TestDatabase;
  let ingest: INestApplication;
  let sync: INestApplication;
  let autodeploy: INestApplication;
  let ingestUrl: string;
  let syncUrl: string;

  before(async () => {
    await fake.start();
    db = await createTestDatabase('e2e_scm_flow');
    const bus = { brokers: kafkaBrokers(), topicPrefix, retry: { maxAttempts: 5, baseDelayMs: 50, maxDelayMs: 500 } };
    const syncRef = await Test.createTestingModule({
      imports: [
        MessagingModule.forRoot({ ...bus, clientId: 'repo-sync-e2e' }),
        EventStoreModule.forRoot({ url: db.url, schema: REPO_SYNC_SCHEMA, migrations: repoSyncMigrations, poolSize: 5 }),
        RepoSyncModule.forRoot(
          { GITHUB_API_URL: fake.url, SLUICE_ADMIN_TOKEN: ADMIN },
          { scm: new GitHubScm({ baseUrl: fake.url, credentials: { kind: 'token', token: 't' } }) },
        ),
      ],
    }).compile();
    sync = configureApp(syncRef.createNestApplication({ logger: false }));
    syncUrl = await listen(sync);
    const ingestRef = await Test.createTestingModule({
      imports: [
        MessagingModule.forRoot({ ...bus, clientId: 'webhook-ingest-e2e' }),
        EventStoreModule.forRoot({ url: db.url, schema: WEBHOOK_INGEST_SCHEMA, migrations: webhookIngestMigrations, poolSize: 5 }),
        WebhookIngestModule.forRoot({ GITHUB_WEBHOOK_SECRET: [SECRET] }),
      ],
    }).compile();
    ingest = configureApp(ingestRef.createNestApplication({ bodyParser: false, logger: false }));
    ingestUrl = await listen(ingest);
    // autodeploy on the same topics: what it requests is what repo-sync let through.
    const autodeployRef = await Test.createTestingModule({
      imports: [
        MessagingModule.forRoot({ ...bus, clientId: 'autodeploy-e2e' }),
        EventStoreModule.forRoot(autodeployEventStoreOptions(db.url, { poolSize: 5 })),
        AutodeployModule.forRoot({ SLUICE_DATA_DIR: '/nonexistent', SLUICE_ADMIN_TOKEN: ADMIN }, { consumerGroup: uniqueName('autodeploy-e2e'), projectionPollMs: 50 }),
      ],
    }).compile();
    autodeploy = configureApp(autodeployRef.createNestApplication({ logger: false }));
    await autodeploy.init();
    await startSluiceConsumers(autodeploy);
  });

  after(async () => {
    await autodeploy?.close();
    await ingest?.close();
    await sync?.close();
    await db?.drop();
    await fake.stop();
  });

  it('a signed default-branch push of a config repository ends as discovered configs in the API', async () => {
    fake.seed.repo({ owner: 'acme', name: 'deploys', defaultBranch: 'main' });
    const head = fake.seed.commit('acme/deploys', {
      message: 'add configs',
      files: {
        'deploy/api/deploy.yaml': 'team: core\nnamespace: core\nartifact:\n  repo: acme/api\n  image: ghcr.io/acme/api\nautodeploy: true\n',
        'deploy/bad/deploy.yaml': 'namespace: core\n',
      },
    });
    const payload = examplePayload<Record<string, any>>('push', undefined, 4); // eslint-disable-line @typescript-eslint/no-explicit-any
    payload.ref = 'refs/heads/main';
    payload.before = '0'.repeat(40);
    payload.after = head;
    payload.created = true;
    payload.deleted = false;
    payload.head_commit = { ...payload.head_commit, id: head };
    payload.commits = [payload.head_commit];
    payload.repository = { ...payload.repository, full_name: 'acme/deploys', name: 'deploys', default_branch: 'main', master_branch: 'main' };
    const body = JSON.stringify(payload);
    const res = await fetch(`${ingestUrl}/webhooks/github`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'x-github-event': 'push',
        'x-github-delivery': randomUUID(),
        'x-hub-signature-256': signWebhook(SECRET, body),
      },
      body,
    });
    assert.equal(res.status, 202);
    assert.equal(((await res.json()) as { result: string }).result, 'accepted');

    let configs: { configs: Array<{ name: string; configSha: string }>; errors: Array<{ path: string }> } | null = null;
    await waitUntil(
      async () => {
        const r = await fetch(`${syncUrl}/api/repos/acme/deploys/configs`, { headers: { authorization: `Bearer ${ADMIN}` } });
        if (r.status !== 200) return false;
        configs = (await r.json()) as typeof configs;
        return configs!.configs.length === 1;
      },
      { timeoutMs: 60_000, intervalMs: 250 },
    );
    assert.deepEqual(configs!.configs.map((c) => [c.name, c.configSha]), [['api', head]]);
    assert.deepEqual(configs!.errors.map((e) => e.path), ['deploy/bad']);
    const branches = await fetch(`${syncUrl}/api/repos/acme/deploys/branches`, { headers: { authorization: `Bearer ${ADMIN}` } });
    assert.deepEqual(((await branches.json()) as { items: Array<{ name: string; headSha: string }> }).items.map((b) => [b.name, b.headSha]), [
      ['main', head],
    ]);
  });

  describe('a config added with autodeploy: true is deployed by the push that adds it (issue #16, fault 2)', () => {
    const requestsOf = async (config: string) =>
      (await autodeploy.get(EventStore).readStream(`config-${config}`))
        .filter((e) => e.type === 'deploy.requested' || e.type === 'deploy.queued')
        .map((e) => e.data as { artifactSha: string | null; configSha: string; cause: string });

    it('artifactless: the push that adds it requests (null, that commit)', async () => {
      fake.seed.repo({ owner: 'acme', name: 'docs-config', defaultBranch: 'main' });
      const A = fake.seed.commit('acme/docs-config', { message: 'A', files: { 'README.md': 'configs\n' } });
      await post(ingestUrl, 'push', JSON.stringify(fake.events.push('acme/docs-config', { before: '0'.repeat(40), after: A })));
      const B = fake.seed.commit('acme/docs-config', {
        message: 'add docs',
        files: { 'deploy/docs/deploy.yaml': 'team: web\nnamespace: web\nautodeploy: true\n', 'deploy/docs/cm.yaml': 'kind: ConfigMap\n' },
      });
      await post(ingestUrl, 'push', JSON.stringify(fake.events.push('acme/docs-config', { before: A, after: B })));
      await waitUntil(async () => (await requestsOf('docs')).length > 0, { timeoutMs: 60_000, intervalMs: 200, message: 'docs deployed by the push that added it' });
      assert.deepEqual((await requestsOf('docs')).map((d) => [d.artifactSha, d.configSha, d.cause]), [[null, B, 'autodeploy']]);
    });

    it('artifactful whose tracked branch has a green build: the push that adds it requests (that build, that commit)', async () => {
      fake.seed.repo({ owner: 'acme', name: 'shop', defaultBranch: 'main' });
      const S = fake.seed.commit('acme/shop', { message: 'shop', files: { 'main.go': 'package main\n' } });
      await post(ingestUrl, 'push', JSON.stringify(fake.events.push('acme/shop', { before: '0'.repeat(40), after: S })));
      await post(ingestUrl, 'workflow_run', JSON.stringify(fake.events.workflowRun('acme/shop', { sha: S, branch: 'main', name: 'ci' })));
      const buildRecorded = async () =>
        (await autodeploy.get(EventStore).dataSource.query(`SELECT count(*)::int AS n FROM autodeploy.green_builds WHERE repo = 'acme/shop' AND sha = $1`, [S]))[0].n > 0;
      await waitUntil(buildRecorded, { timeoutMs: 60_000, intervalMs: 200, message: 'green build of acme/shop known to autodeploy' });
      fake.seed.repo({ owner: 'acme', name: 'shop-config', defaultBranch: 'main' });
      const C = fake.seed.commit('acme/shop-config', {
        message: 'add shop',
        files: {
          'deploy/shop/deploy.yaml': 'team: web\nnamespace: web\nartifact:\n  repo: acme/shop\n  image: ghcr.io/acme/shop\n  build: ci\nautodeploy: true\n',
          'deploy/shop/deployment.yaml': 'kind: Deployment\n',
        },
      });
      await post(ingestUrl, 'push', JSON.stringify(fake.events.push('acme/shop-config', { before: '0'.repeat(40), after: C })));
      await waitUntil(async () => (await requestsOf('shop')).length > 0, { timeoutMs: 60_000, intervalMs: 200, message: 'shop deployed by the push that added it' });
      assert.deepEqual((await requestsOf('shop')).map((d) => [d.artifactSha, d.configSha, d.cause]), [[S, C, 'autodeploy']]);
    });
  });

  describe('a branch head moves only forward', () => {
    const repoName = 'acme/forward';
    let pg: Client;
    const events = async (type: string) =>
      (await pg.query(`SELECT data FROM repo_sync.events WHERE stream = $1 AND type = $2 ORDER BY global_position`, [streamOf(repoName), type])).rows.map(
        (r: { data: Record<string, unknown> }) => r.data,
      );
    const head = async (branch: string) => {
      const r = await fetch(`${syncUrl}/api/repos/${repoName}/branches`, { headers: { authorization: `Bearer ${ADMIN}` } });
      if (r.status !== 200) return null;
      return ((await r.json()) as { items: Array<{ name: string; headSha: string }> }).items.find((b) => b.name === branch)?.headSha ?? null;
    };
    const push = (branch: string, before: string, after: string, extra: Record<string, unknown> = {}) =>
      JSON.stringify({ ...fake.events.push(repoName, { branch, before, after }), ...extra });
    const headsSet = async (branch: string) => (await events('repo.branch.updated')).filter((e) => e.branch === branch).map((e) => e.headSha);

    before(async () => {
      pg = new Client({ connectionString: db.url });
      await pg.connect();
      fake.seed.repo({ owner: 'acme', name: 'forward', defaultBranch: 'main' });
    });
    after(async () => {
      await pg?.end();
    });

    it('(a) the signed body of push A→B replayed under a fresh delivery id after B→C is recorded and ignored: the head stays C', async () => {
      const A = fake.seed.commit(repoName, { message: 'A', branch: 'replay', files: { 'a.txt': 'a' } });
      const B = fake.seed.commit(repoName, { message: 'B', branch: 'replay', files: { 'b.txt': 'b' } });
      const C = fake.seed.commit(repoName, { message: 'C', branch: 'replay', files: { 'c.txt': 'c' } });
      assert.equal(await post(ingestUrl, 'push', push('replay', '0'.repeat(40), A)), 'accepted');
      await waitUntil(async () => (await head('replay')) === A, { timeoutMs: 60_000, intervalMs: 200 });
      const aToB = push('replay', A, B);
      await post(ingestUrl, 'push', aToB);
      await waitUntil(async () => (await head('replay')) === B, { timeoutMs: 60_000, intervalMs: 200 });
      await post(ingestUrl, 'push', push('replay', B, C));
      await waitUntil(async () => (await head('replay')) === C, { timeoutMs: 60_000, intervalMs: 200 });

      assert.equal(await post(ingestUrl, 'push', aToB), 'accepted', 'a fresh delivery id passes webhook-ingest');
      await waitUntil(async () => (await events('repo.branch.push-ignored')).some((e) => e.branch === 'replay'), { timeoutMs: 60_000, intervalMs: 200 });
      const [ignored] = (await events('repo.branch.push-ignored')).filter((e) => e.branch === 'replay');
      assert.deepEqual([ignored.knownSha, ignored.pushedSha, ignored.before, ignored.relation], [C, B, A, 'behind']);
      assert.equal(await head('replay'), C);
      assert.deepEqual(await headsSet('replay'), [A, B, C], 'no repo.branch.updated back to B');
    });

    it('(b) pushes B (before A) and C (before B) delivered in reverse order end at C, never at B after C', async () => {
      const A = fake.seed.commit(repoName, { message: 'A', branch: 'reorder', files: { 'a.txt': 'a2' } });
      await post(ingestUrl, 'push', push('reorder', '0'.repeat(40), A));
      await waitUntil(async () => (await head('reorder')) === A, { timeoutMs: 60_000, intervalMs: 200 });
      const B = fake.seed.commit(repoName, { message: 'B', branch: 'reorder', files: { 'b.txt': 'b2' } });
      const C = fake.seed.commit(repoName, { message: 'C', branch: 'reorder', files: { 'c.txt': 'c2' } });
      await post(ingestUrl, 'push', push('reorder', B, C));
      await waitUntil(async () => (await head('reorder')) === C, { timeoutMs: 60_000, intervalMs: 200 });
      await post(ingestUrl, 'push', push('reorder', A, B));
      await waitUntil(async () => (await events('repo.branch.push-ignored')).some((e) => e.branch === 'reorder'), { timeoutMs: 60_000, intervalMs: 200 });
      assert.equal(await head('reorder'), C);
      assert.deepEqual(await headsSet('reorder'), [A, C], 'C moved the head forward from A (the compare API says it descends); B was never set');
      const [ignored] = (await events('repo.branch.push-ignored')).filter((e) => e.branch === 'reorder');
      assert.equal(ignored.relation, 'behind');
    });

    it('(c) a forced push to an unrelated commit moves the head and is recorded as forced; the same rewrite not reported as forced is ignored', async () => {
      const A = fake.seed.commit(repoName, { message: 'A', branch: 'rewrite', files: { 'a.txt': 'a3' } });
      await post(ingestUrl, 'push', push('rewrite', '0'.repeat(40), A));
      await waitUntil(async () => (await head('rewrite')) === A, { timeoutMs: 60_000, intervalMs: 200 });
      const X = fake.seed.commit(repoName, { message: 'X', branch: 'rewrite', parents: [], files: { 'x.txt': 'x' } });
      const Y = fake.seed.commit(repoName, { message: 'Y', branch: 'rewrite-2', parents: [], files: { 'y.txt': 'y' } });
      // `before` is not the stored head (a push in between was missed), so only the compare API (404: no common history) and `forced` decide.
      const missed = 'e'.repeat(40);
      await post(ingestUrl, 'push', push('rewrite', missed, Y));
      await waitUntil(async () => (await events('repo.branch.push-ignored')).some((e) => e.branch === 'rewrite'), { timeoutMs: 60_000, intervalMs: 200 });
      assert.equal(await head('rewrite'), A, 'an unrelated head GitHub did not report as forced does not move it');
      await post(ingestUrl, 'push', push('rewrite', missed, X, { forced: true }));
      await waitUntil(async () => (await head('rewrite')) === X, { timeoutMs: 60_000, intervalMs: 200 });
      const moves = (await events('repo.branch.updated')).filter((e) => e.branch === 'rewrite');
      assert.deepEqual(moves.map((e) => [e.headSha, e.previousSha, e.forced]), [
        [A, null, false],
        [X, A, true],
      ]);
      const [ignored] = (await events('repo.branch.push-ignored')).filter((e) => e.branch === 'rewrite');
      assert.deepEqual([ignored.pushedSha, ignored.relation, ignored.forced], [Y, 'unrelated', false]);
    });

    it('(d) an artifactless autodeploy config is never deployed at the older commit of a replayed or late push', async () => {
      fake.seed.repo({ owner: 'acme', name: 'site-config', defaultBranch: 'main' });
      const config = 'deploy/site/deploy.yaml';
      const A = fake.seed.commit('acme/site-config', { message: 'A', files: { [config]: 'team: web\nnamespace: web\nautodeploy: true\n', 'deploy/site/cm.yaml': 'kind: ConfigMap\n' } });
      const body = (before: string, after: string) => JSON.stringify(fake.events.push('acme/site-config', { branch: 'main', before, after }));
      const store = autodeploy.get(EventStore);
      // Without kube-applier the first deploy stays in flight: later ones are queued (each a request autodeploy made).
      const requested = async () =>
        (await store.readStream('config-site'))
          .filter((e) => e.type === 'deploy.requested' || e.type === 'deploy.queued')
          .map((e) => (e.data as { configSha: string }).configSha);
      await post(ingestUrl, 'push', body('0'.repeat(40), A));
      await waitUntil(async () => (await store.readStream('config-site')).length > 0, { timeoutMs: 60_000, intervalMs: 200, message: 'config registered' });
      const B = fake.seed.commit('acme/site-config', { message: 'B', files: { 'deploy/site/cm.yaml': 'kind: ConfigMap\n# b\n' } });
      const C = fake.seed.commit('acme/site-config', { message: 'C', files: { 'deploy/site/cm.yaml': 'kind: ConfigMap\n# c\n' } });
      const aToB = body(A, B);
      // Reversed: C (before B) first, then B (before A); then the A→B body replayed.
      await post(ingestUrl, 'push', body(B, C));
      await waitUntil(async () => (await requested()).includes(C), { timeoutMs: 60_000, intervalMs: 200, message: 'deploy of C requested' });
      await post(ingestUrl, 'push', aToB);
      await post(ingestUrl, 'push', aToB);
      const ignoredFor = async () =>
        (await pg.query(`SELECT count(*)::int AS n FROM repo_sync.events WHERE stream = $1 AND type = 'repo.branch.push-ignored'`, [streamOf('acme/site-config')])).rows[0].n;
      await waitUntil(async () => (await ignoredFor()) === 2, { timeoutMs: 60_000, intervalMs: 200, message: 'both older pushes recorded' });
      // A later push shows autodeploy has handled everything repo-sync published before it (one key, in order).
      const D = fake.seed.commit('acme/site-config', { message: 'D', files: { 'deploy/site/cm.yaml': 'kind: ConfigMap\n# d\n' } });
      await post(ingestUrl, 'push', body(C, D));
      await waitUntil(async () => (await requested()).includes(D), { timeoutMs: 60_000, intervalMs: 200, message: 'deploy of D requested' });
      const shas = await requested();
      assert.ok(!shas.includes(B), `never requested at B: ${JSON.stringify(shas)}`);
      assert.deepEqual(shas.slice(shas.indexOf(C)), [C, D], 'after C, only D');
    });
  });
  describe('a build only moves forward, and is one build whatever the case of its name (GitHub example payloads)', () => {
    type Obj = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
    const app = 'acme/builds-app';
    let pg: Client;
    const builds = async (sha: string) => {
      const r = await fetch(`${syncUrl}/api/repos/${app}/commits/${sha}`, { headers: { authorization: `Bearer ${ADMIN}` } });
      return r.status === 200 ? ((await r.json()) as { builds: Array<{ name: string; status: string; conclusion: string | null }> }).builds.map((b) => [b.name, b.status, b.conclusion]) : [];
    };
    const repoEvents = async (type: string, sha: string) =>
      (await pg.query(`SELECT data FROM repo_sync.events WHERE stream = $1 AND type = $2 AND data->>'sha' = $3 ORDER BY global_position`, [streamOf(app), type, sha])).rows.map(
        (r: { data: Obj }) => r.data,
      );
    /** A workflow_run delivery of run 4242 of workflow `CI` for `sha`: GitHub's example with the attempt and times set. */
    const workflowRun = (sha: string, action: 'requested' | 'in_progress' | 'completed', run: Obj) => {
      // GitHub's examples have no `in_progress` delivery: it is the `requested` one, running.
      const p = fake.events.workflowRun(app, { sha, branch: 'main', name: 'CI', action: action === 'in_progress' ? 'requested' : action, id: 4242, conclusion: run.conclusion });
      if (action === 'in_progress') Object.assign(p, { action });
      Object.assign(p.workflow_run as Obj, run, action === 'in_progress' ? { status: 'in_progress' } : {});
      return JSON.stringify(p);
    };
    const checkPayload = (event: 'check_run' | 'check_suite', index: number, sha: string) => {
      const p = examplePayload<Obj>(event, undefined, index);
      const block = p[event] as Obj;
      Object.assign(block, { head_sha: sha, head_branch: 'main' });
      if (block.check_suite) Object.assign(block.check_suite, { head_sha: sha, head_branch: 'main' });
      p.repository = fake.events.workflowRun(app, { sha, branch: 'main' }).repository;
      return JSON.stringify(p);
    };

    before(async () => {
      pg = new Client({ connectionString: db.url });
      await pg.connect();
      fake.seed.repo({ owner: 'acme', name: 'builds-app', defaultBranch: 'main' });
      fake.seed.repo({ owner: 'acme', name: 'builds-config', defaultBranch: 'main' });
    });
    after(async () => {
      await pg?.end();
    });

    it('completed/success then the older requested of the same run: stays completed; a re-run that fails is not undone by the first attempt delivered late, and autodeploy never deploys it', async () => {
      const config = fake.seed.commit('acme/builds-config', {
        message: 'config',
        // `build: ci` names the workflow GitHub calls `CI`: builds are matched without case.
        files: { 'deploy/builds-app/deploy.yaml': 'team: payments\nnamespace: payments-e2e-builds\nartifact:\n  repo: acme/builds-app\n  image: ghcr.io/acme/builds-app\n  build: ci\nautodeploy: true\n' },
      });
      const S = fake.seed.commit(app, { message: 'S', files: { 's.txt': 's' } });
      const store = autodeploy.get(EventStore);
      const requested = async () =>
        (await store.readStream('config-builds-app'))
          .filter((e) => e.type === 'deploy.requested' || e.type === 'deploy.queued')
          .map((e) => (e.data as { artifactSha: string }).artifactSha);
      await post(ingestUrl, 'push', JSON.stringify(fake.events.push('acme/builds-config', { branch: 'main', before: '0'.repeat(40), after: config })));
      await waitUntil(async () => (await store.readStream('config-builds-app')).length > 0, { timeoutMs: 60_000, intervalMs: 200, message: 'config registered' });
      await post(ingestUrl, 'push', JSON.stringify(fake.events.push(app, { branch: 'main', before: '0'.repeat(40), after: S })));

      // Example workflow_run #1 (completed, success, updated 16:33:49), then example #3 (requested, updated 16:33:24) of the same run and attempt.
      await post(ingestUrl, 'workflow_run', workflowRun(S, 'completed', { conclusion: 'success' }));
      await waitUntil(async () => (await requested()).includes(S), { timeoutMs: 60_000, intervalMs: 200, message: 'deploy of S requested' });
      await post(ingestUrl, 'workflow_run', workflowRun(S, 'requested', {}));
      await waitUntil(async () => (await repoEvents('repo.build.stale-ignored', S)).length === 1, { timeoutMs: 60_000, intervalMs: 200, message: 'requested ignored' });
      assert.deepEqual(await builds(S), [['CI', 'completed', 'success']]);
      assert.deepEqual((await repoEvents('repo.build.recorded', S)).map((e) => [e.status, e.conclusion]), [['completed', 'success']]);

      // T: attempt 1 succeeded but its delivery is late; the re-run (attempt 2) failed and arrived first.
      const T = fake.seed.commit(app, { message: 'T', files: { 't.txt': 't' } });
      await post(ingestUrl, 'push', JSON.stringify(fake.events.push(app, { branch: 'main', before: S, after: T })));
      const attempt2 = { run_attempt: 2, run_started_at: '2020-10-05T16:40:00Z' };
      await post(ingestUrl, 'workflow_run', workflowRun(T, 'in_progress', { ...attempt2, updated_at: '2020-10-05T16:40:00Z' }));
      await post(ingestUrl, 'workflow_run', workflowRun(T, 'completed', { ...attempt2, conclusion: 'failure', updated_at: '2020-10-05T16:45:00Z' }));
      await waitUntil(async () => (await builds(T)).some((b) => b[2] === 'failure'), { timeoutMs: 60_000, intervalMs: 200, message: 'attempt 2 failed' });
      await post(ingestUrl, 'workflow_run', workflowRun(T, 'completed', { conclusion: 'success' }));
      await waitUntil(async () => (await repoEvents('repo.build.stale-ignored', T)).length === 1, { timeoutMs: 60_000, intervalMs: 200, message: 'attempt 1 ignored' });
      assert.deepEqual(await builds(T), [['CI', 'completed', 'failure']]);
      assert.equal((await repoEvents('repo.build.stale-ignored', T))[0].reason, 'older-attempt');

      // A later green build shows autodeploy has handled everything repo-sync published before it (one key, in order).
      const U = fake.seed.commit(app, { message: 'U', files: { 'u.txt': 'u' } });
      await post(ingestUrl, 'push', JSON.stringify(fake.events.push(app, { branch: 'main', before: T, after: U })));
      await post(ingestUrl, 'workflow_run', workflowRun(U, 'completed', { conclusion: 'success' }));
      await waitUntil(async () => (await requested()).includes(U), { timeoutMs: 60_000, intervalMs: 200, message: 'deploy of U requested' });
      assert.deepEqual(await requested(), [S, U], 'T, whose latest attempt failed, was never deployed');
    });

    it('check_run completed then created (examples #2, #0): stays completed; check_suite octocoders-linter and check_run Octocoders-linter are one build', async () => {
      const V = fake.seed.commit(app, { message: 'V', branch: 'checks', files: { 'v.txt': 'v' } });
      await post(ingestUrl, 'check_suite', checkPayload('check_suite', 4, V)); // requested, app octocoders-linter
      await post(ingestUrl, 'check_run', checkPayload('check_run', 2, V)); // completed, success
      await waitUntil(async () => (await builds(V)).some((b) => b[1] === 'completed'), { timeoutMs: 60_000, intervalMs: 200, message: 'check run completed' });
      await post(ingestUrl, 'check_run', checkPayload('check_run', 0, V)); // created, delivered late
      await post(ingestUrl, 'check_suite', checkPayload('check_suite', 0, V)); // completed, success
      await waitUntil(async () => (await repoEvents('repo.build.stale-ignored', V)).length === 1, { timeoutMs: 60_000, intervalMs: 200, message: 'created ignored' });
      // The suite's completion is the last delivery: once the build's source is the suite, everything before it was applied.
      await waitUntil(async () => (await pg.query(`SELECT source FROM repo_sync.builds WHERE repo = $1 AND sha = $2`, [app, V])).rows[0]?.source === 'check_suite', {
        timeoutMs: 60_000,
        intervalMs: 200,
        message: 'suite completion applied',
      });
      assert.deepEqual(await builds(V), [['Octocoders-linter', 'completed', 'success']]);
      const [stale] = await repoEvents('repo.build.stale-ignored', V);
      assert.deepEqual([stale.observedName, stale.source, stale.reason], ['Octocoders-linter', 'check_run', 'behind']);
    });
  });
});
