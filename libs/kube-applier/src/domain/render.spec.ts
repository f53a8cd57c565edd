import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { RenderError } from './errors';
import { defaultPolicy } from '@sluice/team-policy';
import { ownedObject, renderSpecs, specFilesOf, type RenderInput } from './render';

const input: RenderInput = {
  config: 'billing-api',
  namespace: 'payments',
  folder: 'deploy/billing-api',
  artifactImage: 'ghcr.io/acme/billing',
  imageTag: 'main-1a2b3c4',
};

const deployment = `
apiVersion: apps/v1
kind: Deployment
metadata:
  name: billing
  labels: { app: billing }
spec:
  selector: { matchLabels: { app: billing } }
  template:
    metadata: { labels: { app: billing } }
    spec:
      initContainers:
        - { name: migrate, image: ghcr.io/acme/billing:latest }
      containers:
        - { name: app, image: ghcr.io/acme/billing }
        - { name: proxy, image: envoyproxy/envoy:v1.31 }
---
apiVersion: v1
kind: Service
metadata: { name: billing }
spec: { ports: [{ port: 80 }] }
---
`;

const cronjob = `
apiVersion: batch/v1
kind: CronJob
metadata: { name: report, namespace: payments }
spec:
  schedule: "0 * * * *"
  jobTemplate:
    spec:
      template:
        spec:
          restartPolicy: Never
          containers: [{ name: r, image: "ghcr.io/acme/billing@sha256:0123" }]
`;

const file = (name: string, content: string) => ({ path: `deploy/billing-api/${name}`, content });

function renderError(fn: () => unknown): RenderError {
  try {
    fn();
  } catch (err) {
    assert.ok(err instanceof RenderError, `expected a RenderError, got ${String(err)}`);
    return err;
  }
  assert.fail('expected a RenderError');
}

describe('renderSpecs', () => {
  it('takes every yaml file of the folder except deploy.yaml, in path order', () => {
    const files = specFilesOf('deploy/billing-api', [
      file('deploy.yaml', 'name: billing-api'),
      file('b.yml', ''),
      file('a.yaml', ''),
      file('README.md', ''),
      file('nested/c.yaml', ''),
      { path: 'deploy/other/x.yaml', content: '' },
    ]);
    assert.deepEqual(files.map((f) => f.path), ['deploy/billing-api/a.yaml', 'deploy/billing-api/b.yml']);
  });

  it('tags the artifact image in containers and init containers of pod templates, and only that image', () => {
    const [dep, svc, cron] = renderSpecs([file('app.yaml', deployment), file('cron.yaml', cronjob), file('deploy.yaml', 'team: x')], input);
    const pod = (dep as unknown as { spec: { template: { spec: { containers: Array<{ image: string }>; initContainers: Array<{ image: string }> } } } }).spec.template.spec;
    assert.equal(pod.initContainers[0]!.image, 'ghcr.io/acme/billing:main-1a2b3c4');
    assert.equal(pod.containers[0]!.image, 'ghcr.io/acme/billing:main-1a2b3c4');
    assert.equal(pod.containers[1]!.image, 'envoyproxy/envoy:v1.31');
    assert.equal(svc!.kind, 'Service');
    const cronPod = (cron as unknown as { spec: { jobTemplate: { spec: { template: { spec: { containers: Array<{ image: string }> } } } } } }).spec.jobTemplate.spec.template.spec;
    assert.equal(cronPod.containers[0]!.image, 'ghcr.io/acme/billing:main-1a2b3c4');
  });

  it('forces the namespace and labels every object with the config', () => {
    const objects = renderSpecs([file('app.yaml', deployment), file('cron.yaml', cronjob)], input);
    assert.equal(objects.length, 3);
    for (const o of objects) {
      assert.equal(o.metadata.namespace, 'payments');
      assert.equal(o.metadata.labels?.['sluice.dev/config'], 'billing-api');
    }
    assert.equal(objects[0]!.metadata.labels?.['app'], 'billing');
  });

  it('leaves images alone for an artifactless config', () => {
    const [dep] = renderSpecs([file('app.yaml', deployment)], { ...input, artifactImage: null, imageTag: null });
    assert.equal((dep as unknown as { spec: { template: { spec: { containers: Array<{ image: string }> } } } }).spec.template.spec.containers[0]!.image, 'ghcr.io/acme/billing');
  });

  it('expands a v1 List', () => {
    const list = `apiVersion: v1\nkind: List\nitems:\n  - { apiVersion: v1, kind: ConfigMap, metadata: { name: a } }\n  - { apiVersion: v1, kind: ConfigMap, metadata: { name: b } }\n`;
    assert.deepEqual(renderSpecs([file('l.yaml', list)], input).map((o) => o.metadata.name), ['a', 'b']);
  });

  it('fails terminally, naming the file, on YAML that does not parse', () => {
    const err = renderError(() => renderSpecs([file('ok.yaml', deployment), file('bad.yaml', 'kind: [unclosed')], input));
    assert.equal(err.reason, 'InvalidManifest');
    assert.match(err.message, /bad\.yaml/);
  });

  it('fails on a document without kind, apiVersion or name', () => {
    assert.equal(renderError(() => renderSpecs([file('x.yaml', 'apiVersion: v1\nmetadata: { name: a }')], input)).reason, 'InvalidManifest');
    assert.equal(renderError(() => renderSpecs([file('x.yaml', 'kind: ConfigMap\nmetadata: { name: a }')], input)).reason, 'InvalidManifest');
    assert.match(renderError(() => renderSpecs([file('x.yaml', 'apiVersion: v1\nkind: ConfigMap\nmetadata: { generateName: a- }')], input)).message, /generateName/);
    assert.equal(renderError(() => renderSpecs([file('x.yaml', '- a\n- b')], input)).reason, 'InvalidManifest');
  });

  it('refuses cluster-scoped and security-sensitive kinds', () => {
    for (const kind of ['Namespace', 'ClusterRole', 'ClusterRoleBinding', 'CustomResourceDefinition', 'DeployConfig']) {
      const err = renderError(() => renderSpecs([file('x.yaml', `apiVersion: v1\nkind: ${kind}\nmetadata: { name: a }`)], input));
      assert.equal(err.reason, 'ForbiddenKind', kind);
    }
  });

  it('renders a cluster-scoped kind its team policy lists, without a namespace; others stay refused', () => {
    const policy = { ...defaultPolicy('payments'), source: 'api' as const, clusterKinds: [{ group: 'rbac.authorization.k8s.io', kind: 'ClusterRole' }] };
    const role = 'apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata: { name: payments-reader }\nrules: []\n';
    const [placed] = renderSpecs([file('r.yaml', role)], { ...input, policy });
    assert.equal(placed!.metadata.namespace, undefined);
    assert.equal(placed!.metadata.labels?.['sluice.dev/config'], 'billing-api');
    const binding = 'apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRoleBinding\nmetadata: { name: b }\n';
    const err = renderError(() => renderSpecs([file('b.yaml', binding)], { ...input, policy }));
    assert.equal(err.reason, 'ForbiddenKind');
    assert.match(err.message, /ClusterRoleBinding\.rbac\.authorization\.k8s\.io is cluster-scoped and the policy of team "payments" does not allow it \(allowed: ClusterRole\.rbac\.authorization\.k8s\.io\)/);
  });

  it('refuses an object in another namespace', () => {
    const err = renderError(() => renderSpecs([file('x.yaml', 'apiVersion: v1\nkind: ConfigMap\nmetadata: { name: a, namespace: kube-system }')], input));
    assert.equal(err.reason, 'ForeignNamespace');
    assert.match(err.message, /kube-system/);
  });

  it('refuses the same object defined twice', () => {
    const cm = 'apiVersion: v1\nkind: ConfigMap\nmetadata: { name: a }\n';
    assert.equal(renderError(() => renderSpecs([file('a.yaml', cm), file('b.yaml', cm)], input)).reason, 'DuplicateObject');
  });
});

describe('ownedObject', () => {
  const owner = { config: 'billing-api', namespace: 'payments', uid: 'u-1', apiVersion: 'sluice.dev/v1alpha1', kind: 'DeployConfig' };

  it('adds the controller owner reference and label, and drops server-owned fields', () => {
    const obj = ownedObject(
      { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'a', resourceVersion: '12', uid: 'x', ownerReferences: [{ apiVersion: 'v1', kind: 'Foo', name: 'f', uid: 'f-1' }] }, status: {} },
      owner,
    );
    assert.equal(obj.metadata.namespace, 'payments');
    assert.equal(obj.metadata.resourceVersion, undefined);
    assert.equal(obj.metadata.uid, undefined);
    assert.equal(obj['status'], undefined);
    assert.equal(obj.metadata.labels?.['sluice.dev/config'], 'billing-api');
    assert.deepEqual(obj.metadata.ownerReferences?.map((r) => r.uid), ['f-1', 'u-1']);
    assert.equal(obj.metadata.ownerReferences?.[1]?.controller, true);
  });

  it('labels an allowed cluster-scoped object but gives it no owner reference (a namespaced owner cannot own it)', () => {
    const policy = { ...defaultPolicy('payments'), source: 'api' as const, clusterKinds: [{ group: 'example.com', kind: 'Widget' }] };
    const obj = ownedObject({ apiVersion: 'example.com/v1', kind: 'Widget', metadata: { name: 'w' } }, owner, { policy, clusterScoped: true });
    assert.equal(obj.metadata.namespace, undefined);
    assert.equal(obj.metadata.labels?.['sluice.dev/config'], 'billing-api');
    assert.deepEqual(obj.metadata.ownerReferences, []);
    assert.throws(() => ownedObject({ apiVersion: 'example.com/v1', kind: 'Gadget', metadata: { name: 'g' } }, owner, { policy, clusterScoped: true }), RenderError);
  });

  it('re-checks a hand-edited spec for a foreign namespace', () => {
    assert.throws(() => ownedObject({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'a', namespace: 'other' } }, owner), RenderError);
  });
});
