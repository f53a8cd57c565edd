import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { BITBUCKET_EXAMPLE_FILES, BitbucketEventPayloads, bitbucketExamplePayload } from '@sluice/fake-scm';
import { eventsOf, reasonOf } from '../../webhooks/spec-support';
import { ASSUMED_MAIN_BRANCH, BITBUCKET_EVENTS, normaliseBitbucket } from './normalise';

const run = (event: string, payload: unknown, deliveryId = 'd-1') => normaliseBitbucket({ event, deliveryId, payload });
const A = 'a'.repeat(40);
const B = 'b'.repeat(40);
const C = 'c'.repeat(40);
const repo = { fullName: 'acme/config', mainBranch: 'main' };
const payloads = new BitbucketEventPayloads();

describe("normaliseBitbucket over Atlassian's examples", () => {
  it('has an example of each kind of normalised event', () => {
    for (const event of Object.keys(BITBUCKET_EXAMPLE_FILES)) assert.ok((BITBUCKET_EVENTS as readonly string[]).includes(event), event);
  });

  it('repo:push: one push per change, commits oldest first, with the repository by name (Bitbucket ids are UUIDs)', () => {
    const [e, ...rest] = eventsOf(run('repo:push', bitbucketExamplePayload('repo:push')));
    assert.equal(rest.length, 0);
    assert.equal(e!.type, 'scm.push.received');
    assert.deepEqual(e!.data.repo, { provider: 'bitbucket', id: null, fullName: 'team_name/repo_name', defaultBranch: ASSUMED_MAIN_BRANCH, private: true });
    assert.equal(e!.data.ref, 'refs/heads/name-of-branch');
    assert.equal(e!.data.before, '1e65c05c1d5171631d92438a13901ca7dae9618c');
    assert.equal(e!.data.after, '709d658dc5b6d6afcd46049c2f332ee3f515a67d');
    assert.deepEqual([e!.data.created, e!.data.deleted, e!.data.forced], [false, false, false]);
    assert.deepEqual((e!.data.headCommit as { sha: string; message: string }).message, 'new commit message\n');
    assert.deepEqual((e!.data.commits as Array<{ sha: string }>).map((c) => c.sha), ['03f4a7270240708834de475bcf21532d6134777e']);
    assert.equal(e!.data.pusher, 'Emma');
  });

  it('repo:commit_status_created/updated: a build started, then completed, its commit read from links.commit', () => {
    const [started] = eventsOf(run('repo:commit_status_created', bitbucketExamplePayload('repo:commit_status_created')));
    assert.equal(started!.type, 'scm.build.started');
    assert.equal(started!.data.sha, '9fec847784abb10b2fa567ee63b85bd238955d0e');
    assert.equal(started!.data.buildName, 'Unit Tests (Python)');
    assert.equal(started!.data.source, 'status');
    assert.deepEqual(started!.data.run, { id: null, attempt: null, progress: 'in_progress', startedAt: '2015-11-19T20:37:35.547Z', updatedAt: '2015-11-19T20:37:35.547Z' });
    const [done] = eventsOf(run('repo:commit_status_updated', bitbucketExamplePayload('repo:commit_status_updated')));
    assert.equal(done!.type, 'scm.build.completed');
    assert.equal(done!.data.conclusion, 'success');
    assert.equal(done!.data.url, 'https://my-build-tool.com/builds/MY-PROJECT/BUILD-792');
    assert.equal((done!.data.run as { updatedAt: string }).updatedAt, '2015-11-20T08:01:16.433Z');
  });

  it('pullrequest:created as Bitbucket sends it (abbreviated hashes) is ignored, saying why', () => {
    assert.match(reasonOf(run('pullrequest:created', bitbucketExamplePayload('pullrequest:created'))), /abbreviated hash/);
  });

  it("pullrequest:created with its source hash expanded (webhook-ingest's ResolveShortHashes): opened, with the full SHA and the example's branches", () => {
    const p = bitbucketExamplePayload<{ pullrequest: { source: { commit: { hash: string } } } }>('pullrequest:created');
    const full = `${p.pullrequest.source.commit.hash}${'0'.repeat(28)}`;
    p.pullrequest.source.commit.hash = full;
    const [e, ...rest] = eventsOf(run('pullrequest:created', p));
    assert.equal(rest.length, 0);
    assert.equal(e!.type, 'scm.pull-request.changed');
    assert.deepEqual(
      { ...e!.data, repo: undefined },
      { deliveryId: 'd-1', repo: undefined, action: 'opened', number: 1, headSha: full, headRef: 'branch2', baseRef: 'master', merged: false },
    );
    assert.deepEqual(e!.data.repo, { provider: 'bitbucket', id: null, fullName: 'team_name/repo_name', defaultBranch: ASSUMED_MAIN_BRANCH, private: true });
  });
});

describe("normaliseBitbucket over the fake's payloads", () => {
  it('a new branch is a push and scm.ref.created; a deleted one scm.ref.deleted with no head commit', () => {
    const created = eventsOf(run('repo:push', payloads.push(repo, { branch: 'feature', before: null, after: { sha: A }, commits: [{ sha: A }] }).payload));
    assert.deepEqual(created.map((e) => e.type), ['scm.push.received', 'scm.ref.created']);
    assert.equal(created[0]!.data.before, '0'.repeat(40));
    const deleted = eventsOf(run('repo:push', payloads.push(repo, { branch: 'feature', before: { sha: A }, after: null }).payload));
    assert.deepEqual(deleted.map((e) => e.type), ['scm.push.received', 'scm.ref.deleted']);
    assert.deepEqual([deleted[0]!.data.deleted, deleted[0]!.data.headCommit, deleted[1]!.data.ref], [true, null, 'feature']);
  });

  it('a tag push, a forced push, the main branch when the delivery names it, and authors from the raw line', () => {
    const [tag] = eventsOf(run('repo:push', payloads.push(repo, { tag: 'v1.2', before: null, after: { sha: A } }).payload));
    assert.deepEqual([tag!.data.refType, tag!.data.name], ['tag', 'v1.2']);
    const [forced] = eventsOf(run('repo:push', payloads.push({ ...repo, mainBranch: 'trunk' }, { branch: 'trunk', before: { sha: A }, after: { sha: B, author: 'Ada <ada@example.com>' }, forced: true }).payload));
    assert.equal(forced!.data.forced, true);
    assert.equal((forced!.data.repo as { defaultBranch: string }).defaultBranch, 'trunk');
    assert.deepEqual([(forced!.data.headCommit as { authorName: string }).authorName, (forced!.data.headCommit as { authorEmail: string }).authorEmail], ['Ada', 'ada@example.com']);
  });

  it('build states: FAILED is a failure, STOPPED cancelled; refname is the branch', () => {
    const status = (state: 'FAILED' | 'STOPPED') => eventsOf(run('repo:commit_status_updated', payloads.commitStatus(repo, { sha: A, key: 'ci', state, refname: 'main', updated: true }).payload))[0]!;
    assert.deepEqual([status('FAILED').data.conclusion, status('FAILED').data.branch], ['failure', 'main']);
    assert.equal(status('STOPPED').data.conclusion, 'cancelled');
  });

  it('pull requests with full hashes: created opened, updated synchronize, fulfilled merged, rejected closed', () => {
    const pr = (event: 'pullrequest:created' | 'pullrequest:updated' | 'pullrequest:fulfilled' | 'pullrequest:rejected') =>
      eventsOf(run(event, payloads.pullRequest(repo, { id: 3, event, sourceBranch: 'feature', headSha: B, baseSha: C, fullHashes: true }).payload))[0]!.data;
    assert.deepEqual({ ...pr('pullrequest:created'), repo: undefined }, { deliveryId: 'd-1', repo: undefined, action: 'opened', number: 3, headSha: B, headRef: 'feature', baseRef: 'main', merged: false });
    assert.equal(pr('pullrequest:updated').action, 'synchronize');
    assert.deepEqual([pr('pullrequest:fulfilled').action, pr('pullrequest:fulfilled').merged], ['closed', true]);
    assert.deepEqual([pr('pullrequest:rejected').action, pr('pullrequest:rejected').merged], ['closed', false]);
  });

  it('ignores, naming why: other events, a payload without a needed field, a status without its commit', () => {
    assert.match(reasonOf(run('repo:fork', {})), /not used by Sluice/);
    assert.match(reasonOf(run('repo:push', { repository: { full_name: 'a/b' } })), /payload not understood: push/);
    const noCommit = bitbucketExamplePayload<{ commit_status: { links: unknown } }>('repo:commit_status_created');
    noCommit.commit_status.links = {};
    assert.match(reasonOf(run('repo:commit_status_created', noCommit)), /no full commit hash/);
  });
});
