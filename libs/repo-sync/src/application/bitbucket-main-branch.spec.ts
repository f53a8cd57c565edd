import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { RepoRef } from '@sluice/contracts';
import { FakeBitbucket } from '@sluice/fake-scm';
import { ScmClients } from '@sluice/scm';
import { BitbucketMainBranch } from './bitbucket-main-branch';

const TOKEN = 'bb-main-branch-spec-token';
const ref = (fullName: string, defaultBranch = 'main', provider: RepoRef['provider'] = 'bitbucket'): RepoRef => ({ provider, id: null, fullName, defaultBranch, private: true });

describe('BitbucketMainBranch (against the fake Bitbucket API)', () => {
  const bitbucket = new FakeBitbucket({ tokens: [TOKEN] });
  let now = 0;
  let learner: BitbucketMainBranch;

  before(async () => {
    await bitbucket.start();
    bitbucket.seed.repo({ workspace: 'acme', slug: 'legacy', mainBranch: 'master' });
    bitbucket.seed.repo({ workspace: 'acme', slug: 'modern', mainBranch: 'main' });
    const clients = new ScmClients({ retry: { attempts: 2, baseDelayMs: 1, maxDelayMs: 5 } });
    const reader = clients.bitbucketScm(`${bitbucket.url}/2.0`, TOKEN);
    learner = new BitbucketMainBranch((provider) => (provider === 'bitbucket' ? reader : null), { ttlMs: 1000, now: () => now });
  });
  after(() => bitbucket.stop());

  const repoReads = () => bitbucket.requests.filter((r) => /^\/2\.0\/repositories\/acme\/[a-z]+$/.test(r.path)).length;

  it("reads an assumed `main` from the API: a new repository whose main branch is master is master", async () => {
    bitbucket.clearRequests();
    assert.equal((await learner.of(ref('acme/legacy'), null)).defaultBranch, 'master');
    assert.equal(repoReads(), 1);
  });

  it('keeps the answer for the TTL, then asks again', async () => {
    bitbucket.clearRequests();
    assert.equal((await learner.of(ref('acme/legacy'), 'master')).defaultBranch, 'master');
    assert.equal(repoReads(), 0);
    now += 1000;
    assert.equal((await learner.of(ref('acme/legacy'), 'master')).defaultBranch, 'master');
    assert.equal(repoReads(), 1);
  });

  it('asks nothing when the event names another branch, the catalogue records main, or the repository is not on Bitbucket', async () => {
    bitbucket.clearRequests();
    const named = ref('acme/modern', 'develop');
    assert.equal(await learner.of(named, null), named);
    const recorded = ref('acme/modern');
    assert.equal(await learner.of(recorded, 'main'), recorded);
    const onGitLab = { ...ref('acme/legacy'), provider: 'gitlab' as const, id: 7 };
    assert.equal(await learner.of(onGitLab, null), onGitLab);
    assert.equal(bitbucket.requests.length, 0);
  });

  it('a repository whose main branch is main stays main', async () => {
    const repo = ref('acme/modern');
    assert.equal(await learner.of(repo, null), repo);
  });

  it('without a Bitbucket reader the event is taken at its word', async () => {
    const repo = ref('acme/legacy');
    assert.equal(await new BitbucketMainBranch(() => null).of(repo, 'master'), repo);
  });

  it('a repository the API does not show keeps what the catalogue recorded; a lasting 5xx is thrown for the consumer to retry', async () => {
    assert.equal((await learner.of(ref('acme/gone'), 'trunk')).defaultBranch, 'trunk');
    assert.equal((await learner.of(ref('acme/gone'), null)).defaultBranch, 'main');
    bitbucket.injectFailure({ status: 503, times: 2, path: /\/acme\/ghost$/ });
    await assert.rejects(learner.of(ref('acme/ghost'), null), /503/);
  });
});
