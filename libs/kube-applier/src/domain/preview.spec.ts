import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { KubeObject } from '@sluice/kube';
import { inventoryOf } from './deploy-config';
import { previewManifests, prunedEntries, PREVIEW_LABEL } from './preview';

/** Any JSON value, indexable as the test reads it. */
type Json = { readonly [key: string]: Json } & { readonly [index: number]: Json } & { readonly length: number };

const target = { name: 'billing-api-pr-7', pr: 7, namespace: 'payments-preview', url: 'https://pr-7.billing.example.com' };
const labels = { app: 'billing' };
const rendered: KubeObject[] = [
  {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'billing', namespace: 'payments', labels: { 'sluice.dev/config': 'billing-api' } },
    spec: {
      selector: { matchLabels: labels },
      template: {
        metadata: { labels },
        spec: {
          serviceAccountName: 'billing',
          containers: [
            {
              name: 'api',
              image: 'ghcr.io/acme/billing:feature-7-abcdef0',
              envFrom: [{ configMapRef: { name: 'billing-config' } }, { secretRef: { name: 'shared-secret' } }],
              env: [{ name: 'DB', valueFrom: { secretKeyRef: { name: 'billing-db', key: 'url' } } }],
            },
          ],
          volumes: [{ name: 'cfg', configMap: { name: 'billing-config' } }],
        },
      },
    },
  } as KubeObject,
  { apiVersion: 'v1', kind: 'Service', metadata: { name: 'billing' }, spec: { selector: labels, ports: [{ port: 80 }] } } as KubeObject,
  { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'billing-config' }, data: { A: '1' } } as KubeObject,
  { apiVersion: 'v1', kind: 'Secret', metadata: { name: 'billing-db' } } as KubeObject,
  { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'billing' } } as KubeObject,
  {
    apiVersion: 'networking.k8s.io/v1',
    kind: 'Ingress',
    metadata: { name: 'billing' },
    spec: { tls: [{ hosts: ['billing.example.com'], secretName: 'billing-tls' }], rules: [{ host: 'billing.example.com', http: { paths: [{ path: '/', pathType: 'Prefix', backend: { service: { name: 'billing', port: { number: 80 } } } }] } }] },
  } as KubeObject,
  { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRole', metadata: { name: 'billing-reader' } } as KubeObject,
];

describe('previewManifests (docs/architecture.md §1 "Previews")', () => {
  const { objects, skipped } = previewManifests(rendered, target);
  /** An object's spec, read as JSON (the test knows its shape). */
  const find = (kind: string): { spec: Json } => objects.find((o) => o.kind === kind) as unknown as { spec: Json };

  it('renames every namespaced object <name>-pr-<n> in the previews namespace with the preview label, leaving cluster-scoped ones out', () => {
    assert.deepEqual(objects.map((o) => `${o.kind}/${o.metadata.namespace}/${o.metadata.name}`), [
      'Deployment/payments-preview/billing-pr-7',
      'Service/payments-preview/billing-pr-7',
      'ConfigMap/payments-preview/billing-config-pr-7',
      'Secret/payments-preview/billing-db-pr-7',
      'ServiceAccount/payments-preview/billing-pr-7',
      'Ingress/payments-preview/billing-pr-7',
    ]);
    for (const o of objects) assert.equal(o.metadata.labels?.[PREVIEW_LABEL], 'billing-api-pr-7');
    assert.deepEqual(skipped, ['ClusterRole "billing-reader" (cluster-scoped)']);
  });

  it('the Service and the workload select only the preview’s pods', () => {
    assert.deepEqual(find('Service').spec['selector'], { app: 'billing', [PREVIEW_LABEL]: 'billing-api-pr-7' });
    const deployment = find('Deployment').spec;
    assert.deepEqual(deployment['selector'].matchLabels, { app: 'billing', [PREVIEW_LABEL]: 'billing-api-pr-7' });
    assert.deepEqual(deployment['template'].metadata.labels, { app: 'billing', [PREVIEW_LABEL]: 'billing-api-pr-7' });
  });

  it('references to objects of the config follow their new names; others (a shared Secret) are kept', () => {
    const pod = find('Deployment').spec['template'].spec;
    assert.equal(pod.serviceAccountName, 'billing-pr-7');
    assert.deepEqual(pod.containers[0].envFrom, [{ configMapRef: { name: 'billing-config-pr-7' } }, { secretRef: { name: 'shared-secret' } }]);
    assert.equal(pod.containers[0].env[0].valueFrom.secretKeyRef.name, 'billing-db-pr-7');
    assert.equal(pod.volumes[0].configMap.name, 'billing-config-pr-7');
  });

  it('the Ingress answers at the preview’s host, backed by the preview’s Service, without the main TLS', () => {
    const ingress = find('Ingress').spec;
    assert.equal(ingress['rules'][0].host, 'pr-7.billing.example.com');
    assert.equal(ingress['rules'][0].http.paths[0].backend.service.name, 'billing-pr-7');
    assert.equal(ingress['tls'], undefined);
    const noHost = previewManifests(rendered, { ...target, url: null }).objects.find((o) => o.kind === 'Ingress') as unknown as { spec: Json };
    assert.equal('host' in noHost.spec['rules'][0], false, 'no host of the main deploy');
  });

  it('leaves the rendered objects as they were, and prunes what a redeploy no longer holds', () => {
    assert.equal(rendered[0]!.metadata.name, 'billing');
    const before = inventoryOf(objects);
    const after = inventoryOf(objects.filter((o) => o.kind !== 'ConfigMap'));
    assert.deepEqual(prunedEntries(before, after), [{ apiVersion: 'v1', kind: 'ConfigMap', namespace: 'payments-preview', name: 'billing-config-pr-7' }]);
  });
});
