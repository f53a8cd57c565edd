import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { DeployConfigObject } from './deploy-config';
import { decide, mergeConditions, statusChanged, type DecideOptions } from './reconcile';

const t0 = new Date('2026-01-01T00:00:00Z');
const opts = (now = t0): DecideOptions => ({ now, progressDeadlineMs: 60_000, healthPollMs: 1000 });
const inventory = [{ apiVersion: 'apps/v1', kind: 'Deployment', namespace: 'ns', name: 'w' }];

function dc(over: Partial<DeployConfigObject> = {}, status?: DeployConfigObject['status']): DeployConfigObject {
  return {
    apiVersion: 'sluice.dev/v1alpha1',
    kind: 'DeployConfig',
    metadata: { name: 'c', namespace: 'ns', generation: 3, annotations: { 'sluice.dev/deploy-id': 'd-1' } },
    spec: { team: 't', artifactSha: null, configSha: 'a'.repeat(40), imageTag: null, specs: [{ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'x' } }] },
    ...over,
    ...(status ? { status } : {}),
  };
}

describe('decide', () => {
  it('a new generation applied and healthy: Succeeded, applied + succeeded reported', () => {
    const d = decide(dc(), { kind: 'applied', inventory, health: { state: 'healthy' }, drifted: [] }, opts());
    assert.equal(d.status.phase, 'Succeeded');
    assert.equal(d.status.observedGeneration, 3);
    assert.equal(d.status.deployId, 'd-1');
    assert.deepEqual(d.outcomes.map((o) => o.type), ['deploy.applied', 'deploy.succeeded']);
    assert.equal(d.status.conditions?.find((c) => c.type === 'Ready')?.status, 'True');
  });

  it('progressing: Applied, polled again, no result yet', () => {
    const d = decide(dc(), { kind: 'applied', inventory, health: { state: 'progressing', message: 'waiting' }, drifted: [] }, opts());
    assert.equal(d.status.phase, 'Applied');
    assert.equal(d.requeueAfterMs, 1000);
    assert.deepEqual(d.outcomes.map((o) => o.type), ['deploy.applied']);
    assert.equal(d.status.progressStartedAt, t0.toISOString());
  });

  it('still progressing after the deadline: Failed with ProgressDeadlineExceeded', () => {
    const prev = { phase: 'Applied' as const, observedGeneration: 3, deployId: 'd-1', progressStartedAt: t0.toISOString() };
    const later = new Date(t0.getTime() + 61_000);
    const d = decide(dc({}, prev), { kind: 'applied', inventory, health: { state: 'progressing', message: 'waiting' }, drifted: [] }, opts(later));
    assert.equal(d.status.phase, 'Failed');
    const failed = d.outcomes.find((o) => o.type === 'deploy.failed');
    assert.deepEqual(failed && { reason: failed.reason, terminal: failed.terminal }, { reason: 'ProgressDeadlineExceeded', terminal: false });
  });

  it('a decided deploy keeps its phase and reports no second result, even if health changes', () => {
    const prev = { phase: 'Succeeded' as const, observedGeneration: 3, deployId: 'd-1', progressStartedAt: t0.toISOString() };
    const d = decide(dc({}, prev), { kind: 'applied', inventory, health: { state: 'failed', reason: 'JobFailed', message: 'x' }, drifted: [] }, opts(new Date(t0.getTime() + 120_000)));
    assert.equal(d.status.phase, 'Succeeded');
    assert.ok(!d.outcomes.some((o) => o.type === 'deploy.failed'));
    assert.equal(d.status.conditions?.find((c) => c.type === 'Ready')?.status, 'False');
    const stalled = decide(dc({}, prev), { kind: 'stalled', reason: 'Forbidden', message: 'no' }, opts());
    assert.deepEqual(stalled.outcomes, []);
  });

  it('a new deploy id on the same generation (re-apply) is a new target', () => {
    const prev = { phase: 'Succeeded' as const, observedGeneration: 3, deployId: 'd-0', progressStartedAt: t0.toISOString() };
    const d = decide(dc({}, prev), { kind: 'applied', inventory, health: { state: 'healthy' }, drifted: [] }, opts());
    assert.deepEqual(d.outcomes.map((o) => o.type), ['deploy.applied', 'deploy.succeeded']);
  });

  it('a stalled spec: Failed, Stalled condition, terminal failure reported', () => {
    const d = decide(dc(), { kind: 'stalled', reason: 'ForbiddenKind', message: 'Namespace x' }, opts());
    assert.equal(d.status.phase, 'Failed');
    assert.equal(d.status.conditions?.find((c) => c.type === 'Stalled')?.reason, 'ForbiddenKind');
    assert.deepEqual(d.outcomes, [{ type: 'deploy.failed', reason: 'ForbiddenKind', message: 'Namespace x', terminal: true }]);
  });

  it('the virtual config: Undeployed and deploy.undeployed', () => {
    const virtual = dc({ spec: { team: 't', artifactSha: null, configSha: null, imageTag: null, specs: [] } });
    const d = decide(virtual, { kind: 'applied', inventory: [], health: { state: 'healthy' }, drifted: [] }, opts());
    assert.equal(d.status.phase, 'Undeployed');
    assert.deepEqual(d.outcomes, [{ type: 'deploy.undeployed' }]);
  });

  it('drift is counted and stamped', () => {
    const prev = { phase: 'Succeeded' as const, observedGeneration: 3, deployId: 'd-1', progressStartedAt: t0.toISOString(), driftCorrections: 1 };
    const d = decide(dc({}, prev), { kind: 'applied', inventory, health: { state: 'healthy' }, drifted: inventory }, opts());
    assert.equal(d.status.driftCorrections, 2);
    assert.equal(d.status.lastDriftAt, t0.toISOString());
  });

  it('a steady state changes nothing (no status write, no watch event)', () => {
    const first = decide(dc(), { kind: 'applied', inventory, health: { state: 'healthy' }, drifted: [] }, opts());
    const again = decide(dc({}, first.status), { kind: 'applied', inventory, health: { state: 'healthy' }, drifted: [] }, opts(new Date(t0.getTime() + 5000)));
    assert.equal(statusChanged(first.status, again.status), false);
  });

  it('a steady state read back from the API server changes nothing (its keys come sorted)', () => {
    const first = decide(dc(), { kind: 'applied', inventory, health: { state: 'healthy' }, drifted: [] }, opts());
    const sortedKeys = (v: unknown): unknown =>
      Array.isArray(v) ? v.map(sortedKeys) : v && typeof v === 'object' ? Object.fromEntries(Object.keys(v).sort().map((k) => [k, sortedKeys((v as Record<string, unknown>)[k])])) : v;
    const stored = sortedKeys(JSON.parse(JSON.stringify(first.status))) as typeof first.status;
    assert.notEqual(JSON.stringify(stored.conditions), JSON.stringify(first.status.conditions), 'the conditions differ in key order only');
    const again = decide(dc({}, stored), { kind: 'applied', inventory, health: { state: 'healthy' }, drifted: [] }, opts(new Date(t0.getTime() + 5000)));
    assert.equal(statusChanged(stored, again.status), false);
    // A change in a nested member still counts.
    const moved = { ...again.status, conditions: again.status.conditions!.map((c) => (c.type === 'Ready' ? { ...c, message: 'other' } : c)) };
    assert.equal(statusChanged(stored, moved), true);
  });
});

describe('mergeConditions', () => {
  it('keeps lastTransitionTime while the status stays the same', () => {
    const old = [{ type: 'Ready' as const, status: 'True' as const, reason: 'A', message: '', lastTransitionTime: 't1' }];
    assert.equal(mergeConditions(old, [{ ...old[0]!, reason: 'B', lastTransitionTime: 't2' }])[0]!.lastTransitionTime, 't1');
    assert.equal(mergeConditions(old, [{ ...old[0]!, status: 'False', lastTransitionTime: 't2' }])[0]!.lastTransitionTime, 't2');
  });
});
