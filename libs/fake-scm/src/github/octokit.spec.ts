import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { FakeGitHub } from './fake-github';
import { retry } from '@octokit/plugin-retry';
import { throttling } from '@octokit/plugin-throttling';
import { Octokit } from '@octokit/rest';


describe('FakeGitHub with @octokit/rest', () => {
  const gh = new FakeGitHub({ tokens: ['ghp_octo'] });
  let octokit: InstanceType<typeof Octokit>;
  let head: string;

  before(async () => {
    const { url } = await gh.start();
    octokit = new Octokit({ baseUrl: url, auth: 'ghp_octo' });
    gh.seed.repo({ owner: 'acme', name: 'config' });
    head = gh.seed.commit('acme/config', { message: 'add billing', files: { 'deploy/billing-api/deploy.yaml': 'team: payments\n' } });
    for (let i = 0; i < 35; i++) gh.seed.branch('acme/config', `release-${i}`, head);
  });
  after(async () => {
    await gh.stop();
  });

  it('reads the repository, a branch and the tree', async () => {
    const { data: repo } = await octokit.rest.repos.get({ owner: 'acme', repo: 'config' });
    assert.equal(repo.default_branch, 'main');
    const { data: branch } = await octokit.rest.repos.getBranch({ owner: 'acme', repo: 'config', branch: 'main' });
    assert.equal(branch.commit.sha, head);
    const { data: tree } = await octokit.rest.git.getTree({ owner: 'acme', repo: 'config', tree_sha: head, recursive: 'true' });
    assert.ok(tree.tree.some((e) => e.path === 'deploy/billing-api/deploy.yaml'));
  });

  it('paginates branches through the Link header', async () => {
    const branches = await octokit.paginate(octokit.rest.repos.listBranches, { owner: 'acme', repo: 'config', per_page: 10 });
    assert.equal(branches.length, 36);
  });

  it('creates a commit status and reads the combined status', async () => {
    await octokit.rest.repos.createCommitStatus({ owner: 'acme', repo: 'config', sha: head, state: 'success', context: 'sluice/deploy' });
    const { data } = await octokit.rest.repos.getCombinedStatusForRef({ owner: 'acme', repo: 'config', ref: head });
    assert.equal(data.state, 'success');
    assert.equal(gh.statuses('acme/config', head)[0].context, 'sluice/deploy');
  });

  it('surfaces a 422 as a RequestError with the validation errors', async () => {
    await assert.rejects(
      octokit.request('POST /repos/{owner}/{repo}/statuses/{sha}', { owner: 'acme', repo: 'config', sha: head, state: 'green' as never }),
      (e: { status: number; response: { data: { message: string } } }) => e.status === 422 && e.response.data.message === 'Validation Failed',
    );
  });

  it('the retry and throttling plugins recover from a 502 and a secondary limit', async () => {
    const Throttled = Octokit.plugin(retry, throttling);
    let limited = 0;
    const client = new Throttled({
      baseUrl: gh.url,
      auth: 'ghp_octo',
      retry: { retryAfterBaseValue: 10 },
      throttle: {
        onRateLimit: () => true,
        onSecondaryRateLimit: () => {
          limited += 1;
          return true;
        },
      },
    });
    gh.injectFailure({ status: 502, times: 1, path: /\/repos\/acme\/config$/ });
    const { data } = await client.rest.repos.get({ owner: 'acme', repo: 'config' });
    assert.equal(data.name, 'config');
    gh.injectRateLimit({ status: 403, retryAfterSeconds: 1, times: 1 });
    const before = gh.requests.length;
    await client.rest.repos.get({ owner: 'acme', repo: 'config' });
    assert.equal(limited, 1);
    assert.equal(gh.requests.length - before, 2);
    assert.deepEqual(gh.requestsWhileLimited(), [], 'octokit waited for retry-after');
  });
});
