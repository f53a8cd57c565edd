import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { CommitStatusSpec, RepoIdentity, SyncStatus } from './model';
import { decide, statusAfter, type ObservedStatus, type ReconcileInput } from './reconcile';

const SHA1 = '1'.repeat(40);
const SHA2 = '2'.repeat(40);
const repo: RepoIdentity = { provider: 'github', apiUrl: 'https://api.github.com', fullName: 'acme/app' };
const spec = (over: Partial<CommitStatusSpec> = {}): CommitStatusSpec => ({
  gitRepoRef: { name: 'app' },
  sha: SHA1,
  name: 'ci/deploy',
  description: 'Deploying',
  phase: 'in_progress',
  url: null,
  ...over,
});
const synced = (over: Partial<SyncStatus> = {}): SyncStatus => ({
  updatedAt: '2026-01-01T00:00:00.000Z',
  observedGeneration: 1,
  isSynced: true,
  syncFailure: null,
  repo: 'acme/app',
  scm: { provider: 'github', apiUrl: 'https://api.github.com' },
  sha: SHA1,
  name: 'ci/deploy',
  description: 'Deploying',
  phase: 'in_progress',
  provider: { github: { checkRunId: 7 } },
  ...over,
});
const observed = (over: Partial<ObservedStatus> = {}): ObservedStatus => ({
  fields: { name: 'ci/deploy', description: 'Deploying', phase: 'in_progress', url: null },
  matches: true,
  differences: [],
  ids: { github: { checkRunId: 7 } },
  ...over,
});
const input = (over: Partial<ReconcileInput>): ReconcileInput => ({ spec: spec(), generation: 1, repo, previous: null, observed: null, ...over });

test('first sync: the SCM holds nothing → write', () => {
  assert.deepEqual(decide(input({})), { cancelPrevious: null, write: 'missing', drift: null });
});

test('the SCM already holds the spec (e.g. written before a crash) → no write, no duplicate', () => {
  assert.deepEqual(decide(input({ previous: null, observed: observed() })), { cancelPrevious: null, write: null, drift: null });
});

test('spec changed (new generation) and the SCM holds the old value → write', () => {
  const d = decide(input({ spec: spec({ phase: 'success' }), generation: 2, previous: synced(), observed: observed({ matches: false, differences: ['x'] }) }));
  assert.equal(d.write, 'spec-changed');
  assert.equal(d.drift, null);
});

test('drift: the spec was written at this generation but the SCM now holds something else → reported, not written, not copied back', () => {
  const inp = input({
    spec: spec({ phase: 'success' }),
    generation: 2,
    previous: synced({ observedGeneration: 2, phase: 'success' }),
    observed: observed({
      matches: false,
      differences: ['conclusion: want "success", SCM has "failure"'],
      fields: { name: 'ci/deploy', description: 'Deploying', phase: 'failure', url: null },
      ids: { github: { checkRunId: 8 } },
    }),
  });
  const d = decide(inp);
  assert.equal(d.write, null);
  assert.match(d.drift!, /^drift: .*conclusion: want "success", SCM has "failure"/);
  const s = statusAfter(inp, d, { kind: 'unchanged' }, new Date('2026-01-02T00:00:00Z'));
  assert.equal(s.isSynced, false);
  assert.equal(s.phase, 'failure', 'status shows what the SCM holds');
  assert.match(s.syncFailure!.message, /drift/);
  assert.equal(inp.spec.phase, 'success', 'the spec is untouched');
  assert.deepEqual(s.provider, { github: { checkRunId: 7 } }, 'our object ids are kept, not the drifted one');
});

test('sha change while in_progress → cancel the old commit, then write the new one', () => {
  const d = decide(input({ spec: spec({ sha: SHA2, phase: 'queued' }), generation: 2, previous: synced(), observed: null }));
  assert.deepEqual(d.cancelPrevious, {
    repo,
    sha: SHA1,
    fields: { name: 'ci/deploy', description: 'Deploying', phase: 'canceled', url: null },
    ids: { github: { checkRunId: 7 } },
  });
  assert.equal(d.write, 'missing');
});

test('sha change while queued cancels; while terminal it does not', () => {
  assert.ok(decide(input({ spec: spec({ sha: SHA2 }), previous: synced({ phase: 'queued' }) })).cancelPrevious);
  for (const phase of ['success', 'failure', 'canceled'] as const) {
    assert.equal(decide(input({ spec: spec({ sha: SHA2 }), previous: synced({ phase }) })).cancelPrevious, null);
  }
});

test('repository change (another GitRepo or provider) while queued cancels on the old repository', () => {
  const other: RepoIdentity = { provider: 'gitlab', apiUrl: 'https://gitlab.com/api/v4', fullName: 'acme/app' };
  const d = decide(input({ repo: other, previous: synced({ phase: 'queued' }) }));
  assert.deepEqual(d.cancelPrevious?.repo, repo);
  assert.equal(d.write, 'missing');
});

test('a moved resource whose new target holds something else is written, not reported as drift', () => {
  const d = decide(input({ spec: spec({ sha: SHA2 }), generation: 1, previous: synced({ observedGeneration: 1 }), observed: observed({ matches: false, differences: ['x'] }) }));
  assert.equal(d.write, 'spec-changed');
  assert.equal(d.drift, null);
});

test('after a write, status records what the SCM holds, isSynced and the provider ids', () => {
  const inp = input({});
  const s = statusAfter(inp, decide(inp), { kind: 'written', observed: observed({ ids: { github: { checkRunId: 99 } } }) }, new Date('2026-01-02T00:00:00Z'));
  assert.deepEqual(s, {
    updatedAt: '2026-01-02T00:00:00.000Z',
    repo: 'acme/app',
    scm: { provider: 'github', apiUrl: 'https://api.github.com' },
    sha: SHA1,
    observedGeneration: 1,
    isSynced: true,
    syncFailure: null,
    name: 'ci/deploy',
    description: 'Deploying',
    phase: 'in_progress',
    provider: { github: { checkRunId: 99 } },
  });
});

test('a failed write keeps the generation unwritten and says why', () => {
  const inp = input({ generation: 3, previous: synced({ observedGeneration: 2 }), observed: observed({ matches: false, differences: ['x'] }) });
  const s = statusAfter(inp, decide(inp), { kind: 'failed', message: 'GitHub 502' }, new Date());
  assert.equal(s.observedGeneration, 2);
  assert.equal(s.isSynced, false);
  assert.deepEqual(s.syncFailure, { message: 'GitHub 502' });
});

test('after moving, a failed write tracks the new commit so the old one is not canceled twice', () => {
  const inp = input({ spec: spec({ sha: SHA2 }), previous: synced(), observed: null });
  const s = statusAfter(inp, decide(inp), { kind: 'failed', message: 'boom' }, new Date());
  assert.equal(s.sha, SHA2);
  assert.equal(s.phase, undefined);
  assert.equal(decide({ ...inp, previous: s }).cancelPrevious, null);
});
