import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { repoStream, type EventData, type EventType, type RepoRef } from '@sluice/contracts';
import { FakeGitHub, FakeGitLab, GitLabEventPayloads } from '@sluice/fake-scm';
import { normaliseGitLab, ScmClients } from '@sluice/scm';
import { waitUntil } from '@sluice/testing';
import { startRepoSync, type RepoSyncTestApp } from '../../test/repo-sync-app';

const ZERO = '0'.repeat(40);

describe('repo-sync: a GitLab config repository in a subgroup (acme/platform/gitlab-config)', () => {
  const github = new FakeGitHub();
  const gitlab = new FakeGitLab({ tokens: ['gl-read-token'] });
  const project = { id: 9101, path: 'acme/platform/gitlab-config', defaultBranch: 'main' };
  const repo: RepoRef = { provider: 'gitlab', id: 9101, fullName: 'acme/platform/gitlab-config', defaultBranch: 'main', private: true };
  let t: RepoSyncTestApp;
  let sha: string;

  before(async () => {
    await Promise.all([github.start(), gitlab.start()]);
    gitlab.seed.project(project);
    sha = gitlab.seed.push(9101, {
      message: 'configs',
      files: {
        'deploy/ledger/deploy.yaml': 'team: ledger\nnamespace: ledger\nartifact:\n  repo: acme/platform/services/ledger\n  image: registry.gitlab.com/acme/ledger\n  build: pipeline\nautodeploy: true\n',
        'deploy/ledger/deployment.yaml': 'apiVersion: apps/v1\nkind: Deployment\n',
      },
    });
    t = await startRepoSync(github, { readers: { gitlab: new ScmClients().gitlabScm(`${gitlab.url}/api/v4`, 'gl-read-token') } });
  });
  after(async () => {
    await t?.close();
    await Promise.all([github.stop(), gitlab.stop()]);
  });

  it('a push webhook discovers its configs, and the catalogue answers by the URL-encoded full path', async () => {
    const { event, payload } = new GitLabEventPayloads().push(project, { branch: 'main', before: ZERO, after: sha, commits: [{ sha, message: 'configs' }] });
    const normalised = normaliseGitLab({ event, deliveryId: 'gl-sub-1', payload });
    if (normalised.kind !== 'events') return assert.fail(normalised.reason);
    assert.equal(normalised.stream, 'repo-gitlab-9101');
    for (const e of normalised.events) await t.publishScm(e.type as EventType, e.data as EventData<EventType>);
    await waitUntil(() => t.published.some((e) => e.type === 'repo.config.discovered' && e.stream === repoStream(repo)), { timeoutMs: 10_000, message: 'repo.config.discovered' });
    const discovered = t.published.find((e) => e.type === 'repo.config.discovered' && e.stream === repoStream(repo))!.data as { config: Record<string, unknown>; configSha: string };
    assert.equal(discovered.configSha, sha);
    assert.equal(discovered.config.configRepo, 'acme/platform/gitlab-config');
    assert.equal(discovered.config.configRepoProvider, 'gitlab');
    assert.deepEqual(discovered.config.artifact, { repo: 'acme/platform/services/ledger', image: 'registry.gitlab.com/acme/ledger', build: 'pipeline' });

    const configs = await t.api('/api/repos/acme%2Fplatform%2Fgitlab-config/configs');
    assert.equal(configs.status, 200);
    assert.deepEqual(configs.body.configs.map((c: { name: string }) => c.name), ['ledger']);
    const detail = await t.api('/api/repos/acme%2Fplatform%2Fgitlab-config');
    assert.equal(detail.status, 200);
    assert.equal(detail.body.defaultBranch, 'main');
    const branches = await t.api('/api/repos/acme%2Fplatform%2Fgitlab-config/branches');
    assert.deepEqual(branches.body.items.map((b: { name: string; headSha: string }) => [b.name, b.headSha]), [['main', sha]]);
    const commit = await t.api(`/api/repos/acme%2Fplatform%2Fgitlab-config/commits/${sha}`);
    assert.equal(commit.status, 200);
  });

  it('the full-path routes answer precisely: 404 unknown, 400 a bad path, and owner/name routes still mean owner/name', async () => {
    const unknown = await t.api('/api/repos/acme%2Fplatform%2Fnothing/configs');
    assert.equal(unknown.status, 404);
    assert.match(unknown.body.error.message, /repository acme\/platform\/nothing is not in the catalogue/);
    const bad = await t.api('/api/repos/acme%2F%2Fx/configs');
    assert.equal(bad.status, 400);
    assert.match(bad.body.error.message, /^param\.path: a URL-encoded repository path/);
    const badSha = await t.api('/api/repos/acme%2Fplatform%2Fgitlab-config/commits/abc');
    assert.equal(badSha.status, 400);
    assert.match(badSha.body.error.message, /^param\.sha: a 40-character lowercase hex commit SHA/);
    // /api/repos/acme/configs is the repository acme/configs (unknown here), not the configs of "acme".
    const ownerName = await t.api('/api/repos/acme/configs');
    assert.equal(ownerName.status, 404);
    assert.match(ownerName.body.error.message, /repository acme\/configs is not in the catalogue/);
    // An owner/name request of a subgroup project cannot name it: its owner segment is not the group path.
    assert.equal((await t.api('/api/repos/acme/platform%2Fgitlab-config')).status, 400);
  });
});
