import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { FakeGitHub } from '@sluice/fake-scm';
import { createTestDatabase, waitUntil } from '@sluice/testing';
import { catalogueRows, replayCatalogue, startRepoSync, type RepoSyncTestApp } from '../test/repo-sync-app';

function seedRepos(fake: FakeGitHub, count: number): void {
  for (let i = 0; i < count; i++) {
    const name = `svc-${String(i).padStart(4, '0')}`;
    fake.seed.repo({ owner: 'acme', name });
    const files: Record<string, string> = { 'README.md': `# ${name}` };
    if (i % 10 === 0) files[`deploy/${name}/deploy.yaml`] = `team: team-${i % 3}\nnamespace: ns-${i % 3}\n`;
    const head = fake.seed.commit(`acme/${name}`, { message: `init ${name}`, files });
    if (i % 4 === 0) {
      fake.seed.branch(`acme/${name}`, 'develop', head);
      fake.seed.status(`acme/${name}`, head, { state: 'success', context: 'ci' });
    }
    if (i % 7 === 0) fake.seed.checkRun(`acme/${name}`, { head_sha: head, name: 'build', status: 'in_progress' });
  }
}

async function waitForSync(t: RepoSyncTestApp, syncId: string, timeoutMs = 120_000) {
  let progress: Record<string, any> = {}; // eslint-disable-line @typescript-eslint/no-explicit-any
  await waitUntil(
    async () => {
      const res = await t.api(`/api/admin/sync/${syncId}`);
      assert.equal(res.status, 200);
      progress = res.body;
      return progress.state !== 'running';
    },
    { timeoutMs, intervalMs: 200 },
  );
  return progress;
}

const countEvents = async (t: RepoSyncTestApp, type: string) =>
  Number((await t.dataSource.query(`SELECT count(*)::int AS n FROM repo_sync.events WHERE type = $1`, [type]))[0].n);

describe('global sync of a seeded fake GitHub under rate limiting', () => {
  const REPOS = 210;
  // Response validation against the OpenAPI fixture is covered by the scm and consumer
  // specs; off here to keep 210 repositories quick on a shared machine.
  const fake = new FakeGitHub({ rateLimit: { limit: 300, windowSeconds: 1 }, validateResponses: false });
  let t: RepoSyncTestApp;

  before(async () => {
    await fake.start();
    seedRepos(fake, REPOS);
    t = await startRepoSync(fake, { concurrency: 6 });
  });
  after(async () => {
    await t?.close();
    await fake.stop();
  });

  it('builds the complete catalogue without a single request while limited', async () => {
    fake.injectFailure({ status: 502, times: 3, path: /\/branches$/ });
    const started = await t.api('/api/admin/sync', { method: 'POST' });
    assert.equal(started.status, 202);
    const { syncId } = started.body;
    assert.match(syncId, /^[0-9a-f-]{36}$/);
    // Once the repositories are listed, only 15 requests are left in the window (reset in
    // 3 s): the sync must run dry and wait; later windows allow 300 requests a second.
    await waitUntil(async () => (await t.api(`/api/admin/sync/${syncId}`)).body.repos.total !== null, { timeoutMs: 30_000, intervalMs: 20 });
    fake.setRateLimit({ remaining: 15, resetInSeconds: 3 });
    const progress = await waitForSync(t, syncId);

    assert.equal(progress.state, 'completed');
    assert.deepEqual(progress.repos, { done: REPOS, total: REPOS });
    assert.deepEqual(progress.errors, []);
    assert.equal(progress.branches, REPOS + Math.ceil(REPOS / 4));
    assert.equal(progress.configs, Math.ceil(REPOS / 10));

    const repos = await t.api('/api/repos?limit=500');
    assert.equal(repos.body.items.length, REPOS);
    const one = await t.api('/api/repos/acme/svc-0000/branches');
    assert.deepEqual(one.body.items.map((b: { name: string }) => b.name), ['develop', 'main']);
    const head = fake.headOf('acme/svc-0000')!;
    const commit = await t.api(`/api/repos/acme/svc-0000/commits/${head}`);
    assert.deepEqual(
      commit.body.builds.map((b: Record<string, unknown>) => [b.name, b.status, b.conclusion]),
      [['build', 'in_progress', null], ['ci', 'completed', 'success']],
    );
    assert.equal(await countEvents(t, 'repo.config.discovered'), Math.ceil(REPOS / 10));
    assert.equal(await countEvents(t, 'repo.upserted'), REPOS);

    const reqs = fake.requests;
    assert.ok(reqs.length > REPOS * 4, `${reqs.length} requests`);
    assert.deepEqual(fake.requestsWhileLimited(), [], 'no request was sent while the budget was spent');
    assert.ok(t.scm.rateLimitGate.waitedMs > 0, 'the budget ran out and the sync waited for resets');
  });

  it('is idempotent: a second sync with nothing changed emits no event', async () => {
    const before = Number((await t.dataSource.query(`SELECT count(*)::int AS n FROM repo_sync.events`))[0].n);
    const { body } = await t.api('/api/admin/sync', { method: 'POST' });
    const progress = await waitForSync(t, body.syncId);
    assert.equal(progress.state, 'completed');
    const afterCount = Number((await t.dataSource.query(`SELECT count(*)::int AS n FROM repo_sync.events`))[0].n);
    assert.equal(afterCount, before);
  });

  it('picks up what changed since: a moved head, a new config, a deleted branch', async () => {
    fake.seed.commit('acme/svc-0001', { message: 'add config', files: { 'deploy/late/deploy.yaml': 'team: t\nnamespace: n\n' } });
    fake.seed.deleteBranch('acme/svc-0004', 'develop');
    const { body } = await t.api('/api/admin/sync', { method: 'POST' });
    await waitForSync(t, body.syncId);
    assert.equal(await countEvents(t, 'repo.config.discovered'), Math.ceil(REPOS / 10) + 1);
    assert.equal(await countEvents(t, 'repo.branch.deleted'), 1);
    const branches = await t.api('/api/repos/acme/svc-0004/branches');
    assert.deepEqual(branches.body.items.map((b: { name: string }) => b.name), ['main']);
  });

  it('the catalogue the syncs wrote is rebuilt from the log row for row (issue #23)', async () => {
    const live = await catalogueRows(t.dataSource);
    assert.equal(live.repos!.length, REPOS);
    await replayCatalogue(t);
    assert.deepEqual(await catalogueRows(t.dataSource), live);
  });
});

describe('global sync survives a restart mid-way', () => {
  const REPOS = 40;
  const fake = new FakeGitHub({ latencyMs: 15 });

  before(async () => {
    await fake.start();
    seedRepos(fake, REPOS);
  });
  after(() => fake.stop());

  it('resumes from its cursor after the process stops, each repository recorded once', async () => {
    const db = await createTestDatabase('repo_sync_restart');
    try {
      const first = await startRepoSync(fake, { db, concurrency: 2 });
      const { body } = await first.api('/api/admin/sync', { method: 'POST' });
      await waitUntil(async () => (await first.api(`/api/admin/sync/${body.syncId}`)).body.repos.done >= 8, { timeoutMs: 60_000 });
      await first.close();
      const midway = (await fetchProgress(db.url, body.syncId)) as { repos_done: number; state: string };
      assert.equal(midway.state, 'running');
      assert.ok(midway.repos_done < REPOS, `stopped mid-way (${midway.repos_done} done)`);

      const second = await startRepoSync(fake, { db, concurrency: 2 });
      try {
        const progress = await waitForSync(second, body.syncId);
        assert.equal(progress.state, 'completed');
        assert.deepEqual(progress.repos, { done: REPOS, total: REPOS });
        assert.equal(await countEvents(second, 'repo.upserted'), REPOS, 'no repository was recorded twice');
        assert.equal((await second.api('/api/repos?limit=500')).body.items.length, REPOS);
      } finally {
        await second.close();
      }
    } finally {
      await db.drop();
    }
  });
});

async function fetchProgress(url: string, syncId: string) {
  const { Client } = await import('pg');
  const client = new Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query(`SELECT repos_done, state FROM repo_sync.syncs WHERE id = $1`, [syncId])).rows[0];
  } finally {
    await client.end();
  }
}
