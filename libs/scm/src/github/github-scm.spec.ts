import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createAppCredentials, FakeGitHub } from '@sluice/fake-scm';
import { ScmNotFoundError } from '../errors';
import { GitHubScm } from './github-scm';

// Against FakeGitHub: an HTTP server answering with (and checking requests against) the
// shapes of GitHub's OpenAPI description.
describe('GitHubScm (token credentials)', () => {
  const fake = new FakeGitHub({ tokens: ['t0ken'] });
  let scm: GitHubScm;
  let head: string;

  before(async () => {
    await fake.start();
    scm = new GitHubScm({ baseUrl: fake.url, credentials: { kind: 'token', token: 't0ken' }, maxRetries: 3 });
    fake.seed.repo({ owner: 'acme', name: 'billing', defaultBranch: 'main' });
    fake.seed.commit('acme/billing', {
      message: 'first',
      files: {
        'README.md': '# billing',
        'deploy/billing-api/deploy.yaml': 'team: payments\nnamespace: payments\n',
        'deploy/billing-api/deployment.yaml': 'kind: Deployment\n',
        'deploy/worker/deploy.yaml': 'team: payments\n',
      },
      author: { name: 'Ada', email: 'ada@example.com' },
    });
    head = fake.seed.commit('acme/billing', { message: 'second', files: { 'src/x.ts': 'x' } });
    fake.seed.branch('acme/billing', 'feature/login', head);
    fake.seed.status('acme/billing', head, { state: 'success', context: 'ci/jenkins', target_url: 'https://ci.example.com/1' });
    fake.seed.checkRun('acme/billing', { head_sha: head, name: 'build', conclusion: 'success' });
    fake.seed.checkRun('acme/billing', { head_sha: head, name: 'lint', status: 'in_progress' });
  });
  after(() => fake.stop());

  it('reads a repository, its branches and a commit', async () => {
    const repo = await scm.getRepo('acme/billing');
    assert.equal(repo.fullName, 'acme/billing');
    assert.equal(repo.defaultBranch, 'main');
    const branches = await scm.listBranches('acme/billing');
    assert.deepEqual(branches.map((b) => b.name).sort(), ['feature/login', 'main']);
    assert.ok(branches.every((b) => b.sha === head));
    const commit = await scm.getCommit('acme/billing', head);
    assert.equal(commit.sha, head);
    assert.equal(commit.message, 'second');
  });

  it('reads combined statuses and check runs of a ref', async () => {
    const combined = await scm.getCombinedStatus('acme/billing', head);
    assert.equal(combined.state, 'success');
    assert.deepEqual(combined.statuses.map((s) => [s.context, s.state, s.targetUrl]), [['ci/jenkins', 'success', 'https://ci.example.com/1']]);
    const runs = await scm.listCheckRunsForRef('acme/billing', head);
    assert.deepEqual(runs.map((r) => [r.name, r.status, r.conclusion]).sort(), [
      ['build', 'completed', 'success'],
      ['lint', 'in_progress', null],
    ]);
  });

  it('reads a folder at a commit through trees and blobs; an absent folder is empty', async () => {
    const files = await scm.readTree('acme/billing', head, 'deploy', { include: (p) => p.endsWith('/deploy.yaml') });
    assert.deepEqual(files.map((f) => f.path), ['deploy/billing-api/deploy.yaml', 'deploy/billing-api/deployment.yaml', 'deploy/worker/deploy.yaml']);
    assert.equal(files[0].content, 'team: payments\nnamespace: payments\n');
    assert.equal(files[1].content, null, 'filtered files are listed, not read');
    assert.deepEqual(await scm.readTree('acme/billing', head, 'nope/deeper'), []);
    assert.equal(await scm.readFile('acme/billing', head, 'README.md'), '# billing');
    assert.equal(await scm.readFile('acme/billing', head, 'missing.md'), null);
  });

  it('lists the repositories a token can see', async () => {
    const repos = await scm.listInstallationRepos();
    assert.deepEqual(repos.map((r) => r.fullName), ['acme/billing']);
  });

  it('maps 404 to ScmNotFoundError', async () => {
    await assert.rejects(scm.getRepo('acme/nothing'), ScmNotFoundError);
  });

  it('retries an injected 5xx', async () => {
    fake.injectFailure({ status: 502, times: 1, path: /\/branches$/ });
    assert.equal((await scm.listBranches('acme/billing')).length, 2);
  });

  it('waits out a secondary rate limit (429 + retry-after) without sending anything meanwhile', async () => {
    fake.clearRequests();
    fake.injectRateLimit({ status: 429, retryAfterSeconds: 1, times: 1 });
    const started = Date.now();
    assert.equal((await scm.getRepo('acme/billing')).fullName, 'acme/billing');
    assert.ok(Date.now() - started >= 1000, 'it waited for retry-after');
    assert.deepEqual(fake.requestsWhileLimited(), []);
  });

  it('never overdraws the primary budget, even with concurrent calls', async () => {
    const limited = new FakeGitHub({ rateLimit: { limit: 5, windowSeconds: 1 } });
    await limited.start();
    try {
      limited.seed.repo({ owner: 'acme', name: 'r' });
      limited.seed.commit('acme/r', { message: 'm', files: { a: 'a' } });
      const client = new GitHubScm({ baseUrl: limited.url, credentials: { kind: 'token', token: 'x' } });
      const results = await Promise.all(Array.from({ length: 17 }, () => client.getRepo('acme/r')));
      assert.equal(results.length, 17);
      assert.deepEqual(limited.requestsWhileLimited(), []);
      assert.ok(client.rateLimitGate.waitedMs > 0, 'it had to wait for resets');
    } finally {
      await limited.stop();
    }
  });

  it('lists hook deliveries newest first and redelivers one', async () => {
    const failed = fake.seed.delivery('acme/billing', { hookId: 7, event: 'push', payload: { zen: 'x' }, status_code: 502 });
    fake.seed.delivery('acme/billing', { hookId: 7, event: 'push', payload: { zen: 'y' }, status_code: 200 });
    const list = await scm.listHookDeliveries({ kind: 'repo', repo: 'acme/billing', hookId: 7 }, null);
    assert.equal(list.length, 2);
    const bad = list.find((d) => d.guid === failed.guid)!;
    assert.equal(bad.statusCode, 502);
    await scm.redeliver({ kind: 'repo', repo: 'acme/billing', hookId: 7 }, bad.id);
    assert.equal(failed.attempts.length, 1);
  });

  it('compares two commits (compare API): ahead, behind, identical; no common history is ScmNotFoundError', async () => {
    const next = fake.seed.commit('acme/billing', { message: 'third', branch: 'compare', parents: [head], files: { 'src/y.ts': 'y' } });
    assert.deepEqual(await scm.compareCommits('acme/billing', head, next), { status: 'ahead', aheadBy: 1, behindBy: 0 });
    assert.deepEqual(await scm.compareCommits('acme/billing', next, head), { status: 'behind', aheadBy: 0, behindBy: 1 });
    assert.equal((await scm.compareCommits('acme/billing', head, head)).status, 'identical');
    const orphan = fake.seed.commit('acme/billing', { message: 'orphan', branch: 'orphan', parents: [], files: { z: 'z' } });
    await assert.rejects(scm.compareCommits('acme/billing', head, orphan), ScmNotFoundError);
  });
});

describe('GitHubScm (GitHub App credentials)', () => {
  const app = createAppCredentials(77);
  const fake = new FakeGitHub({ app: { appId: app.appId, publicKey: app.publicKey } });

  before(async () => {
    await fake.start();
    fake.seed.repo({ owner: 'acme', name: 'one' });
    fake.seed.repo({ owner: 'acme', name: 'two' });
    fake.seed.repo({ owner: 'other', name: 'hidden' });
    fake.seed.commit('acme/one', { message: 'm', files: { 'deploy/a/deploy.yaml': 'team: t\n' } });
    fake.seed.installation({ id: 11, account: 'acme', repositories: ['acme/one', 'acme/two'] });
  });
  after(() => fake.stop());

  it('lists installation repositories and reads through installation tokens', async () => {
    const scm = new GitHubScm({ baseUrl: fake.url, credentials: { kind: 'app', appId: String(app.appId), privateKey: app.privateKey } });
    const repos = await scm.listInstallationRepos();
    assert.deepEqual(repos.map((r) => r.fullName).sort(), ['acme/one', 'acme/two']);
    const head = fake.headOf('acme/one')!;
    const files = await scm.readTree('acme/one', head, 'deploy');
    assert.equal(files[0].content, 'team: t\n');
    const tokenRequests = fake.requests.filter((r) => /access_tokens$/.test(r.path));
    assert.equal(tokenRequests.length, 1, 'the installation token is cached');
  });
});
