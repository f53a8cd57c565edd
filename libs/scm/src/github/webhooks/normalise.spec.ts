import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { eventsOf } from '../../webhooks/spec-support';
import { normaliseDelivery, NORMALISED_EVENTS } from './normalise';
// eslint-disable-next-line @typescript-eslint/no-require-imports
const examples: Array<{ name: string; examples: Array<Record<string, unknown>> }> = require('@octokit/webhooks-examples');

const examplesOf = (name: string) => examples.find((e) => e.name === name)!.examples;
const run = (event: string, payload: unknown, deliveryId = 'd-1') => normaliseDelivery({ event, deliveryId, payload });


describe('normaliseDelivery over @octokit/webhooks-examples', () => {
  it('has real examples for every normalised event', () => {
    for (const name of NORMALISED_EVENTS) assert.ok(examplesOf(name).length > 0, name);
  });

  it('push: branch and tag pushes, creations and deletions, with head commit and commits', () => {
    const results = examplesOf('push').map((p) => ({ p, events: eventsOf(run('push', p)) }));
    for (const { p, events } of results) {
      assert.equal(events.length, 1);
      const [e] = events;
      assert.equal(e.type, 'scm.push.received');
      assert.equal(e.data.ref, p.ref);
      assert.equal(e.data.before, p.before);
      assert.equal(e.data.after, p.after);
      assert.equal(e.data.deleted, p.deleted);
      assert.equal(e.data.created, p.created);
      assert.equal(e.data.forced, p.forced);
      assert.equal((e.data.commits as unknown[]).length, (p.commits as unknown[]).length);
      assert.deepEqual((e.data.repo as { fullName: string }).fullName, (p.repository as { full_name: string }).full_name);
    }
    const branchPush = results.find((r) => r.p.ref === 'refs/heads/master')!.events[0].data;
    assert.equal(branchPush.refType, 'branch');
    assert.equal(branchPush.name, 'master');
    assert.equal((branchPush.headCommit as { sha: string }).sha, '6113728f27ae82c7b1a177c8d03f9e96e0adf246');
    assert.equal((branchPush.headCommit as { authorName: string }).authorName, 'Codertocat');
    const tagDelete = results.find((r) => r.p.ref === 'refs/tags/simple-tag' && r.p.deleted)!.events[0].data;
    assert.equal(tagDelete.refType, 'tag');
    assert.equal(tagDelete.name, 'simple-tag');
    assert.equal(tagDelete.headCommit, null);
    assert.equal(tagDelete.after, '0'.repeat(40));
  });

  it('push to a ref that is neither a branch nor a tag is ignored', () => {
    const result = run('push', { ...examplesOf('push')[0], ref: 'refs/notes/commits' });
    assert.equal(result.kind, 'ignored');
  });

  it('workflow_run: requested/in_progress start a build, completed with a conclusion completes it', () => {
    for (const p of examplesOf('workflow_run')) {
      const [e] = eventsOf(run('workflow_run', p));
      const wr = p.workflow_run as { head_sha: string; name: string; conclusion: string | null; status: string; html_url: string };
      assert.equal(e.data.sha, wr.head_sha);
      // An empty run name falls back to the workflow's name.
      assert.equal(e.data.buildName, wr.name || (p.workflow as { name: string }).name);
      assert.equal(e.data.source, 'workflow_run');
      if (p.action === 'completed' && wr.status === 'completed' && wr.conclusion) {
        assert.equal(e.type, 'scm.build.completed');
        assert.equal(e.data.conclusion, wr.conclusion);
        assert.equal(e.data.url, wr.html_url);
      } else {
        assert.equal(e.type, 'scm.build.started');
      }
    }
    const types = examplesOf('workflow_run').map((p) => eventsOf(run('workflow_run', p))[0].type);
    assert.ok(types.includes('scm.build.completed') && types.includes('scm.build.started'));
  });

  it('check_suite: requested/rerequested start, completed completes with the app as build name', () => {
    const seen = new Set<string>();
    for (const p of examplesOf('check_suite')) {
      const [e] = eventsOf(run('check_suite', p));
      const cs = p.check_suite as { head_sha: string; conclusion: string | null; head_branch: string; app: { slug?: string; name: string } };
      seen.add(e.type);
      assert.equal(e.data.sha, cs.head_sha);
      assert.equal(e.data.branch, cs.head_branch);
      assert.equal(e.data.buildName, cs.app.slug || cs.app.name);
      assert.equal(e.type, p.action === 'completed' && cs.conclusion ? 'scm.build.completed' : 'scm.build.started');
    }
    assert.deepEqual([...seen].sort(), ['scm.build.completed', 'scm.build.started']);
  });

  it('check_run: created starts, completed completes; requested_action is ignored', () => {
    const seen = new Set<string>();
    for (const p of examplesOf('check_run')) {
      const result = run('check_run', p);
      if (p.action === 'requested_action') {
        assert.equal(result.kind, 'ignored');
        continue;
      }
      const [e] = eventsOf(result);
      const cr = p.check_run as { name: string; head_sha: string; conclusion: string | null };
      seen.add(e.type);
      assert.equal(e.data.buildName, cr.name);
      assert.equal(e.data.sha, cr.head_sha);
      if (e.type === 'scm.build.completed') assert.equal(e.data.conclusion, cr.conclusion);
    }
    assert.deepEqual([...seen].sort(), ['scm.build.completed', 'scm.build.started']);
  });

  it('workflow_run: the run carries its id, run_attempt, the attempt start and updated_at, so later deliveries can be ordered', () => {
    const requested = eventsOf(run('workflow_run', examplesOf('workflow_run')[3]))[0];
    const completed = eventsOf(run('workflow_run', examplesOf('workflow_run')[1]))[0];
    assert.deepEqual(requested.data.run, { id: 289782451, attempt: 1, progress: 'queued', startedAt: '2020-10-05T16:33:49.000Z', updatedAt: '2020-10-05T16:33:24.000Z' });
    assert.deepEqual(completed.data.run, { id: 289782451, attempt: 1, progress: 'completed', startedAt: '2020-10-05T16:33:49.000Z', updatedAt: '2020-10-05T16:33:49.000Z' });
    const rerun = structuredClone(examplesOf('workflow_run')[3]) as { workflow_run: Record<string, unknown> };
    Object.assign(rerun.workflow_run, { run_attempt: 2, status: 'in_progress' });
    const second = eventsOf(run('workflow_run', { ...rerun, action: 'in_progress' }))[0];
    assert.deepEqual([(second.data.run as { attempt: number }).attempt, (second.data.run as { progress: string }).progress], [2, 'in_progress']);
  });

  it('check_run and check_suite: ids and times of the execution; a check run created after it completed is still the same run', () => {
    const created = eventsOf(run('check_run', examplesOf('check_run')[0]))[0];
    const completed = eventsOf(run('check_run', examplesOf('check_run')[2]))[0];
    assert.deepEqual(created.data.run, { id: 128620228, attempt: null, progress: 'queued', startedAt: '2019-05-15T15:21:12.000Z', updatedAt: '2019-05-15T15:21:12.000Z' });
    assert.deepEqual(completed.data.run, { id: 128620228, attempt: null, progress: 'completed', startedAt: '2019-05-15T15:21:12.000Z', updatedAt: '2019-05-15T15:21:12.000Z' });
    const suite = eventsOf(run('check_suite', examplesOf('check_suite')[0]))[0];
    assert.deepEqual(suite.data.run, { id: 118578147, attempt: null, progress: 'completed', startedAt: '2019-05-15T15:20:31.000Z', updatedAt: '2019-05-15T15:21:14.000Z' });
    // An unreadable timestamp leaves that instant unknown rather than failing the delivery.
    const odd = structuredClone(examplesOf('check_run')[0]) as { check_run: Record<string, unknown> };
    odd.check_run.started_at = 'yesterday';
    assert.equal((eventsOf(run('check_run', odd))[0].data.run as { startedAt: unknown }).startedAt, null);
  });

  it('status: pending starts, success/failure/error complete; ambiguous branches give no branch', () => {
    for (const p of examplesOf('status')) {
      const [e] = eventsOf(run('status', p));
      assert.equal(e.data.buildName, p.context);
      assert.equal(e.data.sha, p.sha);
      assert.equal(e.type, p.state === 'pending' ? 'scm.build.started' : 'scm.build.completed');
      const branches = p.branches as Array<{ name: string }>;
      assert.equal(e.data.branch, branches.length === 1 ? branches[0].name : null);
    }
    const pending = eventsOf(run('status', { ...examplesOf('status')[0], state: 'pending', branches: [{ name: 'main' }] }))[0];
    assert.equal(pending.type, 'scm.build.started');
    assert.equal(pending.data.branch, 'main');
    const errored = eventsOf(run('status', { ...examplesOf('status')[0], state: 'error' }))[0];
    assert.equal(errored.data.conclusion, 'error');
  });

  it('pull_request: opened/synchronize/closed/reopened normalised, other actions ignored', () => {
    let normalised = 0;
    for (const p of examplesOf('pull_request')) {
      const result = run('pull_request', p);
      if (!['opened', 'synchronize', 'closed', 'reopened'].includes(p.action as string)) {
        assert.equal(result.kind, 'ignored');
        continue;
      }
      const [e] = eventsOf(result);
      normalised++;
      const pr = p.pull_request as { head: { sha: string; ref: string }; base: { ref: string }; merged: boolean | null };
      assert.equal(e.type, 'scm.pull-request.changed');
      assert.equal(e.data.action, p.action);
      assert.equal(e.data.number, p.number);
      assert.equal(e.data.headSha, pr.head.sha);
      assert.equal(e.data.baseRef, pr.base.ref);
      assert.equal(e.data.merged, pr.merged ?? false);
    }
    assert.ok(normalised >= 4);
  });

  it('create/delete of branches and tags become ref events; repositories are ignored', () => {
    for (const name of ['create', 'delete'] as const) {
      for (const p of examplesOf(name)) {
        const [e] = eventsOf(run(name, p));
        assert.equal(e.type, name === 'create' ? 'scm.ref.created' : 'scm.ref.deleted');
        assert.equal(e.data.ref, p.ref);
        assert.equal(e.data.refType, p.ref_type);
      }
    }
    const branch = eventsOf(run('create', { ...examplesOf('create')[0], ref: 'feature/x', ref_type: 'branch' }))[0];
    assert.equal(branch.data.refType, 'branch');
    assert.equal(run('create', { ...examplesOf('create')[0], ref_type: 'repository' }).kind, 'ignored');
  });

  it('repository renamed and transferred: the same id under its new name, with the previous one', () => {
    const renamed = examplesOf('repository').find((p) => p.action === 'renamed')!;
    const [r] = eventsOf(run('repository', { ...renamed, changes: { repository: { name: { from: 'Old-World' } } } }));
    assert.equal(r.type, 'scm.repository.renamed');
    assert.deepEqual(
      { action: r.data.action, previousFullName: r.data.previousFullName, repo: r.data.repo },
      { action: 'renamed', previousFullName: 'Octocoders/Old-World', repo: { fullName: 'Octocoders/Hello-World', id: 186853261, defaultBranch: 'master', private: false, provider: 'github' } },
    );
    const transferred = examplesOf('repository').find((p) => p.action === 'transferred')!;
    const [t] = eventsOf(run('repository', transferred));
    assert.equal(t.data.previousFullName, 'octocat/Hello-World');
    assert.equal(t.data.action, 'transferred');
    const edited = run('repository', examplesOf('repository').find((p) => p.action === 'edited'));
    assert.equal(edited.kind, 'ignored');
    const noChanges = run('repository', { ...renamed, changes: undefined });
    assert.match(noChanges.kind === 'ignored' ? noChanges.reason : '', /previous name is missing/);
  });

  it('events go to the repository stream and carry the delivery id', () => {
    const result = run('push', examplesOf('push')[0], 'abc-123');
    assert.equal(result.kind, 'events');
    if (result.kind !== 'events') return;
    assert.equal(result.stream, `repo-github-${(examplesOf('push')[0].repository as { id: number }).id}`);
    assert.equal((result.events[0].data as { deliveryId: string }).deliveryId, 'abc-123');
  });

  it('unknown events and payloads missing needed fields are ignored with a reason, never thrown', () => {
    const ping = run('ping', examplesOf('ping')[0]);
    assert.equal(ping.kind, 'ignored');
    const broken = run('push', { ref: 'refs/heads/main' });
    assert.equal(broken.kind, 'ignored');
    assert.match(broken.kind === 'ignored' ? broken.reason : '', /payload not understood/);
    for (const payload of [null, 42, 'x', [], {}]) {
      for (const event of NORMALISED_EVENTS) assert.equal(run(event, payload).kind, 'ignored');
    }
  });

  it('keeps a push event small: at most 20 commits, messages cut at 4 KB', () => {
    const p = examplesOf('push').find((x) => x.ref === 'refs/heads/master')!;
    const commit = (p.commits as Array<Record<string, unknown>>)[0];
    const commits = Array.from({ length: 30 }, (_, i) => ({ ...commit, id: i.toString(16).padStart(40, '0'), message: 'm'.repeat(10_000) }));
    const [e] = eventsOf(run('push', { ...p, commits }));
    const kept = e.data.commits as Array<{ sha: string; message: string }>;
    assert.equal(kept.length, 20);
    assert.equal(kept[19].sha, (29).toString(16).padStart(40, '0'), 'the newest commits are kept');
    assert.equal(kept[0].message.length, 4097);
  });

  it('an unknown build conclusion counts as a failure', () => {
    const p = examplesOf('workflow_run').find((x) => x.action === 'completed' && (x.workflow_run as { conclusion: unknown }).conclusion)!;
    const wr = { ...(p.workflow_run as object), conclusion: 'startup_failure', status: 'completed' };
    const [e] = eventsOf(run('workflow_run', { ...p, workflow_run: wr }));
    assert.equal(e.data.conclusion, 'failure');
  });
});
