import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { announceRevocation, announceTeamToken } from '@sluice/auth/testing';
import { repoStream, Topics, type RepoRef } from '@sluice/contracts';
import { FakeGitHub } from '@sluice/fake-scm';
import { waitUntil } from '@sluice/testing';
import { catalogueRows, replayCatalogue, startRepoSync, type RepoSyncTestApp } from '../../test/repo-sync-app';

const ZERO = '0'.repeat(40);

describe('repo-sync consuming sluice.scm.v1', () => {
  const fake = new FakeGitHub();
  let t: RepoSyncTestApp;
  const configRepo: RepoRef = { fullName: 'acme/platform-config', id: 1, defaultBranch: 'main', private: true, provider: 'github' };
  const appRepo: RepoRef = { fullName: 'acme/billing', id: 2, defaultBranch: 'main', private: false, provider: 'github' };
  let first: string;

  before(async () => {
    await fake.start();
    fake.seed.repo({ owner: 'acme', name: 'platform-config', defaultBranch: 'main', private: true });
    first = fake.seed.commit('acme/platform-config', {
      message: 'configs',
      files: {
        'deploy/billing-api/deploy.yaml': 'team: payments\nnamespace: payments\nartifact:\n  repo: acme/billing\n  image: ghcr.io/acme/billing\n  build: ci\nautodeploy: true\n',
        'deploy/billing-api/deployment.yaml': 'apiVersion: apps/v1\nkind: Deployment\n',
        'deploy/docs/deploy.yaml': 'team: web\nnamespace: web\n',
        'deploy/broken/deploy.yaml': 'team: [unclosed\n',
        'deploy/typo/deploy.yaml': 'team: web\nnamespace: web\nautodeplooy: true\n',
        'README.md': 'config repo',
      },
    });
    t = await startRepoSync(fake);
  });
  after(async () => {
    await t?.close();
    await fake.stop();
  });

  const commit = (sha: string, message = 'm') => ({ sha, message, authorName: 'Ada', authorEmail: 'ada@example.com', timestamp: '2026-01-01T00:00:00Z' });
  const push = (repo: RepoRef, branch: string, before: string, after: string, extra: Partial<{ deleted: boolean; created: boolean }> = {}) => ({
    deliveryId: 'd',
    repo,
    ref: `refs/heads/${branch}`,
    refType: 'branch' as const,
    name: branch,
    before,
    after,
    created: extra.created ?? before === ZERO,
    deleted: extra.deleted ?? false,
    forced: false,
    headCommit: extra.deleted ? null : commit(after, `head of ${branch}`),
    commits: extra.deleted ? [] : [commit(after, `head of ${branch}`)],
    pusher: 'ada',
  });
  const streamOf = (fullName: string) => repoStream([configRepo, appRepo].find((r) => r.fullName === fullName)!);
  const eventsOf = (type: string, repo?: string) =>
    t.published.filter((e) => e.type === type && (!repo || e.stream === streamOf(repo)));

  it('a push updates the catalogue (repo, branch head, commits) and emits repo events', async () => {
    const sha = 'a'.repeat(40);
    await t.publishScm('scm.push.received', push(appRepo, 'feature/login', ZERO, sha));
    await waitUntil(() => eventsOf('repo.branch.updated', appRepo.fullName).length === 1, { timeoutMs: 10_000 });
    assert.equal(eventsOf('repo.upserted', appRepo.fullName).length, 1);
    const branch = eventsOf('repo.branch.updated', appRepo.fullName)[0].data as Record<string, unknown>;
    assert.deepEqual([branch.branch, branch.headSha, branch.previousSha, branch.defaultBranch], ['feature/login', sha, null, 'main']);

    const repos = await t.api('/api/repos');
    assert.equal(repos.status, 200);
    assert.ok(repos.body.items.some((r: { fullName: string }) => r.fullName === 'acme/billing'));
    const branches = await t.api('/api/repos/acme/billing/branches');
    assert.deepEqual(branches.body.items.map((b: { name: string; headSha: string }) => [b.name, b.headSha]), [['feature/login', sha]]);
    const c = await t.api(`/api/repos/acme/billing/commits/${sha}`);
    assert.equal(c.status, 200);
    assert.equal(c.body.message, 'head of feature/login');
  });

  it('builds started and completed are recorded per commit and build name', async () => {
    const sha = 'a'.repeat(40);
    const base = { deliveryId: 'd', repo: appRepo, sha, branch: 'feature/login', buildName: 'ci', source: 'workflow_run' as const };
    const run = { id: 1, attempt: 1, startedAt: '2026-01-01T10:00:00.000Z' };
    await t.publishScm('scm.build.started', { ...base, run: { ...run, progress: 'in_progress', updatedAt: '2026-01-01T10:00:00.000Z' } });
    await t.publishScm('scm.build.completed', {
      ...base,
      conclusion: 'success',
      url: 'https://ci.example.com/run/1',
      run: { ...run, progress: 'completed', updatedAt: '2026-01-01T10:05:00.000Z' },
    });
    await waitUntil(() => eventsOf('repo.build.recorded', appRepo.fullName).length === 2, { timeoutMs: 10_000 });
    const c = await t.api(`/api/repos/acme/billing/commits/${sha}`);
    assert.deepEqual(
      c.body.builds.map((b: Record<string, unknown>) => [b.name, b.status, b.conclusion, b.url]),
      [['ci', 'completed', 'success', 'https://ci.example.com/run/1']],
    );
    const recorded = eventsOf('repo.build.recorded', appRepo.fullName).map((e) => (e.data as { status: string }).status);
    assert.deepEqual(recorded, ['in_progress', 'completed']);
  });

  describe('a build only moves forward, and is one build whatever the case of its name', () => {
    // Ids, attempts and times as in GitHub's example payloads (@octokit/webhooks-examples).
    const build = (sha: string, buildName: string, source: 'workflow_run' | 'check_run' | 'check_suite') => ({ deliveryId: 'd', repo: appRepo, sha, branch: 'main', buildName, source });
    const builds = async (sha: string) =>
      (await t.api(`/api/repos/acme/billing/commits/${sha}`)).body.builds.map((b: Record<string, unknown>) => [b.name, b.status, b.conclusion]);
    const recordedFor = (sha: string) => eventsOf('repo.build.recorded', appRepo.fullName).filter((e) => (e.data as { sha: string }).sha === sha).map((e) => e.data as Record<string, unknown>);
    const staleFor = (sha: string) => eventsOf('repo.build.stale-ignored', appRepo.fullName).filter((e) => (e.data as { sha: string }).sha === sha).map((e) => e.data as Record<string, unknown>);
    const wfRun = { id: 289782451, startedAt: '2020-10-05T16:33:49.000Z' };

    it('workflow_run completed/success, then the older requested of the same attempt: stays completed; the late one is recorded as stale-ignored', async () => {
      const sha = '1c'.repeat(20);
      await t.publishScm('scm.build.completed', {
        ...build(sha, 'test', 'workflow_run'),
        conclusion: 'success',
        url: null,
        run: { ...wfRun, attempt: 1, progress: 'completed', updatedAt: '2020-10-05T16:33:49.000Z' },
      });
      await t.publishScm('scm.build.started', { ...build(sha, 'test', 'workflow_run'), run: { ...wfRun, attempt: 1, progress: 'queued', updatedAt: '2020-10-05T16:33:24.000Z' } });
      await waitUntil(() => staleFor(sha).length === 1, { timeoutMs: 10_000 });
      assert.deepEqual(await builds(sha), [['test', 'completed', 'success']]);
      assert.deepEqual(recordedFor(sha).map((e) => e.status), ['completed'], 'no repo.build.recorded of the older state');
      const [stale] = staleFor(sha);
      assert.deepEqual([stale.reason, (stale.observed as { progress: string }).progress, (stale.known as { progress: string }).progress], ['behind', 'queued', 'completed']);
    });

    it('a re-run (higher run_attempt) starts a new state from completed; a late delivery of the first attempt is then stale', async () => {
      const sha = '1d'.repeat(20);
      const first = { ...wfRun, attempt: 1 };
      await t.publishScm('scm.build.completed', { ...build(sha, 'test', 'workflow_run'), conclusion: 'failure', url: null, run: { ...first, progress: 'completed', updatedAt: '2020-10-05T16:35:00.000Z' } });
      await t.publishScm('scm.build.started', {
        ...build(sha, 'test', 'workflow_run'),
        run: { id: wfRun.id, attempt: 2, progress: 'in_progress', startedAt: '2020-10-05T16:40:00.000Z', updatedAt: '2020-10-05T16:40:00.000Z' },
      });
      await t.publishScm('scm.build.started', { ...build(sha, 'test', 'workflow_run'), run: { ...first, progress: 'in_progress', updatedAt: '2020-10-05T16:34:00.000Z' } });
      await waitUntil(() => staleFor(sha).length === 1, { timeoutMs: 10_000 });
      assert.deepEqual(await builds(sha), [['test', 'in_progress', null]]);
      assert.deepEqual(recordedFor(sha).map((e) => [e.status, e.conclusion]), [['completed', 'failure'], ['in_progress', null]]);
      assert.equal(staleFor(sha)[0].reason, 'older-attempt');
    });

    it('check_run completed, then its created: stays completed', async () => {
      const sha = '1e'.repeat(20);
      const run = { id: 128620228, attempt: null, startedAt: '2019-05-15T15:21:12.000Z', updatedAt: '2019-05-15T15:21:12.000Z' };
      await t.publishScm('scm.build.completed', { ...build(sha, 'Octocoders-linter', 'check_run'), conclusion: 'success', url: null, run: { ...run, progress: 'completed' } });
      await t.publishScm('scm.build.started', { ...build(sha, 'Octocoders-linter', 'check_run'), run: { ...run, progress: 'queued' } });
      await waitUntil(() => staleFor(sha).length === 1, { timeoutMs: 10_000 });
      assert.deepEqual(await builds(sha), [['Octocoders-linter', 'completed', 'success']]);
      assert.deepEqual(recordedFor(sha).map((e) => e.status), ['completed']);
    });

    it('check_suite octocoders-linter and check_run Octocoders-linter on one commit are one build, shown under the check run name', async () => {
      const sha = '1f'.repeat(20);
      const suite = { id: 118578147, attempt: null, startedAt: '2019-05-15T15:20:31.000Z' };
      const run = { id: 128620228, attempt: null, startedAt: '2019-05-15T15:21:12.000Z' };
      await t.publishScm('scm.build.started', { ...build(sha, 'octocoders-linter', 'check_suite'), run: { ...suite, progress: 'queued', updatedAt: '2019-05-15T15:20:31.000Z' } });
      await t.publishScm('scm.build.started', { ...build(sha, 'Octocoders-linter', 'check_run'), run: { ...run, progress: 'queued', updatedAt: '2019-05-15T15:21:12.000Z' } });
      await t.publishScm('scm.build.completed', {
        ...build(sha, 'Octocoders-linter', 'check_run'),
        conclusion: 'success',
        url: null,
        run: { ...run, progress: 'completed', updatedAt: '2019-05-15T15:21:12.000Z' },
      });
      await t.publishScm('scm.build.completed', {
        ...build(sha, 'octocoders-linter', 'check_suite'),
        conclusion: 'success',
        url: null,
        run: { ...suite, progress: 'completed', updatedAt: '2019-05-15T15:21:14.000Z' },
      });
      await waitUntil(async () => (await builds(sha)).some((b: unknown[]) => b[1] === 'completed'), { timeoutMs: 10_000 });
      await new Promise((r) => setTimeout(r, 300));
      assert.deepEqual(await builds(sha), [['Octocoders-linter', 'completed', 'success']]);
      const recorded = recordedFor(sha);
      assert.deepEqual(recorded.map((e) => [e.buildName, e.status]), [['octocoders-linter', 'in_progress'], ['Octocoders-linter', 'completed']]);
    });
  });

  it('a redelivered event (same id) changes nothing and emits nothing', async () => {
    const before = t.published.length;
    const sha = 'b'.repeat(40);
    const id = await t.publishScm('scm.push.received', push(appRepo, 'hotfix', ZERO, sha));
    await t.publishScm('scm.push.received', push(appRepo, 'hotfix', ZERO, sha), id);
    await waitUntil(() => eventsOf('repo.branch.updated', appRepo.fullName).some((e) => (e.data as { branch: string }).branch === 'hotfix'), {
      timeoutMs: 10_000,
    });
    await new Promise((r) => setTimeout(r, 300));
    // One delivery's events: its commit and the branch head; the redelivery none.
    assert.deepEqual(t.published.slice(before).map((e) => e.type), ['repo.commits.recorded', 'repo.branch.updated']);
  });

  it('a default-branch push of a config repo discovers its configs; invalid ones are visible through the API', async () => {
    await t.publishScm('scm.push.received', push(configRepo, 'main', ZERO, first));
    await waitUntil(() => eventsOf('repo.config.discovered', configRepo.fullName).length === 2, { timeoutMs: 10_000 });
    await waitUntil(() => eventsOf('repo.config.invalid', configRepo.fullName).length === 2, { timeoutMs: 10_000 });
    const discovered = eventsOf('repo.config.discovered', configRepo.fullName).map((e) => e.data as { config: Record<string, unknown>; configSha: string });
    const billing = discovered.find((d) => d.config.name === 'billing-api')!;
    assert.equal(billing.configSha, first);
    assert.deepEqual(billing.config.artifact, { repo: 'acme/billing', image: 'ghcr.io/acme/billing', build: 'ci' });
    assert.deepEqual(billing.config.track, { branch: 'main' });
    assert.equal(billing.config.configRepo, 'acme/platform-config');

    const configs = await t.api('/api/repos/acme/platform-config/configs');
    assert.equal(configs.status, 200);
    assert.deepEqual(configs.body.configs.map((c: { name: string }) => c.name), ['billing-api', 'docs']);
    const errors = configs.body.errors as Array<{ path: string; errors: Array<{ path: string; message: string }> }>;
    assert.deepEqual(errors.map((e) => e.path), ['deploy/broken', 'deploy/typo']);
    assert.equal(errors[0].errors[0].path, '(yaml)');
    assert.match(errors[1].errors[0].message, /autodeplooy/);
    const repo = await t.api('/api/repos/acme/platform-config');
    assert.equal(repo.body.configErrors, 2);
  });

  it('a pushed change emits changed, a removed folder emits removed, unchanged configs emit nothing', async () => {
    const before = first;
    const second = fake.seed.commit('acme/platform-config', {
      message: 'docs autodeploys; billing removed',
      files: {
        'deploy/docs/deploy.yaml': 'team: web\nnamespace: web\nautodeploy: true\n',
        'deploy/billing-api/deploy.yaml': null,
        'deploy/billing-api/deployment.yaml': null,
      },
    });
    await t.publishScm('scm.push.received', push(configRepo, 'main', before, second));
    await waitUntil(() => eventsOf('repo.config.removed', configRepo.fullName).length === 1, { timeoutMs: 10_000 });
    const removed = eventsOf('repo.config.removed', configRepo.fullName)[0].data as Record<string, unknown>;
    assert.deepEqual(removed, { name: 'billing-api', configRepo: 'acme/platform-config', configSha: second });
    const changed = eventsOf('repo.config.changed', configRepo.fullName).map((e) => (e.data as { config: { name: string; autodeploy: boolean } }).config);
    assert.deepEqual(changed.map((c) => [c.name, c.autodeploy]), [['docs', true]]);
    assert.equal(eventsOf('repo.config.invalid', configRepo.fullName).length, 2, 'unchanged errors are not reported again');
    const configs = await t.api('/api/repos/acme/platform-config/configs');
    assert.deepEqual(configs.body.configs.map((c: { name: string }) => c.name), ['docs']);
  });

  it('a deleted branch leaves the catalogue', async () => {
    await t.publishScm('scm.push.received', push(appRepo, 'hotfix', 'b'.repeat(40), ZERO, { deleted: true }));
    await waitUntil(() => eventsOf('repo.branch.deleted', appRepo.fullName).length === 1, { timeoutMs: 10_000 });
    const branches = await t.api('/api/repos/acme/billing/branches');
    assert.deepEqual(branches.body.items.map((b: { name: string }) => b.name), ['feature/login']);
  });

  it('the read API needs a valid bearer token and answers 400/404 precisely', async () => {
    assert.equal((await t.api('/api/repos', { token: null })).status, 401);
    assert.equal((await t.api('/api/repos', { token: 'wrong' })).status, 401);
    assert.equal((await t.api('/api/repos/acme/nothing')).status, 404);
    assert.equal((await t.api('/api/repos/acme/billing/commits/xyz')).status, 400);
    assert.equal((await t.api(`/api/repos/acme/billing/commits/${'c'.repeat(40)}`)).status, 404);
    assert.equal((await t.api('/api/repos?limit=0')).status, 400);
    assert.equal((await t.api('/api/admin/sync/not-a-uuid')).status, 400);
    assert.equal((await t.api('/api/admin/sync', { method: 'POST', token: null })).status, 401);
  });

  it('a team token announced on sluice.auth.v1 may read the catalogue but not start a global sync (403); revoked, it gets 401, and a redelivered issue does not revive it', async () => {
    // web's config docs lives in acme/platform-config (billing-api of payments was removed above).
    const team = await announceTeamToken(t.bus, 'web');
    await waitUntil(async () => (await t.api('/api/repos', { token: team.token })).status === 200, { message: 'team token accepted' });
    assert.equal((await t.api('/api/repos/acme/platform-config/branches', { token: team.token })).status, 200);
    const sync = await t.api('/api/admin/sync', { method: 'POST', token: team.token });
    assert.equal(sync.status, 403);
    assert.deepEqual(sync.body, { error: { code: 'forbidden', message: 'team:web may not do this: an admin token is required' } });
    const unknown = await t.api('/api/repos', { token: `sl_${'f'.repeat(16)}_${'a'.repeat(43)}` });
    assert.deepEqual([unknown.status, unknown.body.error.code], [401, 'unauthorized']);

    await announceRevocation(t.bus, team.id);
    await waitUntil(async () => (await t.api('/api/repos', { token: team.token })).status === 401, { message: 'revoked token refused' });
    await t.bus.publish(Topics.auth, [team.issued]);
    const later = await announceTeamToken(t.bus, 'payments'); // one in-process partition: handled after the redelivery
    await waitUntil(async () => (await t.api('/api/repos', { token: later.token })).status === 200, { message: 'later token accepted' });
    assert.equal((await t.api('/api/repos', { token: team.token })).status, 401);
    const [inbox] = await t.dataSource.query(`SELECT count(*)::int AS n FROM repo_sync.inbox WHERE event_id = $1`, [team.issued.id]);
    assert.equal(inbox.n, 1, 'the redelivered event was recorded once');
  });

  it('a repository is its provider id: an explicit rename, a push under a new name (a rename whose webhook was lost), and a late push under an old name', async () => {
    const old: RepoRef = { fullName: 'acme/ledger', id: 77, defaultBranch: 'main', private: false, provider: 'github' };
    const a = '7a'.repeat(20);
    const b = '7b'.repeat(20);
    const c = '7c'.repeat(20);
    await t.publishScm('scm.push.received', push(old, 'main', ZERO, a));
    const branchesOf = async (fullName: string) => (await t.api(`/api/repos/${fullName}/branches`)).body.items?.map((x: { headSha: string }) => x.headSha);
    await waitUntil(async () => (await branchesOf('acme/ledger'))?.[0] === a, { message: 'acme/ledger recorded' });

    const renamed = { ...old, fullName: 'payments/ledger' };
    await t.publishScm('scm.repository.renamed', { deliveryId: 'r1', repo: renamed, previousFullName: 'acme/ledger', action: 'transferred' });
    await waitUntil(async () => (await branchesOf('payments/ledger'))?.[0] === a, { message: 'the branch follows the rename' });
    assert.equal((await t.api('/api/repos/acme/ledger')).status, 404);
    const renames = () => t.published.filter((e) => e.type === 'repo.renamed');
    await waitUntil(() => renames().length === 1, { message: 'repo.renamed published' });
    const [event] = renames();
    assert.deepEqual(event?.data, { provider: 'github', id: 77, from: 'acme/ledger', to: 'payments/ledger' });
    assert.equal(event?.stream, 'repo-github-77', 'the stream is the repository’s identity, the same before and after');

    // Redelivered: nothing more.
    await t.publishScm('scm.repository.renamed', { deliveryId: 'r1', repo: renamed, previousFullName: 'acme/ledger', action: 'transferred' });
    // A late push still naming acme/ledger is about payments/ledger — never a rename back.
    await t.publishScm('scm.push.received', push(old, 'main', a, b));
    await waitUntil(async () => (await branchesOf('payments/ledger'))?.[0] === b, { message: 'the late push moved the renamed repository' });
    assert.equal((await t.api('/api/repos/acme/ledger')).status, 404);

    // Renamed again, the webhook lost: the next push under the new name follows the id.
    await t.publishScm('scm.push.received', push({ ...old, fullName: 'payments/general-ledger' }, 'main', b, c));
    await waitUntil(async () => (await branchesOf('payments/general-ledger'))?.[0] === c, { message: 'the push under a new name renamed the repository' });
    assert.equal((await t.api('/api/repos/payments/ledger')).status, 404);
    await waitUntil(() => renames().length === 2, { message: 'the second repo.renamed published' });
    assert.deepEqual(
      renames().map((e) => [(e.data as { from: string }).from, (e.data as { to: string }).to]),
      [['acme/ledger', 'payments/ledger'], ['payments/ledger', 'payments/general-ledger']],
    );
    const [ids] = await t.dataSource.query(`SELECT count(*)::int AS n FROM repo_sync.repos WHERE github_id = 77`);
    assert.equal(ids.n, 1, 'one repository per provider id');
  });

  // Last: the history of every case above, rebuilt from the log (issue #23).
  it('the catalogue rebuilt from repo-sync’s log equals the live one, row for row', async () => {
    await new Promise((r) => setTimeout(r, 300)); // the last deliveries settle
    const live = await catalogueRows(t.dataSource);
    for (const table of ['repos', 'branches', 'commits', 'builds', 'configs', 'config_errors', 'config_scans', 'repo_names']) {
      assert.ok(live[table]!.length > 0, `the history wrote ${table}`);
    }
    const replay = await replayCatalogue(t);
    assert.ok(replay.processed >= replay.total && replay.total > 0, `progress ${replay.processed}/${replay.total}`);
    assert.deepEqual(await catalogueRows(t.dataSource), live);
  });
});
