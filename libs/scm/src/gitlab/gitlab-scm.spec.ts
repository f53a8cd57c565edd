import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { FakeGitLab } from '@sluice/fake-scm';
import { ScmClients } from '../clients';
import { ScmNotFoundError } from '../errors';
import type { GitLabScm } from './gitlab-scm';

describe('GitLabScm against the fake GitLab (REST v4)', () => {
  const gitlab = new FakeGitLab({ tokens: ['gl-token'] });
  let scm: GitLabScm;
  const shas: Record<string, string> = {};

  before(async () => {
    await gitlab.start();
    gitlab.seed.project({ id: 77, path: 'acme/config', defaultBranch: 'main' });
    shas.first = gitlab.seed.push(77, { files: { 'README.md': 'hi', 'deploy/billing/deploy.yaml': 'name: billing\n', 'deploy/billing/k8s/app.yaml': 'kind: Deployment\n' }, message: 'first' });
    shas.second = gitlab.seed.push(77, { files: { 'deploy/payments/deploy.yaml': 'name: payments\n', 'deploy/big/deploy.yaml': 'x'.repeat(3000) }, message: 'second' });
    shas.feature = gitlab.seed.push(77, { branch: 'feature/x', files: {}, message: 'feature' });
    scm = new ScmClients({ minWriteIntervalMs: 1 }).gitlabScm(`${gitlab.url}/api/v4`, 'gl-token');
  });
  after(() => gitlab.stop());

  it('reads the project, its branches (paged) and one branch', async () => {
    assert.deepEqual(await scm.getRepo('acme/config'), { fullName: 'acme/config', id: 77, defaultBranch: 'main', private: true, archived: false });
    assert.deepEqual(await scm.listBranches('acme/config'), [
      { name: 'feature/x', sha: shas.feature },
      { name: 'main', sha: shas.second },
    ]);
    assert.deepEqual(await scm.getBranch('acme/config', 'feature/x'), { name: 'feature/x', sha: shas.feature });
    assert.equal(await scm.getBranch('acme/config', 'gone'), null);
    await assert.rejects(scm.getRepo('acme/nothing'), ScmNotFoundError);
  });

  it('reads a commit', async () => {
    const c = await scm.getCommit('acme/config', shas.first!);
    assert.deepEqual([c.sha, c.message, c.authorName, c.authorEmail], [shas.first, 'first', 'Sluice Tester', 'tester@example.com']);
    await assert.rejects(scm.getCommit('acme/config', 'f'.repeat(40)), ScmNotFoundError);
  });

  it('reads the files below deploy/ at a commit, filtered and size-capped; an absent folder is no files', async () => {
    const files = await scm.readTree('acme/config', shas.second!, 'deploy', { include: (p) => p.endsWith('deploy.yaml'), maxFileBytes: 1000 });
    assert.deepEqual(
      files.map((f) => [f.path, f.content]).sort(),
      [
        ['deploy/big/deploy.yaml', null],
        ['deploy/billing/deploy.yaml', 'name: billing\n'],
        ['deploy/payments/deploy.yaml', 'name: payments\n'],
      ],
    );
    assert.equal((await scm.readTree('acme/config', shas.first!, 'deploy')).length, 2);
    assert.deepEqual(await scm.readTree('acme/config', shas.first!, 'nowhere'), []);
    assert.equal(await scm.readFile('acme/config', shas.first!, 'deploy/billing/deploy.yaml'), 'name: billing\n');
    assert.equal(await scm.readFile('acme/config', shas.first!, 'deploy/payments/deploy.yaml'), null);
  });

  it('compares commits: ahead, behind, identical, diverged', async () => {
    assert.deepEqual(await scm.compareCommits('acme/config', shas.first!, shas.second!), { status: 'ahead', aheadBy: 1, behindBy: 0 });
    assert.deepEqual(await scm.compareCommits('acme/config', shas.second!, shas.first!), { status: 'behind', aheadBy: 0, behindBy: 1 });
    assert.deepEqual(await scm.compareCommits('acme/config', shas.second!, shas.second!), { status: 'identical', aheadBy: 0, behindBy: 0 });
    const other = gitlab.seed.push(77, { branch: 'other', files: { a: 'b' } });
    assert.equal((await scm.compareCommits('acme/config', shas.second!, other)).status, 'diverged');
  });
});
