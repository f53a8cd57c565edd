import { after, before, beforeEach, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createAppCredentials, FakeGitHub } from '@sluice/fake-scm';
import type { CommitStatusSpec } from '../../domain/model';
import { Reconciler } from '../../application/reconciler';
import type { CommitStatusKey, SyncedEventSink } from '../../application/ports';
import { DefaultScmStatusProviders } from '../scm/providers';
import { PgCommitStatusStore } from './pg-store';
import { capturingLogger, settings, SHA1, SHA2, testDataSource } from '../../testing/harness';
import { ScmClients } from '@sluice/scm';

/*
 * The reconciler on PostgreSQL records against the shared fake GitHub (validated against
 * the OpenAPI fixture): commit statuses with a token, check runs as a GitHub App.
 */

const REPO = 'acme/app';
const TOKEN = 'ghp_testtoken';

describe('reconcile against fake GitHub (PostgreSQL store)', () => {
  let gh: FakeGitHub;
  let env: Awaited<ReturnType<typeof testDataSource>>;
  let sha1: string;
  let sha2: string;
  const events: Array<Parameters<SyncedEventSink['synced']>[0]> = [];
  const sink: SyncedEventSink = { synced: async (e) => void events.push(e) };

  before(async () => {
    gh = new FakeGitHub({ tokens: [TOKEN] });
    await gh.start();
    gh.seed.repo({ owner: 'acme', name: 'app' });
    sha1 = gh.seed.commit(REPO, { message: 'one', files: { 'a.txt': '1' }, sha: SHA1 });
    sha2 = gh.seed.commit(REPO, { message: 'two', files: { 'a.txt': '2' }, sha: SHA2 });
    env = await testDataSource('cs_github');
  });
  after(async () => {
    await env.close();
    await gh.stop();
  });
  beforeEach(() => {
    gh.clearRequests();
    events.length = 0;
  });

  function setup(opts: { minWriteIntervalMs?: number } = {}) {
    const store = new PgCommitStatusStore({ dataSource: env.dataSource, providers: settings({ githubUrl: gh.url, token: TOKEN }), namespace: 'sluice' });
    const providers = new DefaultScmStatusProviders(new ScmClients({ minWriteIntervalMs: opts.minWriteIntervalMs ?? 20 }));
    const { log, lines } = capturingLogger();
    const reconciler = new Reconciler(store, providers, sink, log);
    return { store, reconciler, lines, providers };
  }

  const spec = (over: Partial<CommitStatusSpec> = {}): CommitStatusSpec => ({
    gitRepoRef: { name: 'app' },
    sha: sha1,
    name: 'ci/deploy',
    description: 'Deploying',
    phase: 'in_progress',
    url: 'https://ci.example/1',
    ...over,
  });
  const writes = () => gh.requests.filter((r) => r.method !== 'GET');
  let n = 0;
  const newKey = (): CommitStatusKey => ({ namespace: 'team', name: `status-${++n}` });

  it('a user-created record is written once; reconciling again writes nothing (no duplicate)', async () => {
    const { store, reconciler } = setup();
    const key = newKey();
    await store.putRecord(key, spec({ name: 'user/check-a' }), { provider: 'github', fullName: REPO });
    await reconciler.reconcile(key);
    await reconciler.reconcile(key);
    await reconciler.reconcile(key);
    const held = gh.statuses(REPO, sha1).filter((s) => s.context === 'user/check-a');
    assert.equal(held.length, 1);
    assert.deepEqual({ state: held[0].state, description: held[0].description, target_url: held[0].target_url }, { state: 'pending', description: 'Deploying', target_url: 'https://ci.example/1' });
    assert.equal(writes().length, 1);
    const status = (await store.get(key))!.status!;
    assert.equal(status.isSynced, true);
    assert.equal(status.syncFailure, null);
    assert.equal(status.phase, 'in_progress');
    assert.equal(status.repo, REPO);
    assert.equal(status.sha, sha1);
    assert.equal(status.observedGeneration, 1);
    assert.equal(events.length, 1, 'one commit-status.synced for the change, none for the no-op reconciles');
    assert.equal(gh.errors.length, 0);
  });

  it('drift: a status changed in GitHub by someone else is reported, not copied back, not overwritten', async () => {
    const { store, reconciler } = setup();
    const key = newKey();
    await store.putRecord(key, spec({ name: 'user/drift', phase: 'success' }), { provider: 'github', fullName: REPO });
    await reconciler.reconcile(key);
    gh.seed.status(REPO, sha1, { state: 'failure', context: 'user/drift', description: 'someone else' });
    gh.clearRequests();
    await reconciler.reconcile(key);
    assert.equal(writes().length, 0, 'drift is not overwritten');
    const record = (await store.get(key))!;
    assert.equal(record.spec.phase, 'success', 'not copied back to the spec');
    assert.equal(record.status!.isSynced, false);
    assert.equal(record.status!.phase, 'failure', 'status shows what GitHub holds');
    assert.match(record.status!.syncFailure!.message, /^drift: .*state: want "success", SCM has "failure"/);
    // A new spec generation is written again.
    await store.putRecord(key, spec({ name: 'user/drift', phase: 'success', description: 'Deployed' }));
    await reconciler.reconcile(key);
    assert.equal(writes().length, 1);
    assert.equal((await store.get(key))!.status!.isSynced, true);
  });

  it('sha change while in_progress → the old commit is canceled first, then the new one is set', async () => {
    const { store, reconciler } = setup();
    const key = newKey();
    await store.putRecord(key, spec({ name: 'user/move' }), { provider: 'github', fullName: REPO });
    await reconciler.reconcile(key);
    const beforeMove = (await store.get(key))!.status!;
    gh.clearRequests();
    await store.putRecord(key, spec({ name: 'user/move', sha: sha2, phase: 'queued', description: 'Queued' }));
    await reconciler.reconcile(key);
    const posts = writes().map((r) => r.path);
    assert.deepEqual(posts, [`/repos/${REPO}/statuses/${sha1}`, `/repos/${REPO}/statuses/${sha2}`]);
    const old = gh.statuses(REPO, sha1).filter((s) => s.context === 'user/move').at(-1)!;
    assert.equal(old.state, 'error');
    assert.match(old.description ?? '', /^Canceled/);
    const now = gh.statuses(REPO, sha2).filter((s) => s.context === 'user/move');
    assert.equal(now.length, 1);
    assert.equal(now[0].state, 'pending');
    const status = (await store.get(key))!.status!;
    assert.equal(status.sha, sha2);
    assert.equal(status.phase, 'queued');
    assert.equal(status.isSynced, true);

    // A crash after the SCM writes but before the status write: reconciling again from the old
    // status finds both already done and posts nothing.
    await store.writeStatus(key, beforeMove);
    gh.clearRequests();
    await reconciler.reconcile(key);
    assert.equal(writes().length, 0);
    assert.equal((await store.get(key))!.status!.sha, sha2);
  });

  it('sha change when the cancel call fails → logged, and the new commit is set anyway', async () => {
    const { store, reconciler, lines } = setup();
    const key = newKey();
    await store.putRecord(key, spec({ name: 'user/cancel-fails' }), { provider: 'github', fullName: REPO });
    await reconciler.reconcile(key);
    gh.injectFailure({ status: 502, method: 'POST', path: new RegExp(`/statuses/${sha1}$`) });
    await store.putRecord(key, spec({ name: 'user/cancel-fails', sha: sha2 }));
    await reconciler.reconcile(key);
    assert.ok(lines.some((l) => l.msg === 'could not cancel the previous commit status; moving on' && l.sha === sha1), 'the failure is logged');
    assert.equal(gh.statuses(REPO, sha1).filter((s) => s.context === 'user/cancel-fails').at(-1)!.state, 'pending', 'old commit not canceled');
    assert.equal(gh.statuses(REPO, sha2).filter((s) => s.context === 'user/cancel-fails').length, 1, 'new commit set');
    assert.equal((await store.get(key))!.status!.sha, sha2);
    // The cancel is not retried later (the resource moved on).
    gh.clearRequests();
    await reconciler.reconcile(key);
    assert.equal(writes().length, 0);
  });

  for (const status of [429, 403] as const) {
    it(`${status} with retry-after: 1 → no call for 1 s, then success`, async () => {
      const { store, reconciler } = setup();
      const key = newKey();
      await store.putRecord(key, spec({ name: `user/limited-${status}` }), { provider: 'github', fullName: REPO });
      gh.injectRateLimit({ status, retryAfterSeconds: 1, path: /\/statuses\// });
      const first = await reconciler.reconcile(key);
      const t0 = Date.now();
      assert.ok(first && first.requeueAfterMs !== undefined && first.requeueAfterMs > 500 && first.requeueAfterMs <= 1000, JSON.stringify(first));
      const seen = gh.requests.length;
      // Reconciles while limited make no call at all.
      await reconciler.reconcile(key);
      await reconciler.reconcile(key);
      assert.equal(gh.requests.length, seen, 'no request while limited');
      const failed = (await store.get(key))!.status!;
      assert.equal(failed.isSynced, false);
      assert.match(failed.syncFailure!.message, /rate limited until/);
      await new Promise((r) => setTimeout(r, Math.max(0, first!.requeueAfterMs! - (Date.now() - t0)) + 50));
      await reconciler.reconcile(key);
      assert.equal(gh.requestsWhileLimited().length, 0, 'nothing arrived before retry-after passed');
      assert.equal(gh.statuses(REPO, sha1).filter((s) => s.context === `user/limited-${status}`).length, 1);
      assert.equal((await store.get(key))!.status!.isSynced, true);
    });
  }

  it('an exhausted x-ratelimit budget stops calls until x-ratelimit-reset', async () => {
    const { store, reconciler } = setup();
    const key = newKey();
    await store.putRecord(key, spec({ name: 'user/budget' }), { provider: 'github', fullName: REPO });
    gh.setRateLimit({ remaining: 0, resetInSeconds: 1 });
    const first = await reconciler.reconcile(key);
    // x-ratelimit-reset is whole epoch seconds (up to 1 s of rounding on top of the 1 s asked) and the gate adds its 250 ms margin.
    assert.ok(first && first.requeueAfterMs !== undefined && first.requeueAfterMs <= 2_250 + 100, JSON.stringify(first));
    const seen = gh.requests.length;
    // The first request could not know: it is the one that was told.
    const toldBy = gh.requestsWhileLimited().length;
    assert.equal(toldBy, 1);
    await reconciler.reconcile(key);
    assert.equal(gh.requests.length, seen, 'no request while the budget is exhausted');
    await new Promise((r) => setTimeout(r, first!.requeueAfterMs! + 50));
    await reconciler.reconcile(key);
    assert.equal(gh.requestsWhileLimited().length, toldBy, 'none after being told');
    assert.equal((await store.get(key))!.status!.isSynced, true);
  });

  it('writes with one token are at least the write interval apart', async () => {
    const { store, reconciler } = setup({ minWriteIntervalMs: 1000 });
    const keys = [newKey(), newKey(), newKey()];
    for (const [i, key] of keys.entries()) await store.putRecord(key, spec({ name: `user/paced-${i}` }), { provider: 'github', fullName: REPO });
    await Promise.all(keys.map((k) => reconciler.reconcile(k)));
    const times = writes().map((r) => r.time.getTime()).sort((a, b) => a - b);
    assert.equal(times.length, 3);
    // Spaced when sent; arrival times at the fake jitter by the event loop of a busy machine,
    // so the assertion is on the whole span (3 writes ≥ 2 intervals) with half an interval of slack.
    assert.ok(times[2] - times[0] >= 1500, `3 writes within ${times[2] - times[0]} ms`);
  });
});

describe('reconcile against fake GitHub as a GitHub App (check runs)', () => {
  const app = createAppCredentials(4242);
  let gh: FakeGitHub;
  let env: Awaited<ReturnType<typeof testDataSource>>;

  before(async () => {
    gh = new FakeGitHub({ app: { appId: app.appId, publicKey: app.publicKey } });
    await gh.start();
    gh.seed.repo({ owner: 'acme', name: 'app' });
    gh.seed.commit(REPO, { message: 'one', files: { 'a.txt': '1' }, sha: SHA1 });
    gh.seed.commit(REPO, { message: 'two', files: { 'a.txt': '2' }, sha: SHA2 });
    gh.seed.installation({ id: 77, account: 'acme', repositories: [REPO] });
    env = await testDataSource('cs_checks');
  });
  after(async () => {
    await env.close();
    await gh.stop();
  });

  function appSetup() {
    const store = new PgCommitStatusStore({
      dataSource: env.dataSource,
      providers: settings({ githubUrl: gh.url, app: { appId: String(app.appId), privateKey: app.privateKey, installationId: 77 } }),
      namespace: 'sluice',
    });
    const { log } = capturingLogger();
    const reconciler = new Reconciler(store, new DefaultScmStatusProviders(new ScmClients({ minWriteIntervalMs: 10 })), null, log);
    return { store, reconciler };
  }

  it('creates a check run (name, output.title/summary, details_url), updates it in place, cancels it on a sha change', async () => {
    const { store, reconciler } = appSetup();
    const key = { namespace: 'team', name: 'checks' };
    const base: CommitStatusSpec = { gitRepoRef: { name: 'app' }, sha: SHA1, name: 'sluice/app', description: 'Deploying', phase: 'in_progress', url: 'https://sluice.example/api/deploys/1' };
    await store.putRecord(key, base, { provider: 'github', fullName: REPO });
    await reconciler.reconcile(key);
    const [run] = gh.checkRuns(REPO, SHA1);
    assert.equal(run.name, 'sluice/app');
    assert.equal(run.status, 'in_progress');
    assert.equal(run.output.title, 'sluice/app');
    assert.equal(run.output.summary, 'Deploying');
    assert.equal(run.details_url, 'https://sluice.example/api/deploys/1');
    assert.equal((await store.get(key))!.status!.provider?.github?.checkRunId, run.id);
    assert.ok(gh.requests.some((r) => r.authKind === 'installation'), 'writes with an installation token');

    await store.putRecord(key, { ...base, phase: 'success', description: 'Deployed' });
    await reconciler.reconcile(key);
    assert.equal(gh.checkRuns(REPO, SHA1).length, 1, 'updated in place');
    assert.equal(gh.checkRuns(REPO, SHA1)[0].conclusion, 'success');
    assert.ok(gh.requests.some((r) => r.method === 'PATCH' && r.path === `/repos/${REPO}/check-runs/${run.id}`));

    await store.putRecord(key, { ...base, phase: 'in_progress', description: 'Again' });
    await reconciler.reconcile(key);
    assert.equal(gh.checkRuns(REPO, SHA1).length, 2, 'a completed run is not reopened: a new run, as a re-run');
    await store.putRecord(key, { ...base, sha: SHA2, phase: 'queued' });
    await reconciler.reconcile(key);
    const latestOld = gh.checkRuns(REPO, SHA1).at(-1)!;
    assert.equal(latestOld.status, 'completed');
    assert.equal(latestOld.conclusion, 'cancelled');
    assert.equal(gh.checkRuns(REPO, SHA2)[0].status, 'queued');
    assert.equal(gh.errors.length, 0);
  });

  it('#23: the spec moved from a run in progress to the next commit with spec.previous success → that run completes success in place (not cancelled), once', async () => {
    const { store, reconciler } = appSetup();
    const key = { namespace: 'team', name: 'checks-previous' };
    const base: CommitStatusSpec = { gitRepoRef: { name: 'app' }, sha: SHA1, name: 'sluice/prev', description: 'Deploying', phase: 'in_progress', url: 'https://sluice.example/deploys/1' };
    await store.putRecord(key, base, { provider: 'github', fullName: REPO });
    await reconciler.reconcile(key);
    const [run] = gh.checkRuns(REPO, SHA1).filter((r) => r.name === 'sluice/prev');
    assert.equal(run.status, 'in_progress');
    const tracked = (await store.get(key))!.status!;

    // SHA1 succeeded and SHA2 started before the reconciler ran again.
    await store.putRecord(key, {
      ...base,
      sha: SHA2,
      url: 'https://sluice.example/deploys/2',
      previous: { gitRepoRef: { name: 'app' }, sha: SHA1, phase: 'success', description: 'Deployed', url: 'https://sluice.example/deploys/1' },
    });
    gh.clearRequests();
    await reconciler.reconcile(key);
    const old = gh.checkRuns(REPO, SHA1).filter((r) => r.name === 'sluice/prev');
    assert.equal(old.length, 1, 'our run, updated in place');
    assert.deepEqual([old[0].status, old[0].conclusion, old[0].output.summary], ['completed', 'success', 'Deployed']);
    assert.ok(gh.requests.some((r) => r.method === 'PATCH' && r.path === `/repos/${REPO}/check-runs/${run.id}`));
    assert.equal(gh.checkRuns(REPO, SHA2).filter((r) => r.name === 'sluice/prev')[0].status, 'in_progress');
    assert.equal((await store.get(key))!.status!.sha, SHA2);

    // A crash before the status write: again from the old status → the run already holds it, nothing is written.
    await store.writeStatus(key, tracked);
    gh.clearRequests();
    await reconciler.reconcile(key);
    assert.deepEqual(gh.requests.filter((r) => r.method !== 'GET'), []);
    assert.equal(gh.errors.length, 0);
  });
});
