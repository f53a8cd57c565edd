import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { orderBuildObservation, type BuildObservation } from './build-order';

const at = (minute: number) => `2026-01-01T10:${String(minute).padStart(2, '0')}:00.000Z`;
const wf = (o: Partial<BuildObservation>): BuildObservation => ({
  source: 'workflow_run',
  id: 100,
  attempt: 1,
  progress: 'queued',
  startedAt: at(0),
  updatedAt: at(0),
  ...o,
});
const order = (known: BuildObservation | null, incoming: BuildObservation) => orderBuildObservation(known, incoming);

describe('orderBuildObservation: a build only moves forward', () => {
  it('the first report of a build is recorded', () => {
    assert.deepEqual(order(null, wf({})), { kind: 'newer', why: 'first' });
  });

  it('workflow_run completed, then the older requested or in_progress of the same attempt: stale', () => {
    const completed = wf({ progress: 'completed', updatedAt: at(5) });
    assert.deepEqual(order(completed, wf({ progress: 'queued', updatedAt: at(0) })), { kind: 'stale', why: 'behind' });
    assert.deepEqual(order(completed, wf({ progress: 'in_progress', updatedAt: at(1) })), { kind: 'stale', why: 'behind' });
  });

  it('a higher run_attempt is a re-run: a new state, even from completed back to running; the earlier attempt is then stale', () => {
    const completed = wf({ progress: 'completed', updatedAt: at(5) });
    const rerun = wf({ attempt: 2, progress: 'queued', startedAt: at(6), updatedAt: at(6) });
    assert.deepEqual(order(completed, rerun), { kind: 'newer', why: 'new-attempt' });
    assert.deepEqual(order(rerun, completed), { kind: 'stale', why: 'older-attempt' });
  });

  it('within one attempt: queued < in_progress < completed, then the later updated_at', () => {
    assert.equal(order(wf({}), wf({ progress: 'in_progress', updatedAt: at(1) })).kind, 'newer');
    assert.deepEqual(order(wf({ progress: 'completed', updatedAt: at(5) }), wf({ progress: 'completed', updatedAt: at(7) })), { kind: 'newer', why: 'later-update' });
    assert.deepEqual(order(wf({ progress: 'completed', updatedAt: at(7) }), wf({ progress: 'completed', updatedAt: at(5) })), { kind: 'stale', why: 'earlier-update' });
    assert.deepEqual(order(wf({ progress: 'completed', updatedAt: at(5) }), wf({ progress: 'completed', updatedAt: at(5) })), { kind: 'newer', why: 'unordered' });
  });

  it('check_run completed, then its created: stale; a re-run is a new check run that began later: a new state', () => {
    const cr = (o: Partial<BuildObservation>) => wf({ source: 'check_run', attempt: null, id: 7, ...o });
    const completed = cr({ progress: 'completed', startedAt: at(1), updatedAt: at(3) });
    assert.deepEqual(order(completed, cr({ progress: 'queued', startedAt: at(1), updatedAt: at(1) })), { kind: 'stale', why: 'behind' });
    const rerun = cr({ id: 8, progress: 'queued', startedAt: at(9), updatedAt: at(9) });
    assert.deepEqual(order(completed, rerun), { kind: 'newer', why: 'new-run' });
    assert.deepEqual(order(rerun, completed), { kind: 'stale', why: 'older-run' });
  });

  it('of two runs of one source that overlap, the one that began later wins; its earlier sibling is stale', () => {
    const a = wf({ id: 1, progress: 'in_progress', startedAt: at(0), updatedAt: at(4) });
    const b = wf({ id: 2, progress: 'queued', startedAt: at(2), updatedAt: at(2) });
    assert.deepEqual(order(a, b), { kind: 'newer', why: 'new-run' });
    assert.deepEqual(order(b, { ...a, progress: 'completed', updatedAt: at(5) }), { kind: 'stale', why: 'older-run' });
  });

  it('a check suite and its check run are one build: how far each got and when orders them', () => {
    const suiteRequested = wf({ source: 'check_suite', id: 50, attempt: null, progress: 'queued', startedAt: at(0), updatedAt: at(0) });
    const runCreated = wf({ source: 'check_run', id: 7, attempt: null, progress: 'queued', startedAt: at(1), updatedAt: at(1) });
    const runCompleted = { ...runCreated, progress: 'completed' as const, updatedAt: at(2) };
    const suiteCompleted = { ...suiteRequested, progress: 'completed' as const, updatedAt: at(3) };
    assert.deepEqual(order(suiteRequested, runCreated), { kind: 'newer', why: 'new-run' });
    assert.deepEqual(order(runCompleted, suiteCompleted), { kind: 'newer', why: 'later-update' });
    assert.deepEqual(order(suiteCompleted, runCreated), { kind: 'stale', why: 'behind' });
    assert.deepEqual(order(suiteCompleted, runCompleted), { kind: 'stale', why: 'earlier-update' });
  });

  it('a report with nothing to order it by (an event from before run existed, a global sync read) never moves a completed build back', () => {
    const unordered = (progress: BuildObservation['progress']): BuildObservation => ({ source: null, id: null, attempt: null, progress, startedAt: null, updatedAt: null });
    const completed = wf({ progress: 'completed', updatedAt: at(5) });
    assert.deepEqual(order(completed, unordered('in_progress')), { kind: 'stale', why: 'behind' });
    assert.deepEqual(order(completed, unordered('completed')), { kind: 'newer', why: 'unordered' });
    assert.deepEqual(order(unordered('completed'), wf({ attempt: 2, progress: 'queued', startedAt: at(9) })), { kind: 'stale', why: 'behind' });
  });

  it('commit statuses: each is a new object; the latest created wins, an earlier pending delivered late is stale', () => {
    const st = (id: number, minute: number, progress: BuildObservation['progress']) =>
      wf({ source: 'status', id, attempt: null, progress, startedAt: at(minute), updatedAt: at(minute) });
    assert.deepEqual(order(st(2, 5, 'completed'), st(1, 0, 'in_progress')), { kind: 'stale', why: 'older-run' });
    assert.deepEqual(order(st(2, 5, 'completed'), st(3, 8, 'in_progress')), { kind: 'newer', why: 'new-run' });
  });
});
