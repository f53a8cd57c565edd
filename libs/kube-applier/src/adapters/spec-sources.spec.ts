import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { FakeBitbucket, FakeGitHub, FakeGitLab } from '@sluice/fake-scm';
import { GitHubScm, ScmClients } from '@sluice/scm';
import { SpecSourceError, type SpecSource } from '../application/ports';
import { ScmSpecSource } from './scm-spec-source';
import { CachingSpecSource, InMemorySpecSource, ProviderSpecSource } from './spec-sources';

describe('CachingSpecSource', () => {
  it('reads a (repo, sha, path) once, shares concurrent reads, and does not cache failures', async () => {
    const inner = new InMemorySpecSource().put('a/b', 'c1', [{ path: 'deploy/x/a.yaml', content: 'x' }]);
    const cached = new CachingSpecSource(inner);
    await Promise.all([cached.read('a/b', 'c1', 'deploy/x'), cached.read('a/b', 'c1', 'deploy/x')]);
    await cached.read('a/b', 'c1', 'deploy/x');
    assert.equal(inner.reads, 1);
    await assert.rejects(cached.read('a/b', 'nope', 'deploy/x'), SpecSourceError);
    await assert.rejects(cached.read('a/b', 'nope', 'deploy/x'), SpecSourceError);
    assert.equal(inner.reads, 3);
  });

  it('keys by provider: the same name on GitLab is another repository', async () => {
    const asked: string[] = [];
    const inner: SpecSource = { read: async (repo, _sha, _path, provider) => (asked.push(`${provider}:${repo}`), []) };
    const cached = new CachingSpecSource(inner);
    await cached.read('a/b', 'c1', 'deploy/x');
    await cached.read('a/b', 'c1', 'deploy/x', 'github');
    await cached.read('a/b', 'c1', 'deploy/x', 'gitlab');
    await cached.read('a/b', 'c1', 'deploy/x', 'gitlab');
    assert.deepEqual(asked, ['github:a/b', 'gitlab:a/b']);
  });

  it('evicts the least recently used entry beyond its bound', async () => {
    let reads = 0;
    const inner: SpecSource = { read: async () => (reads++, []) };
    const cached = new CachingSpecSource(inner, 2);
    await cached.read('r', '1', 'p');
    await cached.read('r', '2', 'p');
    await cached.read('r', '1', 'p'); // 1 is now the most recent
    await cached.read('r', '3', 'p'); // evicts 2
    await cached.read('r', '1', 'p');
    assert.equal(reads, 3);
    await cached.read('r', '2', 'p');
    assert.equal(reads, 4);
  });
});

describe('ScmSpecSource on (fake) GitHub', () => {
  const github = new FakeGitHub({ tokens: ['t0ken'] });
  let source: ScmSpecSource;
  let sha: string;

  before(async () => {
    await github.start();
    github.seed.repo({ owner: 'acme', name: 'config' });
    sha = github.seed.commit('acme/config', {
      message: 'configs',
      files: {
        'deploy/web/deploy.yaml': 'team: x',
        'deploy/web/app.yaml': 'kind: A',
        'deploy/web/svc.yml': 'kind: B',
        'deploy/web/README.md': '# no',
        'deploy/web/sub/deep.yaml': 'kind: C',
        'deploy/webby/other.yaml': 'kind: D',
        'deploy/kust/kustomization.yaml': 'resources: [base]',
        'deploy/kust/app.properties': 'mode=live',
        'deploy/kust/base/kustomization.yaml': 'resources: [d.yaml]',
        'deploy/kust/base/d.yaml': 'kind: E',
        'deploy/chart/deploy.yaml': 'team: x\nhelm: { chart: c, path: c }',
        'deploy/chart/c/Chart.yaml': 'name: c',
        'deploy/chart/c/templates/_helpers.tpl': '{{/* */}}',
      },
    });
    source = new ScmSpecSource(new GitHubScm({ baseUrl: github.url, credentials: { kind: 'token', token: 't0ken' } }));
  });
  after(() => github.stop());

  it("reads the folder's own yaml files at the commit", async () => {
    const files = await source.read('acme/config', sha, 'deploy/web');
    assert.deepEqual(files.map((f) => f.path).sort(), ['deploy/web/app.yaml', 'deploy/web/deploy.yaml', 'deploy/web/svc.yml']);
    assert.equal(files.find((f) => f.path.endsWith('app.yaml'))!.content, 'kind: A');
  });

  it("reads a Kustomize or Helm config's whole folder, subfolders and every file type included", async () => {
    const kust = await source.read('acme/config', sha, 'deploy/kust');
    assert.deepEqual(kust.map((f) => f.path).sort(), ['deploy/kust/app.properties', 'deploy/kust/base/d.yaml', 'deploy/kust/base/kustomization.yaml', 'deploy/kust/kustomization.yaml']);
    const chart = await source.read('acme/config', sha, 'deploy/chart');
    assert.deepEqual(chart.map((f) => f.path).sort(), ['deploy/chart/c/Chart.yaml', 'deploy/chart/c/templates/_helpers.tpl', 'deploy/chart/deploy.yaml']);
    assert.equal(chart.find((f) => f.path.endsWith('_helpers.tpl'))!.content, '{{/* */}}');
  });

  it('a missing folder, commit or repository is a SpecSourceError', async () => {
    await assert.rejects(source.read('acme/config', sha, 'deploy/nope'), SpecSourceError);
    await assert.rejects(source.read('acme/config', 'f'.repeat(40), 'deploy/web'), SpecSourceError);
    await assert.rejects(source.read('acme/missing', sha, 'deploy/web'), SpecSourceError);
  });
});

describe('ProviderSpecSource: each config repository through its provider (fake GitLab and Bitbucket)', () => {
  const gitlab = new FakeGitLab({ tokens: ['gl-token'] });
  const bitbucket = new FakeBitbucket({ tokens: ['bb-token'] });
  const files = { 'deploy/web/deploy.yaml': 'team: x', 'deploy/web/app.yaml': 'kind: A', 'README.md': 'hi' };
  let glSha: string;
  let bbSha: string;
  let source: ProviderSpecSource;

  before(async () => {
    await Promise.all([gitlab.start(), bitbucket.start()]);
    gitlab.seed.project({ id: 91, path: 'acme/config', defaultBranch: 'main' });
    glSha = gitlab.seed.push(91, { branch: 'main', files, message: 'web' });
    bitbucket.seed.repo({ workspace: 'acme', slug: 'config', mainBranch: 'main' });
    bbSha = bitbucket.seed.push('acme/config', { branch: 'main', files: { ...files, 'deploy/web/app.yaml': 'kind: B' }, message: 'web' });
    const clients = new ScmClients({ minWriteIntervalMs: 1 });
    source = new ProviderSpecSource({
      github: { read: async () => assert.fail('GitHub asked for a GitLab or Bitbucket repository') },
      gitlab: new ScmSpecSource(clients.gitlabScm(`${gitlab.url}/api/v4`, 'gl-token')),
      bitbucket: new ScmSpecSource(clients.bitbucketScm(`${bitbucket.url}/2.0`, 'bb-token')),
    });
  });
  after(() => Promise.all([gitlab.stop(), bitbucket.stop()]));

  it("reads the folder's yaml files through the repository's provider", async () => {
    const gl = await source.read('acme/config', glSha, 'deploy/web', 'gitlab');
    assert.deepEqual(gl.map((f) => [f.path, f.content]).sort(), [['deploy/web/app.yaml', 'kind: A'], ['deploy/web/deploy.yaml', 'team: x']]);
    const bb = await source.read('acme/config', bbSha, 'deploy/web', 'bitbucket');
    assert.deepEqual(bb.map((f) => [f.path, f.content]).sort(), [['deploy/web/app.yaml', 'kind: B'], ['deploy/web/deploy.yaml', 'team: x']]);
    await assert.rejects(source.read('acme/config', glSha, 'deploy/nope', 'gitlab'), SpecSourceError);
  });

  it('a provider without credentials is a SpecSourceError naming its setting', async () => {
    const none = new ProviderSpecSource({});
    await assert.rejects(none.read('acme/config', glSha, 'deploy/web', 'gitlab'), (err: Error) => err instanceof SpecSourceError && /GITLAB_TOKEN/.test(err.message));
    await assert.rejects(none.read('acme/config', bbSha, 'deploy/web', 'bitbucket'), (err: Error) => err instanceof SpecSourceError && /BITBUCKET_TOKEN/.test(err.message));
    await assert.rejects(none.read('acme/config', bbSha, 'deploy/web'), (err: Error) => err instanceof SpecSourceError && /GITHUB_TOKEN/.test(err.message));
  });
});
