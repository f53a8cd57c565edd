import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { FakeGitLab } from '@sluice/fake-scm';
import { ScmClients } from '../clients';
import type { GitLabScm } from './gitlab-scm';
import { readerContract, type SeededBuildState } from '../reader-contract';

const PIPELINE_STATUS: Record<SeededBuildState, string> = { running: 'running', success: 'success', failed: 'failed', stopped: 'canceled' };

readerContract('GitLabScm against the fake GitLab (REST v4)', async () => {
  const gitlab = new FakeGitLab({ tokens: ['gl-token'] });
  await gitlab.start();
  gitlab.seed.project({ id: 77, path: 'acme/config', defaultBranch: 'main' });
  const scm = new ScmClients({ minWriteIntervalMs: 1 }).gitlabScm(`${gitlab.url}/api/v4`, 'gl-token');
  return {
    scm,
    fullName: 'acme/config',
    // The project's numeric id; private unless public.
    repository: { fullName: 'acme/config', id: 77, defaultBranch: 'main', private: true, archived: false },
    push: (branch, files, message) => gitlab.seed.push(77, { branch, files, message }),
    seedRepos: (count) =>
      Array.from({ length: count }, (_, i) => {
        gitlab.seed.project({ id: 1000 + i, path: `acme/service-${i}` });
        return `acme/service-${i}`;
      }),
    // Each state is a new pipeline (a re-run is one): the newest of a name is the build.
    build: (sha, name, state) => `${gitlab.webUrl({ path: 'acme/config' })}/-/pipelines/${gitlab.seed.pipeline(77, { sha, name, status: PIPELINE_STATUS[state] })}`,
    stop: () => gitlab.stop(),
  };
});

describe('GitLabScm: merge requests are read as pull requests', () => {
  const gitlab = new FakeGitLab({ tokens: ['gl-token'] });
  const head = 'c'.repeat(40);
  let scm: GitLabScm;

  before(async () => {
    await gitlab.start();
    scm = new ScmClients({ minWriteIntervalMs: 1 }).gitlabScm(`${gitlab.url}/api/v4`, 'gl-token');
    gitlab.seed.project({ id: 7, path: 'acme/app' });
    gitlab.seed.project({ id: 8, path: 'someone/app-fork' });
    gitlab.seed.mergeRequest(7, { iid: 1, sourceBranch: 'feature/a', sha: head });
    gitlab.seed.mergeRequest(7, { iid: 2, sourceBranch: 'fix', sha: head, sourceProject: 8, state: 'merged' });
    gitlab.seed.mergeRequest(7, { iid: 3, sourceBranch: 'gone', sha: head, sourceProject: 999, state: 'closed' });
  });
  after(() => gitlab.stop());

  it('opened is open, merged and closed are closed; the head repository is the source project (a fork, null when gone); an absent one is null', async () => {
    assert.deepEqual(await scm.getPullRequest('acme/app', 1), { number: 1, state: 'open', headRef: 'feature/a', headSha: head, headRepo: 'acme/app' });
    assert.deepEqual(await scm.getPullRequest('acme/app', 2), { number: 2, state: 'closed', headRef: 'fix', headSha: head, headRepo: 'someone/app-fork' });
    assert.deepEqual(await scm.getPullRequest('acme/app', 3), { number: 3, state: 'closed', headRef: 'gone', headSha: head, headRepo: null });
    assert.equal(await scm.getPullRequest('acme/app', 4), null);
    await assert.rejects(scm.getPullRequest('acme/app', 0), /positive integer/);
  });
});
