// Test-only (not exported from index.ts): what config discovery needs of every provider's ScmReader, run against its fake.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { ScmNotFoundError } from './errors';
import type { ScmReader, ScmRepository, ScmStatus } from './port';

/** A build as CI reports it, in words every provider has (GitLab: a pipeline; Bitbucket: a build status). */
export type SeededBuildState = 'running' | 'success' | 'failed' | 'stopped';

export interface ReaderFixture {
  readonly scm: ScmReader;
  /** `owner/name` of a seeded repository whose default branch is `main` and has no commits yet. */
  readonly fullName: string;
  /** What `getRepo(fullName)` answers: the provider's id and visibility. */
  readonly repository: ScmRepository;
  /** Commits `files` (null deletes) onto `branch`, returns the sha. */
  push(branch: string, files: Record<string, string | null>, message: string): string;
  /** `count` more repositories the token can see; their names. */
  seedRepos(count: number): string[];
  /** A build of the commit named `name` now in `state` (a new run, or the same one moved on); its URL. */
  build(sha: string, name: string, state: SeededBuildState): string;
  stop(): Promise<void>;
}

/** The reads repo-sync's catalogue and config discovery make, checked against a provider's fake. */
export function readerContract(provider: string, start: () => Promise<ReaderFixture>): void {
  describe(`${provider}: the reads of config discovery`, () => {
    let f: ReaderFixture;
    const shas: Record<string, string> = {};

    before(async () => {
      f = await start();
      shas.first = f.push('main', { 'README.md': 'hi', 'deploy/billing/deploy.yaml': 'name: billing\n', 'deploy/billing/k8s/app.yaml': 'kind: Deployment\n' }, 'first');
      shas.second = f.push('main', { 'deploy/payments/deploy.yaml': 'name: payments\n', 'deploy/big/deploy.yaml': 'x'.repeat(3000) }, 'second');
      shas.feature = f.push('feature/x', {}, 'feature');
    });
    after(() => f?.stop());

    it('the repository, by its name', async () => {
      assert.deepEqual(await f.scm.getRepo(f.fullName), f.repository);
    });

    it('branches, one branch, and an absent one', async () => {
      assert.deepEqual(
        (await f.scm.listBranches(f.fullName)).sort((a, b) => a.name.localeCompare(b.name)),
        [
          { name: 'feature/x', sha: shas.feature },
          { name: 'main', sha: shas.second },
        ],
      );
      assert.deepEqual(await f.scm.getBranch(f.fullName, 'feature/x'), { name: 'feature/x', sha: shas.feature });
      assert.equal(await f.scm.getBranch(f.fullName, 'gone'), null);
      await assert.rejects(f.scm.getRepo(`${f.fullName}-nothing`), ScmNotFoundError);
    });

    it('a commit', async () => {
      const c = await f.scm.getCommit(f.fullName, shas.first!);
      assert.deepEqual([c.sha, c.message, c.authorName, c.authorEmail], [shas.first, 'first', 'Sluice Tester', 'tester@example.com']);
      await assert.rejects(f.scm.getCommit(f.fullName, 'f'.repeat(40)), ScmNotFoundError);
    });

    it('the files below deploy/ at a commit, filtered and size-capped; an absent folder is no files', async () => {
      const files = await f.scm.readTree(f.fullName, shas.second!, 'deploy', { include: (p) => p.endsWith('deploy.yaml'), maxFileBytes: 1000 });
      assert.deepEqual(
        files.map((x) => [x.path, x.content]).sort(),
        [
          ['deploy/big/deploy.yaml', null],
          ['deploy/billing/deploy.yaml', 'name: billing\n'],
          ['deploy/payments/deploy.yaml', 'name: payments\n'],
        ],
      );
      assert.equal((await f.scm.readTree(f.fullName, shas.first!, 'deploy')).length, 2);
      assert.deepEqual(await f.scm.readTree(f.fullName, shas.first!, 'nowhere'), []);
      assert.equal(await f.scm.readFile(f.fullName, shas.first!, 'deploy/billing/deploy.yaml'), 'name: billing\n');
      assert.equal(await f.scm.readFile(f.fullName, shas.first!, 'deploy/payments/deploy.yaml'), null);
    });

    it('lists every repository the token can see, across pages', async () => {
      const more = f.seedRepos(105);
      const listed = await f.scm.listInstallationRepos();
      assert.deepEqual(listed.find((r) => r.fullName === f.fullName), f.repository);
      assert.deepEqual(listed.map((r) => r.fullName).sort(), [f.fullName, ...more].sort());
    });

    it('the builds of a commit: the latest of each name, concluded as their webhooks conclude them', async () => {
      assert.deepEqual(await f.scm.getCombinedStatus(f.fullName, shas.feature!), { sha: shas.feature, state: 'pending', statuses: [] });
      const urls = { ci: f.build(shas.first!, 'ci', 'running'), lint: f.build(shas.first!, 'lint', 'success'), e2e: f.build(shas.first!, 'e2e', 'stopped') };
      // `run` (what orders a read against the webhooks' reports) is each provider's own; here: present, and as far as the state.
      const byName = (statuses: readonly ScmStatus[]) =>
        [...statuses]
          .sort((a, b) => a.context.localeCompare(b.context))
          .map(({ run, ...status }) => {
            assert.equal(run?.progress === 'completed', status.state !== 'pending', `${status.context}: run ${JSON.stringify(run)}`);
            return status;
          });
      const running = await f.scm.getCombinedStatus(f.fullName, shas.first!);
      assert.equal(running.sha, shas.first);
      assert.equal(running.state, 'failure');
      assert.deepEqual(byName(running.statuses), [
        { context: 'ci', state: 'pending', targetUrl: urls.ci },
        { context: 'e2e', state: 'error', targetUrl: urls.e2e, conclusion: 'cancelled' },
        { context: 'lint', state: 'success', targetUrl: urls.lint, conclusion: 'success' },
      ]);
      urls.ci = f.build(shas.first!, 'ci', 'failed');
      urls.e2e = f.build(shas.first!, 'e2e', 'success');
      const done = await f.scm.getCombinedStatus(f.fullName, shas.first!);
      assert.deepEqual(byName(done.statuses), [
        { context: 'ci', state: 'failure', targetUrl: urls.ci, conclusion: 'failure' },
        { context: 'e2e', state: 'success', targetUrl: urls.e2e, conclusion: 'success' },
        { context: 'lint', state: 'success', targetUrl: urls.lint, conclusion: 'success' },
      ]);
      assert.equal(done.state, 'failure');
      urls.ci = f.build(shas.first!, 'ci', 'success');
      assert.equal((await f.scm.getCombinedStatus(f.fullName, shas.first!)).state, 'success');
    });

    it('compares commits: ahead, behind, identical, diverged', async () => {
      assert.deepEqual(await f.scm.compareCommits(f.fullName, shas.first!, shas.second!), { status: 'ahead', aheadBy: 1, behindBy: 0 });
      assert.deepEqual(await f.scm.compareCommits(f.fullName, shas.second!, shas.first!), { status: 'behind', aheadBy: 0, behindBy: 1 });
      assert.deepEqual(await f.scm.compareCommits(f.fullName, shas.second!, shas.second!), { status: 'identical', aheadBy: 0, behindBy: 0 });
      const other = f.push('other', { a: 'b' }, 'unrelated');
      assert.equal((await f.scm.compareCommits(f.fullName, shas.second!, other)).status, 'diverged');
    });
  });
}
