import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { KubeObject } from '@sluice/kube';
import { foreignOwnerOf, inInventory, ownershipRefusal, passRefusal } from './ownership';

const desired = (annotations?: Record<string, string>): KubeObject => ({
  apiVersion: 'v1',
  kind: 'ConfigMap',
  metadata: { name: 'settings', namespace: 'payments', labels: { 'sluice.dev/config': 'billing' }, ...(annotations ? { annotations } : {}) },
});
const current = (metadata: Partial<KubeObject['metadata']> = {}): KubeObject => ({
  apiVersion: 'v1',
  kind: 'ConfigMap',
  metadata: { name: 'settings', namespace: 'payments', uid: 'u-1', resourceVersion: '7', ...metadata },
});
const owner = (name: string, controller = true) => ({ apiVersion: 'sluice.dev/v1alpha1', kind: 'DeployConfig', name, uid: `uid-${name}`, controller });
const us = { config: 'billing', inventory: [] };

describe('ownershipRefusal', () => {
  it('nothing there yet: apply', () => {
    assert.equal(ownershipRefusal(desired(), undefined, us), undefined);
  });

  it('labelled by another config: OwnedByAnotherConfig naming it, even with the adopt annotation or in our inventory', () => {
    const theirs = current({ labels: { 'sluice.dev/config': 'ledger' } });
    const refusal = ownershipRefusal(desired({ 'sluice.dev/adopt': 'true' }), theirs, { config: 'billing', inventory: [{ apiVersion: 'v1', kind: 'ConfigMap', namespace: 'payments', name: 'settings' }] });
    assert.equal(refusal?.reason, 'OwnedByAnotherConfig');
    assert.match(refusal!.message, /ConfigMap payments\/settings belongs to config "ledger"/);
  });

  it('controlled by another DeployConfig without the label: OwnedByAnotherConfig', () => {
    const refusal = ownershipRefusal(desired(), current({ ownerReferences: [owner('ledger')] }), us);
    assert.equal(refusal?.reason, 'OwnedByAnotherConfig');
    assert.match(refusal!.message, /"ledger"/);
  });

  it('ours by label, or by a DeployConfig of our name (recreated, new uid): apply', () => {
    assert.equal(ownershipRefusal(desired(), current({ labels: { 'sluice.dev/config': 'billing' } }), us), undefined);
    assert.equal(ownershipRefusal(desired(), current({ labels: { 'sluice.dev/config': 'billing' }, ownerReferences: [owner('billing')] }), us), undefined);
  });

  it('named by our inventory but its label removed by hand: ours, applied (and labelled) again', () => {
    const inventory = [{ apiVersion: 'v1', kind: 'ConfigMap', namespace: 'payments', name: 'settings' }];
    assert.equal(ownershipRefusal(desired(), current(), { config: 'billing', inventory }), undefined);
  });

  it('no Sluice mark: UnmanagedObject, unless the manifest says sluice.dev/adopt: "true"', () => {
    const unmanaged = current({ labels: { app: 'legacy' }, ownerReferences: [{ ...owner('x', false), kind: 'Deployment', apiVersion: 'apps/v1' }] });
    const refusal = ownershipRefusal(desired(), unmanaged, us);
    assert.equal(refusal?.reason, 'UnmanagedObject');
    assert.match(refusal!.message, /sluice\.dev\/adopt/);
    assert.equal(ownershipRefusal(desired({ 'sluice.dev/adopt': 'false' }), unmanaged, us)?.reason, 'UnmanagedObject');
    assert.equal(ownershipRefusal(desired({ 'sluice.dev/adopt': 'true' }), unmanaged, us), undefined);
  });

  it('a non-controller reference to another DeployConfig is no claim', () => {
    assert.equal(foreignOwnerOf(current({ ownerReferences: [owner('ledger', false)] }), 'billing'), undefined);
  });
});

describe('passRefusal', () => {
  it('none refused: undefined; else one reason (another config first) naming every object', () => {
    assert.equal(passRefusal([]), undefined);
    const r = passRefusal([
      { reason: 'UnmanagedObject', message: 'a unmanaged' },
      { reason: 'OwnedByAnotherConfig', message: 'b owned' },
    ]);
    assert.deepEqual(r, { reason: 'OwnedByAnotherConfig', message: 'b owned; a unmanaged' });
  });
});

describe('inInventory', () => {
  it('matches by group, kind, namespace and name, not by apiVersion', () => {
    const hpa: KubeObject = { apiVersion: 'autoscaling/v2', kind: 'HorizontalPodAutoscaler', metadata: { name: 'web', namespace: 'p' } };
    assert.ok(inInventory(hpa, [{ apiVersion: 'autoscaling/v1', kind: 'HorizontalPodAutoscaler', namespace: 'p', name: 'web' }]));
    assert.ok(!inInventory(hpa, [{ apiVersion: 'autoscaling/v2', kind: 'HorizontalPodAutoscaler', namespace: 'q', name: 'web' }]));
  });
});
