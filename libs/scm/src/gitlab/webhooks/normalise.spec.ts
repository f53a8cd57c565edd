import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { GITLAB_EXAMPLE_FILES, GitLabEventPayloads, gitlabExamplePayload, type GitLabExampleEvent } from '@sluice/fake-scm';
import { latestVersion, schemaOf, type EventType, type RepoRef } from '@sluice/contracts';
import { eventsOf, reasonOf } from '../../webhooks/spec-support';
import { GITLAB_EVENTS, normaliseGitLab } from './normalise';

const run = (event: string, payload: unknown, deliveryId = 'd-1') => normaliseGitLab({ event, deliveryId, payload });
const ZERO = '0'.repeat(40);
const A = 'a'.repeat(40);
const B = 'b'.repeat(40);
const project = { id: 4242, path: 'acme/config', defaultBranch: 'main' };
const payloads = new GitLabEventPayloads();

describe('normaliseGitLab over GitLab\'s published examples', () => {
  it('has an example for every normalised event, and every example normalises into valid events', () => {
    assert.deepEqual(Object.keys(GITLAB_EXAMPLE_FILES).sort(), [...GITLAB_EVENTS].sort());
    for (const event of GITLAB_EVENTS) {
      const events = eventsOf(run(event, gitlabExamplePayload(event as GitLabExampleEvent)));
      assert.ok(events.length > 0, event);
      for (const e of events) assert.equal((e.data.repo as { provider: string }).provider, 'gitlab');
    }
  });

  it('Push Hook: the branch push, its head commit, its commits oldest first and who pushed', () => {
    const [e, ...rest] = eventsOf(run('Push Hook', gitlabExamplePayload('Push Hook')));
    assert.equal(rest.length, 0);
    assert.equal(e!.type, 'scm.push.received');
    assert.deepEqual(e!.data.repo, { provider: 'gitlab', id: 15, fullName: 'mike/diaspora', defaultBranch: 'master', private: true });
    assert.equal(e!.data.ref, 'refs/heads/master');
    assert.equal(e!.data.refType, 'branch');
    assert.equal(e!.data.name, 'master');
    assert.equal(e!.data.before, '95790bf891e76fee5e1747ab589903a6a1f80f22');
    assert.equal(e!.data.after, 'da1560886d4f094c3e6c9ef40349f7d38b5d27d7');
    assert.deepEqual([e!.data.created, e!.data.deleted, e!.data.forced], [false, false, false]);
    assert.deepEqual(e!.data.headCommit, { sha: 'da1560886d4f094c3e6c9ef40349f7d38b5d27d7', message: 'fixed readme', authorName: 'GitLab dev user', authorEmail: 'gitlabdev@dv6700.(none)', timestamp: '2012-01-03T23:36:29+02:00' });
    assert.deepEqual((e!.data.commits as Array<{ sha: string }>).map((c) => c.sha), ['b6568db1bc1dcd7f8b4d5a946b0b91f9dacd7327', 'da1560886d4f094c3e6c9ef40349f7d38b5d27d7']);
    assert.equal(e!.data.pusher, 'jsmith');
  });

  it('Tag Push Hook: a new tag is a tag push and scm.ref.created', () => {
    const events = eventsOf(run('Tag Push Hook', gitlabExamplePayload('Tag Push Hook')));
    assert.deepEqual(events.map((e) => e.type), ['scm.push.received', 'scm.ref.created']);
    assert.equal(events[0]!.data.refType, 'tag');
    assert.equal(events[0]!.data.name, 'v1.0.0');
    assert.equal(events[0]!.data.created, true);
    assert.deepEqual(events[1]!.data, { deliveryId: 'd-1', repo: events[0]!.data.repo, refType: 'tag', ref: 'v1.0.0' });
  });

  it('Pipeline Hook: a finished pipeline is scm.build.completed with its url and run', () => {
    const [e] = eventsOf(run('Pipeline Hook', gitlabExamplePayload('Pipeline Hook')));
    assert.equal(e!.type, 'scm.build.completed');
    assert.equal(e!.data.conclusion, 'success');
    assert.equal(e!.data.sha, 'bcbb5ec396a2c0f828686f14fac9b80b780504f2');
    assert.equal(e!.data.branch, 'master');
    assert.equal(e!.data.buildName, 'Pipeline for branch: master');
    assert.equal(e!.data.source, 'workflow_run');
    assert.equal(e!.data.url, 'http://example.com/gitlab-org/gitlab-test/-/pipelines/31');
    assert.deepEqual(e!.data.run, { id: 31, attempt: null, progress: 'completed', startedAt: '2016-08-12T15:23:28.000Z', updatedAt: '2016-08-12T15:26:29.000Z' });
    assert.equal((e!.data.repo as { private: boolean }).private, false);
  });

  it('Merge Request Hook: open is a pull request opened, by its iid, head and branches', () => {
    const [e] = eventsOf(run('Merge Request Hook', gitlabExamplePayload('Merge Request Hook')));
    assert.equal(e!.type, 'scm.pull-request.changed');
    assert.deepEqual({ ...e!.data, repo: undefined }, {
      deliveryId: 'd-1',
      repo: undefined,
      action: 'opened',
      number: 1,
      headSha: 'da1560886d4f094c3e6c9ef40349f7d38b5d27d7',
      headRef: 'ms-viewport',
      baseRef: 'master',
      merged: false,
    });
  });
});

describe('normaliseGitLab over the fake\'s payloads', () => {
  it('a deleted branch is a push to zeros with no head commit, and scm.ref.deleted', () => {
    const { event, payload } = payloads.push(project, { branch: 'feature', before: A, after: ZERO });
    const events = eventsOf(run(event, payload));
    assert.deepEqual(events.map((e) => e.type), ['scm.push.received', 'scm.ref.deleted']);
    assert.equal(events[0]!.data.deleted, true);
    assert.equal(events[0]!.data.headCommit, null);
    assert.deepEqual(events[1]!.data.ref, 'feature');
  });

  it('a new branch is a push and scm.ref.created; a deleted tag is scm.ref.deleted of the tag', () => {
    const created = eventsOf(run(...(Object.values(payloads.push(project, { branch: 'feature', after: A, commits: [{ sha: A }] })) as [string, unknown])));
    assert.deepEqual(created.map((e) => e.type), ['scm.push.received', 'scm.ref.created']);
    const tag = eventsOf(run(...(Object.values(payloads.push(project, { tag: 'v2', before: A, after: ZERO })) as [string, unknown])));
    assert.deepEqual(tag.map((e) => [e.type, e.data.refType]), [['scm.push.received', 'tag'], ['scm.ref.deleted', 'tag']]);
  });

  it('pipeline statuses: waiting and running are started, failed and canceled are completed', () => {
    const status = (s: string) => eventsOf(run('Pipeline Hook', payloads.pipeline(project, { sha: A, status: s }).payload))[0]!;
    assert.deepEqual([status('pending').type, (status('pending').data.run as { progress: string }).progress], ['scm.build.started', 'queued']);
    assert.deepEqual([status('running').type, (status('running').data.run as { progress: string }).progress], ['scm.build.started', 'in_progress']);
    assert.equal(status('failed').data.conclusion, 'failure');
    assert.equal(status('canceled').data.conclusion, 'cancelled');
    const tagged = eventsOf(run('Pipeline Hook', payloads.pipeline(project, { sha: A, status: 'success', ref: 'v1', tag: true, name: null }).payload))[0]!;
    assert.deepEqual([tagged.data.branch, tagged.data.buildName], [null, 'pipeline']);
  });

  it('merge requests: merge is closed and merged, update with new commits is synchronize, other updates are ignored', () => {
    const mr = (action: 'merge' | 'close' | 'update' | 'approved' | 'reopen', oldrev?: string) => run('Merge Request Hook', payloads.mergeRequest(project, { iid: 7, action, sourceBranch: 'feature', headSha: B, oldrev }).payload);
    assert.deepEqual(eventsOf(mr('merge'))[0]!.data.merged, true);
    assert.deepEqual([eventsOf(mr('close'))[0]!.data.action, eventsOf(mr('close'))[0]!.data.merged], ['closed', false]);
    assert.equal(eventsOf(mr('reopen'))[0]!.data.action, 'reopened');
    assert.equal(eventsOf(mr('update', A))[0]!.data.action, 'synchronize');
    assert.match(reasonOf(mr('update')), /not used/);
    assert.match(reasonOf(mr('approved')), /not used/);
  });

  it('takes a subgroup project: fullName is its path_with_namespace, the stream its id, every event valid', () => {
    const sub = { id: 4711, path: 'acme/platform/gitlab-config' };
    const pushed = run('Push Hook', payloads.push(sub, { after: A }).payload);
    assert.equal(pushed.kind, 'events');
    if (pushed.kind !== 'events') return;
    assert.equal(pushed.repo, 'acme/platform/gitlab-config');
    assert.equal(pushed.stream, 'repo-gitlab-4711');
    const [push] = eventsOf(pushed);
    assert.deepEqual(push!.data.repo, { provider: 'gitlab', id: 4711, fullName: 'acme/platform/gitlab-config', defaultBranch: 'main', private: true });
    for (const e of eventsOf(pushed)) assert.ok(schemaOf(e.type as EventType, latestVersion(e.type as EventType))!.safeParse(e.data).success, `${e.type} validates`);
    const deep = { id: 4712, path: ['g', ...Array.from({ length: 19 }, (_, i) => `s${i}`), 'p'].join('/') };
    const built = run('Pipeline Hook', payloads.pipeline(deep, { sha: A, status: 'success', ref: 'main', tag: false, name: 'ci' }).payload);
    assert.equal(built.kind, 'events');
    assert.equal((eventsOf(built)[0]!.data.repo as RepoRef).fullName, deep.path);
    const mr = run('Merge Request Hook', payloads.mergeRequest(sub, { iid: 3, action: 'open', sourceBranch: 'feature', headSha: B }).payload);
    assert.equal((eventsOf(mr)[0]!.data.repo as RepoRef).fullName, 'acme/platform/gitlab-config');
  });

  it('ignores, naming why: other events, a path deeper than GitLab allows, a payload without a needed field, a ref neither branch nor tag', () => {
    assert.match(reasonOf(run('Issue Hook', {})), /not used by Sluice/);
    const tooDeep = payloads.push({ ...project, path: ['g', ...Array.from({ length: 20 }, (_, i) => `s${i}`), 'p'].join('/') }, { after: A });
    assert.match(reasonOf(run(tooDeep.event, tooDeep.payload)), /not a GitLab project path/);
    const broken = gitlabExamplePayload<Record<string, unknown>>('Push Hook');
    delete broken.project;
    assert.match(reasonOf(run('Push Hook', broken)), /payload not understood: project/);
    const notes = gitlabExamplePayload<Record<string, unknown>>('Push Hook');
    notes.ref = 'refs/notes/commits';
    assert.match(reasonOf(run('Push Hook', notes)), /neither a branch nor a tag/);
  });

  it('keeps a commit message to its first 4 KB and the newest 20 commits', () => {
    const commits = Array.from({ length: 25 }, (_, i) => ({ sha: i.toString(16).padStart(40, '0'), message: 'x'.repeat(5000) }));
    const { event, payload } = payloads.push(project, { before: A, after: commits.at(-1)!.sha, commits });
    const [e] = eventsOf(run(event, payload));
    const kept = e!.data.commits as Array<{ sha: string; message: string }>;
    assert.equal(kept.length, 20);
    assert.equal(kept.at(-1)!.sha, commits.at(-1)!.sha);
    assert.equal(kept[0]!.message.length, 4097);
  });
});
