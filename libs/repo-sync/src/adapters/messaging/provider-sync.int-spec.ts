import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { repoStream, type EventData, type EventType, type RepoRef } from '@sluice/contracts';
import { BitbucketEventPayloads, FakeBitbucket, FakeGitHub, FakeGitLab, GitLabEventPayloads } from '@sluice/fake-scm';
import { normaliseBitbucket, normaliseGitLab, ScmClients, type Normalised } from '@sluice/scm';
import { waitUntil } from '@sluice/testing';
import { startRepoSync, type RepoSyncTestApp } from '../../test/repo-sync-app';
import { RepoPoller } from '../../application/repo-poller';
import { PgRepoPolls } from '../persistence/pg-repo-polls';

interface BuildRecorded {
  sha: string;
  buildName: string;
  status: string;
  conclusion: string | null;
  url: string | null;
}

describe('repo-sync: global sync and Git polling over GitHub, GitLab and Bitbucket at once', () => {
  const github = new FakeGitHub();
  const gitlab = new FakeGitLab({ tokens: ['gl-read-token'] });
  const bitbucket = new FakeBitbucket({ tokens: ['bb-read-token'] });
  const project = { id: 9101, path: 'acme/gl-config', defaultBranch: 'main' };
  const glRepo: RepoRef = { provider: 'gitlab', id: 9101, fullName: 'acme/gl-config', defaultBranch: 'main', private: true };
  const bbRepo: RepoRef = { provider: 'bitbucket', id: null, fullName: 'acme/bb-config', defaultBranch: 'main', private: true };
  const bb = { fullName: 'acme/bb-config', mainBranch: 'main' };
  let t: RepoSyncTestApp;
  let glPayloads: GitLabEventPayloads;
  const heads: Record<string, string> = {};

  before(async () => {
    await Promise.all([github.start(), gitlab.start(), bitbucket.start()]);
    github.seed.repo({ owner: 'acme', name: 'gh-config' });
    github.seed.commit('acme/gh-config', { message: 'gh', files: { 'deploy/gh-app/deploy.yaml': 'team: gh\nnamespace: gh\n' } });
    gitlab.seed.project(project);
    heads.gl = gitlab.seed.push(project.id, { message: 'configs', files: { 'deploy/orders/deploy.yaml': 'team: orders\nnamespace: orders\n' } });
    bitbucket.seed.repo({ workspace: 'acme', slug: 'bb-config', mainBranch: 'main' });
    heads.bb = bitbucket.seed.push('acme/bb-config', { message: 'configs', files: { 'deploy/web/deploy.yaml': 'team: web\nnamespace: web\n' } });
    // The builds of the heads, read by the sync.
    gitlab.seed.pipeline(project.id, { sha: heads.gl, status: 'success', id: 501 });
    bitbucket.seed.status('acme/bb-config', heads.bb, { key: 'ci', state: 'SUCCESSFUL', refname: 'main', url: 'https://ci.example.com/acme/bb-config/ci' });
    glPayloads = new GitLabEventPayloads(gitlab.url);
    t = await startRepoSync(github, {
      readers: {
        gitlab: new ScmClients().gitlabScm(`${gitlab.url}/api/v4`, 'gl-read-token'),
        bitbucket: new ScmClients().bitbucketScm(`${bitbucket.url}/2.0`, 'bb-read-token'),
      },
    });
  });
  after(async () => {
    await t?.close();
    await Promise.all([github.stop(), gitlab.stop(), bitbucket.stop()]);
  });

  const ofStream = (type: string, stream: string) => t.published.filter((e) => e.type === type && e.stream === stream);
  const builds = (repo: RepoRef, buildName: string) => ofStream('repo.build.recorded', repoStream(repo)).map((e) => e.data as BuildRecorded).filter((b) => b.buildName === buildName);
  const deliver = async (normalised: Normalised) => {
    assert.equal(normalised.kind, 'events', normalised.kind === 'ignored' ? normalised.reason : '');
    if (normalised.kind !== 'events') return;
    for (const e of normalised.events) await t.publishScm(e.type as EventType, e.data as EventData<EventType>);
  };
  const syncToEnd = async () => {
    const started = await t.api('/api/admin/sync', { method: 'POST' });
    assert.equal(started.status, 202);
    let progress: Record<string, any> = {}; // eslint-disable-line @typescript-eslint/no-explicit-any
    await waitUntil(
      async () => {
        progress = (await t.api(`/api/admin/sync/${started.body.syncId}`)).body;
        return progress.state !== 'running';
      },
      { timeoutMs: 30_000, intervalMs: 100, message: 'sync ended' },
    );
    return progress;
  };

  it("one sync lists every provider's repositories and discovers the GitLab and Bitbucket configs through their APIs, with their builds", async () => {
    const progress = await syncToEnd();
    assert.equal(progress.state, 'completed');
    assert.deepEqual(progress.errors, []);
    assert.deepEqual(progress.repos, { done: 3, total: 3 });
    assert.equal(progress.configs, 3);
    for (const [repo, name] of [[glRepo, 'orders'], [bbRepo, 'web']] as const) {
      await waitUntil(() => ofStream('repo.config.discovered', repoStream(repo)).length === 1, { timeoutMs: 10_000, message: `${name} discovered` });
      const { config } = ofStream('repo.config.discovered', repoStream(repo))[0]!.data as { config: { name: string; configRepo: string; configRepoProvider: string } };
      assert.deepEqual([config.name, config.configRepo, config.configRepoProvider], [name, repo.fullName, repo.provider]);
      const upserted = ofStream('repo.upserted', repoStream(repo))[0]!.data as { repo: RepoRef };
      assert.deepEqual(upserted.repo, repo);
    }
    await waitUntil(() => builds(glRepo, 'pipeline').length === 1 && builds(bbRepo, 'ci').length === 1, { timeoutMs: 10_000, message: 'builds of the heads' });
    const { observation, ...pipeline } = builds(glRepo, 'pipeline')[0] as unknown as { observation: { id: number; progress: string } };
    assert.deepEqual(pipeline, { repo: 'acme/gl-config', sha: heads.gl, branch: 'main', buildName: 'pipeline', status: 'completed', conclusion: 'success', url: `${gitlab.url}/acme/gl-config/-/pipelines/501` });
    // What orders the pipeline's later reports: its id, as the catalogue holds it.
    assert.deepEqual([observation.id, observation.progress], [501, 'completed']);
    const repos = (await t.api('/api/repos')).body;
    assert.deepEqual(
      repos.items.map((r: { fullName: string }) => r.fullName).sort(),
      ['acme/bb-config', 'acme/gh-config', 'acme/gl-config'],
    );
  });

  it('a build Git polling read, delivered later by webhook, is one build and one event (GitLab pipeline, Bitbucket STOPPED status)', async () => {
    heads.gl2 = gitlab.seed.push(project.id, { message: 'next', files: { VERSION: '2' } });
    gitlab.seed.pipeline(project.id, { sha: heads.gl2, status: 'failed', id: 502 });
    heads.bb2 = bitbucket.seed.push('acme/bb-config', { message: 'next', files: { VERSION: '2' } });
    bitbucket.seed.status('acme/bb-config', heads.bb2, { key: 'ci', state: 'STOPPED', refname: 'main', url: 'https://ci.example.com/acme/bb-config/ci' });
    const gl = new ScmClients().gitlabScm(`${gitlab.url}/api/v4`, 'gl-read-token');
    const bbReader = new ScmClients().bitbucketScm(`${bitbucket.url}/2.0`, 'bb-read-token');
    const poller = new RepoPoller(new PgRepoPolls(t.dataSource), t.scm, t.sync, { intervalMs: 0, readers: (p) => (p === 'gitlab' ? gl : p === 'bitbucket' ? bbReader : null) });
    const pass = await poller.pass();
    assert.equal(pass.failed, 0);
    await waitUntil(() => builds(glRepo, 'pipeline').some((b) => b.sha === heads.gl2) && builds(bbRepo, 'ci').some((b) => b.sha === heads.bb2), { timeoutMs: 10_000, message: 'polled builds' });
    assert.deepEqual(
      builds(glRepo, 'pipeline').filter((b) => b.sha === heads.gl2).map((b) => [b.status, b.conclusion]),
      [['completed', 'failure']],
    );
    assert.deepEqual(
      builds(bbRepo, 'ci').filter((b) => b.sha === heads.bb2).map((b) => [b.status, b.conclusion]),
      [['completed', 'cancelled']],
    );

    // The same builds by webhook, then a marker build each: once the markers are published, anything the first caused is too.
    const pipeline = glPayloads.pipeline(project, { sha: heads.gl2, status: 'failed', id: 502, name: null });
    await deliver(normaliseGitLab({ event: pipeline.event, deliveryId: 'gl-p-502', payload: pipeline.payload }));
    const marker = glPayloads.pipeline(project, { sha: heads.gl2, status: 'success', id: 503, name: 'marker' });
    await deliver(normaliseGitLab({ event: marker.event, deliveryId: 'gl-p-503', payload: marker.payload }));
    const [polled] = bitbucket.statuses('acme/bb-config', heads.bb2);
    const stopped = new BitbucketEventPayloads().commitStatus(bb, { sha: heads.bb2, key: 'ci', name: 'ci', state: 'STOPPED', refname: 'main', updated: true, createdOn: polled!.created_on, updatedOn: polled!.updated_on });
    await deliver(normaliseBitbucket({ event: stopped.event, deliveryId: 'bb-s-1', payload: stopped.payload }));
    const bbMarker = new BitbucketEventPayloads().commitStatus(bb, { sha: heads.bb2, key: 'marker', name: 'marker', state: 'SUCCESSFUL' });
    await deliver(normaliseBitbucket({ event: bbMarker.event, deliveryId: 'bb-s-2', payload: bbMarker.payload }));
    await waitUntil(() => builds(glRepo, 'marker').length === 1 && builds(bbRepo, 'marker').length === 1, { timeoutMs: 10_000, message: 'marker builds' });
    assert.equal(builds(glRepo, 'pipeline').filter((b) => b.sha === heads.gl2).length, 1, 'the GitLab pipeline: one build event');
    assert.equal(builds(bbRepo, 'ci').filter((b) => b.sha === heads.bb2).length, 1, 'the Bitbucket build status: one build event');
    const stored = await t.dataSource.query(`SELECT repo, build_name, conclusion FROM repo_sync.builds WHERE sha = ANY($1) AND build_key <> 'marker' ORDER BY repo`, [[heads.gl2, heads.bb2]]);
    assert.deepEqual(stored, [
      { repo: 'acme/bb-config', build_name: 'ci', conclusion: 'cancelled' },
      { repo: 'acme/gl-config', build_name: 'pipeline', conclusion: 'failure' },
    ]);
  });

  it('a build read carries what orders it against deliveries: a re-run after it is new, an older delivery is stale', async () => {
    // GitLab: a new pipeline (a later id, started later) for the commit whose failed pipeline was polled.
    const rerun = glPayloads.pipeline(project, { sha: heads.gl2!, status: 'running', id: 504, name: null, createdAt: new Date(Date.now() + 60_000).toISOString() });
    await deliver(normaliseGitLab({ event: rerun.event, deliveryId: 'gl-p-504', payload: rerun.payload }));
    // Bitbucket: a delivery of the status as it was before the state polled (an earlier `updated_on`) arrives late.
    const [polled] = bitbucket.statuses('acme/bb-config', heads.bb2!);
    const late = new BitbucketEventPayloads().commitStatus(bb, { sha: heads.bb2!, key: 'ci', name: 'ci', state: 'INPROGRESS', refname: 'main', createdOn: polled!.created_on, updatedOn: new Date(Date.parse(polled!.updated_on) - 60_000).toISOString() });
    await deliver(normaliseBitbucket({ event: late.event, deliveryId: 'bb-s-3', payload: late.payload }));
    await waitUntil(() => builds(glRepo, 'pipeline').filter((b) => b.sha === heads.gl2).length === 2 && ofStream('repo.build.stale-ignored', repoStream(bbRepo)).length === 1, {
      timeoutMs: 10_000,
      message: 're-run recorded, late delivery ignored',
    });
    assert.deepEqual(builds(glRepo, 'pipeline').filter((b) => b.sha === heads.gl2).map((b) => b.status), ['completed', 'in_progress']);
    assert.equal(ofStream('repo.build.stale-ignored', repoStream(glRepo)).length, 0);
    assert.deepEqual(builds(bbRepo, 'ci').filter((b) => b.sha === heads.bb2).map((b) => [b.status, b.conclusion]), [['completed', 'cancelled']]);
  });

  it("a provider whose listing fails is an error of the job; the other providers' repositories are synced", async () => {
    bitbucket.injectFailure({ status: 403, times: 5, path: /^\/2\.0\/repositories$/ });
    const progress = await syncToEnd();
    assert.equal(progress.state, 'completed');
    assert.deepEqual(progress.repos, { done: 2, total: 2 });
    assert.equal(progress.errors.length, 1);
    assert.equal(progress.errors[0].repo, null);
    assert.match(progress.errors[0].message, /^bitbucket: listing repositories failed/);
  });
});
