// Git polling (issue #22): the config and artifact repositories are polled with conditional
// requests on the fake GitHub (ETags, 304s that cost no rate limit), on the real PostgreSQL; what
// polling sees becomes the same events a webhook would, and a webhook that arrives later adds none.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { RepoRef } from '@sluice/contracts';
import { FakeGitHub } from '@sluice/fake-scm';
import { waitUntil } from '@sluice/testing';
import { PgRepoPolls } from '../adapters/persistence/pg-repo-polls';
import { startRepoSync, type RepoSyncTestApp } from '../test/repo-sync-app';
import { RepoPoller } from './repo-poller';

const CONFIG_REPO = 'acme/deploy-configs';
const ARTIFACT_REPO = 'acme/billing';

describe('Git polling of the config and artifact repositories', () => {
  const fake = new FakeGitHub();
  let t: RepoSyncTestApp;
  let poller: RepoPoller;
  let polls: PgRepoPolls;
  let artifactRef: RepoRef;

  const repoEvents = (type: string, repo: string) => t.published.filter((e) => e.type === type && (e.data as { repo: string | { fullName: string } }).repo !== undefined && JSON.stringify(e.data).includes(`"${repo}"`));
  const branchesRequests = (repo: string) => fake.requests.filter((r) => r.method === 'GET' && r.path === `/repos/${repo}/branches`);

  before(async () => {
    await fake.start();
    fake.seed.repo({ owner: 'acme', name: 'deploy-configs' });
    fake.seed.commit(CONFIG_REPO, {
      message: 'billing-api',
      files: { 'deploy/billing-api/deploy.yaml': `team: payments\nnamespace: payments\nartifact: { repo: ${ARTIFACT_REPO}, image: ghcr.io/acme/billing, build: ci }\n` },
    });
    fake.seed.repo({ owner: 'acme', name: 'billing' });
    const initial = fake.seed.commit(ARTIFACT_REPO, { message: 'initial', files: { 'README.md': '# billing\n' } });
    fake.seed.checkRun(ARTIFACT_REPO, { head_sha: initial, name: 'ci', status: 'completed', conclusion: 'success' });
    t = await startRepoSync(fake);
    // The config is known (as after its first push): its repositories are the ones polled.
    const started = await t.api('/api/admin/sync', { method: 'POST' });
    await waitUntil(async () => (await t.api(`/api/admin/sync/${started.body.syncId}`)).body.state === 'completed', { timeoutMs: 30_000 });
    polls = new PgRepoPolls(t.dataSource);
    poller = new RepoPoller(polls, t.scm, t.sync, { intervalMs: 0 });
    const [row] = await t.dataSource.query(`SELECT github_id FROM repo_sync.repos WHERE full_name = $1`, [ARTIFACT_REPO]);
    artifactRef = { provider: 'github', id: Number(row.github_id), fullName: ARTIFACT_REPO, defaultBranch: 'main', private: false };
  });
  after(async () => {
    await t?.close();
    await fake.stop();
  });

  it('polls the config repository and the artifact repository its config names; unchanged ones answer 304 and cost no rate limit', async () => {
    assert.deepEqual((await polls.targets()).map((x) => x.fullName), [ARTIFACT_REPO, CONFIG_REPO]);
    const first = await poller.pass();
    assert.deepEqual(first, { polled: 2, unchanged: 0, synced: 2, failed: 0 });
    const used = fake.primaryRateLimit.used;
    const second = await poller.pass();
    assert.deepEqual(second, { polled: 2, unchanged: 2, synced: 0, failed: 0 });
    for (const repo of [CONFIG_REPO, ARTIFACT_REPO]) assert.equal(branchesRequests(repo).at(-1)?.status, 304, `${repo}: not modified`);
    assert.equal(fake.primaryRateLimit.used, used, 'a 304 costs no rate limit');
  });

  it('a push and a build nobody sent a webhook for become the events a webhook would have made; the late webhook adds none', async () => {
    const sha = fake.seed.commit(ARTIFACT_REPO, { message: 'feature', files: { VERSION: '2\n' } });
    const moved = await poller.pass();
    assert.equal(moved.synced, 1);
    await waitUntil(() => repoEvents('repo.branch.updated', ARTIFACT_REPO).some((e) => (e.data as { headSha: string }).headSha === sha), { timeoutMs: 10_000, message: 'repo.branch.updated from the poll' });
    // The build finishes later: the head has not moved (304), but a recent head still waits for its build.
    fake.seed.checkRun(ARTIFACT_REPO, { head_sha: sha, name: 'ci', status: 'completed', conclusion: 'success' });
    const built = await poller.pass();
    assert.equal(branchesRequests(ARTIFACT_REPO).at(-1)?.status, 304);
    assert.equal(built.synced, 1, 'the waiting head’s builds are read');
    await waitUntil(() => repoEvents('repo.build.recorded', ARTIFACT_REPO).some((e) => (e.data as { sha: string; conclusion: string }).sha === sha && (e.data as { conclusion: string }).conclusion === 'success'), {
      timeoutMs: 10_000,
      message: 'repo.build.recorded from the poll',
    });
    // The push's webhook, late: nothing new.
    const before = repoEvents('repo.branch.updated', ARTIFACT_REPO).length;
    const previous = (await t.dataSource.query(`SELECT sha FROM repo_sync.commits WHERE repo = $1 AND sha <> $2 ORDER BY sha LIMIT 1`, [ARTIFACT_REPO, sha]))[0].sha.trim();
    const commit = { sha, message: 'feature', authorName: 'Ada', authorEmail: 'ada@example.com', timestamp: new Date().toISOString() };
    await t.publishScm('scm.push.received', { deliveryId: 'late', repo: artifactRef, ref: 'refs/heads/main', refType: 'branch', name: 'main', before: previous, after: sha, created: false, deleted: false, forced: false, headCommit: commit, commits: [commit], pusher: 'ada' });
    await waitUntil(async () => (await polls.targets()).find((x) => x.fullName === ARTIFACT_REPO)?.lastWebhookAt !== null, { timeoutMs: 10_000, message: 'the webhook recorded as seen' });
    await new Promise((r) => setTimeout(r, 500));
    assert.equal(repoEvents('repo.branch.updated', ARTIFACT_REPO).length, before, 'the late webhook is not a second move');
    const done = await poller.pass();
    assert.equal(done.unchanged, 2, 'nothing left to read');
  });

  it('a repository whose webhooks arrive is polled less often', async () => {
    const healthy = new RepoPoller(polls, t.scm, t.sync, { intervalMs: 60_000, healthyFactor: 4, now: () => Date.now() + 120_000 });
    const pass = await healthy.pass();
    // Two minutes on: the config repository (no webhook) is due, the artifact repository (a webhook just now) is not.
    assert.deepEqual(pass, { polled: 1, unchanged: 1, synced: 0, failed: 0 });
    assert.equal(branchesRequests(CONFIG_REPO).at(-1)?.status, 304);
  });
});
