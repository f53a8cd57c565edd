import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { applyObject, managersOf, mergePatch, mergePatchOrCreate } from './apply';
import type { KubeClient } from './client';
import { KubeConflictError } from './errors';
import type { KubeObject } from './types';
import { adminClient, createTestNamespace, deleteTestNamespace } from './testing/env';

interface Deployment extends KubeObject {
  spec: { replicas: number; template: { spec: { containers: Array<{ name: string; image: string }> } } };
}

describe('server-side apply on a real kube-apiserver', () => {
  let client: KubeClient;
  let ns: string;

  before(async () => {
    client = adminClient();
    ns = await createTestNamespace(client, 'apply');
  });
  after(async () => {
    await deleteTestNamespace(client, ns);
  });

  const deployment = (replicas: number): KubeObject => ({
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'billing-api', namespace: ns, labels: { 'sluice.dev/config': 'billing-api' } },
    spec: {
      replicas,
      selector: { matchLabels: { app: 'billing-api' } },
      template: {
        metadata: { labels: { app: 'billing-api' } },
        spec: { containers: [{ name: 'api', image: 'ghcr.io/acme/billing:main-1a2b3c4' }] },
      },
    },
  });
  const ref = () => ({ apiVersion: 'apps/v1', kind: 'Deployment', namespace: ns, name: 'billing-api' });

  it('mergePatchOrCreate creates a missing object, then patches it: null removes a key, keys left out are kept', async () => {
    const cm = (data: Record<string, string | null>) => ({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'merged', namespace: ns, labels: { a: '1' } }, data });
    const created = await mergePatchOrCreate<KubeObject & { data?: Record<string, string> }>(client, cm({ phase: 'queued', url: null }), { fieldManager: 'sluice-test' });
    assert.deepEqual(created.data, { phase: 'queued' });
    await mergePatchOrCreate(client, cm({ phase: 'in_progress', url: 'https://sluice.example/d/1' }), { fieldManager: 'sluice-test' });
    const patched = await mergePatchOrCreate<KubeObject & { data?: Record<string, string> }>(client, cm({ phase: 'success', url: null }), { fieldManager: 'sluice-test' });
    assert.deepEqual(patched.data, { phase: 'success' });
    assert.equal(patched.metadata.uid, created.metadata.uid, 'the same object, patched');
    assert.deepEqual(managersOf(patched), ['sluice-test:Update']);
  });

  it('creates by apply with field manager "sluice" and re-applying the same manifest changes nothing', async () => {
    const first = await applyObject<Deployment>(client, deployment(2), { fieldManager: 'sluice' });
    assert.equal(first.spec.replicas, 2);
    assert.ok(managersOf(first).includes('sluice:Apply'));
    const again = await applyObject<Deployment>(client, deployment(2), { fieldManager: 'sluice' });
    assert.equal(again.metadata.resourceVersion, first.metadata.resourceVersion, 'an idempotent apply is a no-op');
  });

  it('detects the conflict when another manager changed an owned field, and a forced re-apply restores it', async () => {
    // Someone scales by hand (an Update by another manager takes ownership of spec.replicas).
    const scaled = await mergePatch<Deployment>(client, ref(), { spec: { replicas: 5 } }, { fieldManager: 'kubectl-edit' });
    assert.equal(scaled.spec.replicas, 5);

    const conflict = await applyObject(client, deployment(2), { fieldManager: 'sluice' }).then(
      () => assert.fail('apply should conflict'),
      (e: unknown) => e,
    );
    assert.ok(conflict instanceof KubeConflictError, String(conflict));
    assert.equal(conflict.retryable, false);
    assert.deepEqual(
      conflict.fieldConflicts.map((c) => c.field),
      ['.spec.replicas'],
    );
    assert.match(conflict.fieldConflicts[0]!.message ?? '', /kubectl-edit/);
    assert.equal((await client.get<Deployment>(ref())).spec.replicas, 5, 'a failed apply changes nothing');

    const forced = await applyObject<Deployment>(client, deployment(2), { fieldManager: 'sluice', force: true });
    assert.equal(forced.spec.replicas, 2);
    const replicasOwner = (forced.metadata.managedFields ?? []).filter((m) => JSON.stringify(m.fieldsV1 ?? {}).includes('"f:replicas"'));
    assert.deepEqual(
      replicasOwner.map((m) => m.manager),
      ['sluice'],
      'sluice owns spec.replicas again',
    );
  });

  it('applies a manifest with fields unknown to client-node models unchanged (a CRD with x-kubernetes keys)', async () => {
    const name = `widgets${ns.replace(/[^a-z0-9]/g, '')}.example.com`;
    const crd: KubeObject = {
      apiVersion: 'apiextensions.k8s.io/v1',
      kind: 'CustomResourceDefinition',
      metadata: { name },
      spec: {
        group: 'example.com',
        scope: 'Namespaced',
        names: { kind: `W${ns.replace(/[^a-z0-9]/g, '')}`, plural: name.split('.')[0] },
        versions: [
          {
            name: 'v1',
            served: true,
            storage: true,
            schema: { openAPIV3Schema: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true } },
          },
        ],
      },
    };
    try {
      const applied = await applyObject(client, crd, { fieldManager: 'sluice' });
      const schema = (applied.spec as { versions: Array<{ schema: { openAPIV3Schema: Record<string, unknown> } }> }).versions[0]!.schema.openAPIV3Schema;
      assert.equal(schema['x-kubernetes-preserve-unknown-fields'], true);
    } finally {
      await client.delete({ apiVersion: 'apiextensions.k8s.io/v1', kind: 'CustomResourceDefinition', name });
    }
  });

  it('dry-run apply validates without persisting', async () => {
    const cm: KubeObject = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'dry', namespace: ns }, data: { a: '1' } };
    const res = await applyObject(client, cm, { fieldManager: 'sluice', dryRun: true });
    assert.equal(res.metadata.name, 'dry');
    assert.equal(await client.find({ apiVersion: 'v1', kind: 'ConfigMap', namespace: ns, name: 'dry' }), undefined);
  });
});
