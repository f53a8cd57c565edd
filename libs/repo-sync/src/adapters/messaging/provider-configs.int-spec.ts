import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { repoStream, type EventData, type EventType, type RepoRef } from '@sluice/contracts';
import { BitbucketEventPayloads, FakeBitbucket, FakeGitHub, FakeGitLab, GitLabEventPayloads } from '@sluice/fake-scm';
import { normaliseBitbucket, normaliseGitLab, ScmClients, type Normalised } from '@sluice/scm';
import { waitUntil } from '@sluice/testing';
import { startRepoSync, type RepoSyncTestApp } from '../../test/repo-sync-app';
import { RepoPoller } from '../../application/repo-poller';
import { PgRepoPolls } from '../persistence/pg-repo-polls';

const ZERO = '0'.repeat(40);

describe('repo-sync: a GitLab-hosted config repository', () => {
  const github = new FakeGitHub();
  const gitlab = new FakeGitLab({ tokens: ['gl-read-token'] });
  const project = { id: 9001, path: 'acme/gitlab-config', defaultBranch: 'main' };
  const repo: RepoRef = { provider: 'gitlab', id: 9001, fullName: 'acme/gitlab-config', defaultBranch: 'main', private: true };
  let t: RepoSyncTestApp;
  let sha: string;

  before(async () => {
    await Promise.all([github.start(), gitlab.start()]);
    gitlab.seed.project(project);
    sha = gitlab.seed.push(9001, {
      message: 'configs',
      files: {
        'deploy/orders/deploy.yaml': 'team: orders\nnamespace: orders\nartifact:\n  repo: acme/orders\n  image: registry.gitlab.com/acme/orders\n  build: pipeline\nautodeploy: true\n',
        'deploy/orders/deployment.yaml': 'apiVersion: apps/v1\nkind: Deployment\n',
        'README.md': 'configs on GitLab',
      },
    });
    t = await startRepoSync(github, { readers: { gitlab: new ScmClients().gitlabScm(`${gitlab.url}/api/v4`, 'gl-read-token') } });
  });
  after(async () => {
    await t?.close();
    await Promise.all([github.stop(), gitlab.stop()]);
  });

  /** What webhook-ingest publishes for a delivery: the normaliser's events, each on the bus. */
  const deliver = async (normalised: Normalised) => {
    assert.equal(normalised.kind, 'events', normalised.kind === 'ignored' ? normalised.reason : '');
    if (normalised.kind !== 'events') return;
    for (const e of normalised.events) await t.publishScm(e.type as EventType, e.data as EventData<EventType>);
  };
  const ofStream = (type: string, stream: string) => t.published.filter((e) => e.type === type && e.stream === stream);

  it('a push webhook to its default branch discovers its configs, read through the GitLab API', async () => {
    const { event, payload } = new GitLabEventPayloads().push(project, { branch: 'main', before: ZERO, after: sha, commits: [{ sha, message: 'configs' }] });
    await deliver(normaliseGitLab({ event, deliveryId: 'gl-1', payload }));
    await waitUntil(() => ofStream('repo.config.discovered', repoStream(repo)).length === 1, { timeoutMs: 10_000, message: 'repo.config.discovered' });
    const [discovered] = ofStream('repo.config.discovered', 'repo-gitlab-9001').map((e) => e.data as { config: Record<string, unknown>; configSha: string });
    assert.equal(discovered!.configSha, sha);
    assert.equal(discovered!.config.name, 'orders');
    assert.equal(discovered!.config.configRepo, 'acme/gitlab-config');
    assert.equal(discovered!.config.configRepoProvider, 'gitlab', "kube-applier reads its specs through GitLab's API");
    assert.deepEqual(discovered!.config.artifact, { repo: 'acme/orders', image: 'registry.gitlab.com/acme/orders', build: 'pipeline' });
    const configs = await t.api('/api/repos/acme/gitlab-config/configs');
    assert.deepEqual(configs.body.configs.map((c: { name: string }) => c.name), ['orders']);
  });

  it("Git polling reads it through GitLab: a push whose webhook was lost, and the config's artifact repository the catalogue never heard of", async () => {
    gitlab.seed.project({ id: 9002, path: 'acme/orders', defaultBranch: 'main' });
    const orders = gitlab.seed.push(9002, { message: 'orders', files: { VERSION: '1' } });
    const lost = gitlab.seed.push(9001, { message: 'payments too', files: { 'deploy/payments/deploy.yaml': 'team: payments\nnamespace: payments\nautodeploy: true\n' } });
    const polls = new PgRepoPolls(t.dataSource);
    const targets = await polls.targets();
    // acme/orders is known only as the config's artifact: its provider is the config repository's.
    assert.deepEqual(targets.map((x) => [x.fullName, x.provider, x.repo !== null]), [['acme/gitlab-config', 'gitlab', true], ['acme/orders', 'gitlab', false]]);
    const reader = new ScmClients().gitlabScm(`${gitlab.url}/api/v4`, 'gl-read-token');
    const poller = new RepoPoller(polls, t.scm, t.sync, { intervalMs: 0, readers: (p) => (p === 'gitlab' ? reader : null) });
    assert.deepEqual(await poller.pass(), { polled: 2, unchanged: 0, synced: 2, failed: 0 });
    await waitUntil(() => ofStream('repo.config.discovered', repoStream(repo)).some((e) => (e.data as { config: { name: string } }).config.name === 'payments'), { timeoutMs: 10_000, message: 'payments discovered by polling' });
    // Each repository's events reach the bus through the relay on their own; wait for the artifact repository's too.
    const ofOrders = (type: string) => t.published.find((e) => e.type === type && ((e.data as { repo: string | RepoRef }).repo === 'acme/orders' || (e.data as { repo: RepoRef }).repo.fullName === 'acme/orders'));
    await waitUntil(() => ofOrders('repo.branch.updated') !== undefined && ofOrders('repo.upserted') !== undefined, { timeoutMs: 10_000, message: 'acme/orders seen by polling' });
    assert.equal((ofOrders('repo.branch.updated')!.data as { headSha: string }).headSha, orders);
    const upserted = ofOrders('repo.upserted');
    assert.equal((upserted!.data as { repo: RepoRef }).repo.provider, 'gitlab');
    sha = lost;
  });

  it('a later push that removes the config folder is read through GitLab too', async () => {
    const next = gitlab.seed.push(9001, { message: 'drop orders', files: { 'deploy/orders/deploy.yaml': null, 'deploy/orders/deployment.yaml': null } });
    const { event, payload } = new GitLabEventPayloads().push(project, { branch: 'main', before: sha, after: next, commits: [{ sha: next }] });
    await deliver(normaliseGitLab({ event, deliveryId: 'gl-2', payload }));
    await waitUntil(() => ofStream('repo.config.removed', repoStream(repo)).length === 1, { timeoutMs: 10_000, message: 'repo.config.removed' });
  });

  it('a provider without a reader (Bitbucket here) is followed by webhook: its branch moves, its configs are not read', async () => {
    const bb = { fullName: 'acme/bb-config', mainBranch: 'main' };
    const { payload } = new BitbucketEventPayloads().push(bb, { branch: 'main', before: null, after: { sha: 'b'.repeat(40) } });
    await deliver(normaliseBitbucket({ event: 'repo:push', deliveryId: 'bb-1', payload }));
    const stream = 'repo-bitbucket-acme/bb-config';
    await waitUntil(() => t.published.some((e) => e.stream === stream && e.type === 'repo.branch.updated'), { timeoutMs: 10_000, message: 'repo.branch.updated' });
    assert.equal(ofStream('repo.config.discovered', stream).length, 0);
  });
});

describe('repo-sync: a Bitbucket-hosted config repository', () => {
  const github = new FakeGitHub();
  const bitbucket = new FakeBitbucket({ tokens: ['bb-read-token'] });
  const bb = { fullName: 'acme/bb-config', mainBranch: 'main' };
  let t: RepoSyncTestApp;

  before(async () => {
    await Promise.all([github.start(), bitbucket.start()]);
    bitbucket.seed.repo({ workspace: 'acme', slug: 'bb-config', mainBranch: 'main' });
    bitbucket.seed.repo({ workspace: 'acme', slug: 'bb-legacy', mainBranch: 'master' });
    t = await startRepoSync(github, { readers: { bitbucket: new ScmClients().bitbucketScm(`${bitbucket.url}/2.0`, 'bb-read-token') } });
  });
  after(async () => {
    await t?.close();
    await Promise.all([github.stop(), bitbucket.stop()]);
  });

  it('a push webhook to its main branch discovers its configs, read through the Bitbucket API', async () => {
    const sha = bitbucket.seed.push('acme/bb-config', { message: 'configs', files: { 'deploy/web/deploy.yaml': 'team: web\nnamespace: web\n' } });
    const { payload } = new BitbucketEventPayloads().push(bb, { branch: 'main', before: null, after: { sha, message: 'configs' } });
    const normalised = normaliseBitbucket({ event: 'repo:push', deliveryId: 'bb-2', payload });
    assert.equal(normalised.kind, 'events');
    if (normalised.kind !== 'events') return;
    for (const e of normalised.events) await t.publishScm(e.type as EventType, e.data as EventData<EventType>);
    const stream = 'repo-bitbucket-acme/bb-config';
    await waitUntil(() => t.published.some((e) => e.stream === stream && e.type === 'repo.config.discovered'), { timeoutMs: 10_000, message: 'repo.config.discovered' });
    const discovered = t.published.find((e) => e.stream === stream && e.type === 'repo.config.discovered')!.data as { config: { name: string; configRepo: string; configRepoProvider?: string }; configSha: string };
    assert.deepEqual([discovered.config.name, discovered.config.configRepo, discovered.config.configRepoProvider, discovered.configSha], ['web', 'acme/bb-config', 'bitbucket', sha]);
  });

  it("a repository whose main branch is master, pushed without `mainbranch` in the payload: its main branch is read from the API and a push to master discovers its configs", async () => {
    const legacy = { fullName: 'acme/bb-legacy' };
    const hooks = new BitbucketEventPayloads();
    const sha = bitbucket.seed.push(legacy.fullName, { message: 'configs', files: { 'deploy/legacy/deploy.yaml': 'team: legacy\nnamespace: legacy\n' } });
    const { payload } = hooks.push(legacy, { branch: 'master', before: null, after: { sha, message: 'configs' } });
    const normalised = normaliseBitbucket({ event: 'repo:push', deliveryId: 'bb-master-1', payload });
    // What the webhook says: the normaliser assumes `main`.
    assert.equal(normalised.kind === 'events' && (normalised.events[0]!.data as { repo: RepoRef }).repo.defaultBranch, 'main');
    if (normalised.kind !== 'events') return;
    for (const e of normalised.events) await t.publishScm(e.type as EventType, e.data as EventData<EventType>);
    const stream = 'repo-bitbucket-acme/bb-legacy';
    await waitUntil(() => t.published.some((e) => e.stream === stream && e.type === 'repo.config.discovered'), { timeoutMs: 10_000, message: 'repo.config.discovered on master' });
    const discovered = t.published.find((e) => e.stream === stream && e.type === 'repo.config.discovered')!.data as { config: { name: string; defaultBranch?: string }; configSha: string };
    assert.deepEqual([discovered.config.name, discovered.configSha], ['legacy', sha]);
    const upserted = t.published.filter((e) => e.stream === stream && e.type === 'repo.upserted').map((e) => (e.data as { repo: RepoRef }).repo.defaultBranch);
    assert.deepEqual(upserted, ['master']);
    const [row] = await t.dataSource.query(`SELECT default_branch FROM repo_sync.repos WHERE full_name = $1`, [legacy.fullName]);
    assert.equal(row.default_branch, 'master');

    // A later build status (its payload assumes `main` too) leaves the recorded main branch alone.
    const status = hooks.commitStatus(legacy, { sha, key: 'ci-1', state: 'SUCCESSFUL', refname: 'master' });
    const built = normaliseBitbucket({ event: status.event, deliveryId: 'bb-master-2', payload: status.payload });
    if (built.kind !== 'events') return assert.fail(built.reason);
    for (const e of built.events) await t.publishScm(e.type as EventType, e.data as EventData<EventType>);
    await waitUntil(() => t.published.some((e) => e.stream === stream && e.type.startsWith('repo.build')), { timeoutMs: 10_000, message: 'the build recorded' });
    assert.equal(t.published.filter((e) => e.stream === stream && e.type === 'repo.upserted').length, 1, 'no repo.upserted back to main');
    assert.equal((await t.dataSource.query(`SELECT default_branch FROM repo_sync.repos WHERE full_name = $1`, [legacy.fullName]))[0].default_branch, 'master');
  });
});
