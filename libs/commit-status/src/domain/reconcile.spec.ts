import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { CommitStatusSpec, RepoIdentity, SyncStatus } from './model';
import { decide, statusAfter, type ObservedStatus, type PreviousCommit, type ReconcileInput } from './reconcile';

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
  assert.deepEqual(decide(input({})), { settlePrevious: [], write: 'missing', drift: null });
});

test('the SCM already holds the spec (e.g. written before a crash) → no write, no duplicate', () => {
  assert.deepEqual(decide(input({ previous: null, observed: observed() })), { settlePrevious: [], write: null, drift: null });
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
  assert.deepEqual(d.settlePrevious, [
    {
      kind: 'cancel',
      repo,
      sha: SHA1,
      fields: { name: 'ci/deploy', description: 'Deploying', phase: 'canceled', url: null },
      ids: { github: { checkRunId: 7 } },
    },
  ]);
  assert.equal(d.write, 'missing');
});

test('sha change while queued cancels; while terminal it does not', () => {
  assert.equal(decide(input({ spec: spec({ sha: SHA2 }), previous: synced({ phase: 'queued' }) })).settlePrevious[0]?.kind, 'cancel');
  for (const phase of ['success', 'failure', 'canceled'] as const) {
    assert.deepEqual(decide(input({ spec: spec({ sha: SHA2 }), previous: synced({ phase }) })).settlePrevious, []);
  }
});

test('repository change (another GitRepo or provider) while queued cancels on the old repository', () => {
  const other: RepoIdentity = { provider: 'gitlab', apiUrl: 'https://gitlab.com/api/v4', fullName: 'acme/app' };
  const d = decide(input({ repo: other, previous: synced({ phase: 'queued' }) }));
  assert.deepEqual(d.settlePrevious.map((w) => [w.kind, w.repo]), [['cancel', repo]]);
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
  assert.deepEqual(decide({ ...inp, previous: s }).settlePrevious, []);
});

/*
 * Issue #23: the spec moved from A (its deploy succeeded) to B before the reconciler wrote A's
 * success. The status still tracks A as in_progress (the last write); spec.previous carries A's
 * final phase, which is written instead of a cancel.
 */
const SHA3 = '3'.repeat(40);
const prior = (over: Partial<PreviousCommit['fields']> & { sha?: string; repo?: RepoIdentity } = {}): PreviousCommit => {
  const { sha = SHA1, repo: r = repo, ...fields } = over;
  return { repo: r, sha, fields: { name: 'ci/deploy', description: 'Deployed', phase: 'success', url: 'https://sluice.example/deploys/a', ...fields } };
};

test('#23: spec moved A(success) → B before A was written → A gets its success (in place, our ids), never canceled; B is written', () => {
  const d = decide(input({ spec: spec({ sha: SHA2, phase: 'in_progress' }), generation: 4, previous: synced(), specPrevious: prior(), observed: null }));
  assert.deepEqual(d.settlePrevious, [
    {
      kind: 'final',
      repo,
      sha: SHA1,
      fields: { name: 'ci/deploy', description: 'Deployed', phase: 'success', url: 'https://sluice.example/deploys/a' },
      ids: { github: { checkRunId: 7 } },
    },
  ]);
  assert.equal(d.write, 'missing');
  const failed = decide(input({ spec: spec({ sha: SHA2 }), previous: synced(), specPrevious: prior({ phase: 'failure', description: 'Deploy failed' }) }));
  assert.deepEqual(failed.settlePrevious.map((w) => `${w.kind}:${w.fields.phase}`), ['final:failure']);
});

test('#23: a real supersede — the previous commit never reached a final phase → canceled, as before', () => {
  for (const phase of ['queued', 'in_progress', 'canceled'] as const) {
    const d = decide(input({ spec: spec({ sha: SHA2 }), previous: synced(), specPrevious: prior({ phase, description: 'Deploying' }) }));
    assert.deepEqual(
      d.settlePrevious.map((w) => [w.kind, w.sha, w.fields.phase]),
      [['cancel', SHA1, 'canceled']],
      phase,
    );
  }
});

test('#23: the status already holds the final phase (the reconciler kept up) → nothing to write on A', () => {
  const d = decide(input({ spec: spec({ sha: SHA2 }), previous: synced({ phase: 'success', description: 'Deployed', url: 'https://sluice.example/deploys/a' }), specPrevious: prior() }));
  assert.deepEqual(d.settlePrevious, []);
});

test('#23: spec moved twice (A success → B queued → C) while the status tracked an older in_progress Z → cancel Z, write A success', () => {
  const d = decide(input({ spec: spec({ sha: SHA3 }), previous: synced({ sha: SHA2 }), specPrevious: prior({ sha: SHA1 }) }));
  assert.deepEqual(
    d.settlePrevious.map((w) => [w.kind, w.sha, w.fields.phase, w.ids]),
    [
      ['cancel', SHA2, 'canceled', { github: { checkRunId: 7 } }],
      ['final', SHA1, 'success', {}],
    ],
  );
});

test('#23: a previous commit other than the tracked one that never reached a final phase → a cancel (made only over queued/in_progress)', () => {
  const d = decide(input({ spec: spec({ sha: SHA3 }), previous: synced({ phase: 'success' }), specPrevious: prior({ sha: SHA2, phase: 'queued', description: 'Deploy queued' }) }));
  assert.deepEqual(d.settlePrevious, [
    { kind: 'cancel', repo, sha: SHA2, fields: { name: 'ci/deploy', description: 'Deploy queued', phase: 'canceled', url: 'https://sluice.example/deploys/a' }, ids: {} },
  ]);
});

test('#23: before the first sync (the spec moved before the reconciler ever ran) the previous commit is settled too', () => {
  const d = decide(input({ spec: spec({ sha: SHA2 }), previous: null, specPrevious: prior() }));
  assert.deepEqual(d.settlePrevious.map((w) => [w.kind, w.sha, w.fields.phase]), [['final', SHA1, 'success']]);
});

test('#23: once the status tracks the spec commit, spec.previous is settled — later reconciles (resync) touch it no more', () => {
  const inp = input({ spec: spec({ sha: SHA2 }), previous: synced({ sha: SHA2 }), specPrevious: prior() });
  assert.deepEqual(decide(inp).settlePrevious, []);
  // spec.previous naming the spec's own commit (a redeploy of the same commit) is ignored.
  assert.deepEqual(decide(input({ spec: spec({ sha: SHA1 }), previous: null, specPrevious: prior({ sha: SHA1 }) })).settlePrevious, []);
});

test('#23: the previous commit on another repository is written there', () => {
  const other: RepoIdentity = { provider: 'gitlab', apiUrl: 'https://gitlab.com/api/v4', fullName: 'acme/old' };
  const d = decide(input({ spec: spec({ sha: SHA2 }), previous: synced({ repo: 'acme/old', scm: { provider: 'gitlab', apiUrl: other.apiUrl }, provider: {} }), specPrevious: prior({ repo: other }) }));
  assert.deepEqual(d.settlePrevious.map((w) => [w.kind, w.repo.fullName, w.fields.phase]), [['final', 'acme/old', 'success']]);
});
