import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { waitUntil } from '@sluice/testing';
import { applyObject, mergePatch, patchStatus } from './apply';
import { KubeClient } from './client';
import { KubeForbiddenError } from './errors';
import { withBearerToken } from './kube-config';
import type { KubeObject, ObjectRef } from './types';
import { watchResources } from './watch';
import { adminClient, createTestNamespace, deleteTestNamespace, randomSuffix, serviceAccountToken } from './testing/env';

/*
 * The RBAC in deploy/rbac/, exercised with real service-account tokens (TokenRequest API):
 * every call the services make is allowed; what they must not do is forbidden.
 */

const SYSTEM_NS = 'sluice-system';
const SHA = '0123456789abcdef0123456789abcdef01234567';

async function forbidden(p: Promise<unknown>, what: string): Promise<void> {
  const err = await p.then(
    () => assert.fail(`${what} should be forbidden`),
    (e: unknown) => e,
  );
  assert.ok(err instanceof KubeForbiddenError, `${what}: expected 403, got ${String(err)}`);
}

async function tokenClient(admin: KubeClient, serviceAccount: string): Promise<KubeClient> {
  return new KubeClient(withBearerToken(admin.config, await serviceAccountToken(admin, SYSTEM_NS, serviceAccount)));
}

/**
 * list + a watch that reaches SYNCED and stays open for a moment without errors other than
 * 410 Gone (the server may expire a resourceVersion at any time; the watcher relists, and
 * that says nothing about RBAC).
 */
async function listAndWatch(client: KubeClient, ref: Omit<ObjectRef, 'name'>): Promise<void> {
  await client.list(ref);
  const watcher = watchResources(client, { ...ref, backoff: { initialDelayMs: 10, maxDelayMs: 20 } });
  try {
    await watcher.waitForSync();
    await new Promise((r) => setTimeout(r, 300));
    assert.equal(watcher.stats.errors - watcher.stats.gone, 0, `watch ${ref.kind}: ${JSON.stringify(watcher.stats)}`);
  } finally {
    watcher.stop();
  }
}

describe('RBAC in deploy/rbac on a real kube-apiserver', () => {
  let admin: KubeClient;
  let ns: string;
  let other: string;

  before(async () => {
    admin = adminClient();
    ns = await createTestNamespace(admin, 'rbac');
    other = await createTestNamespace(admin, 'rbac-other');
    for (const n of [ns, other]) {
      await admin.create({ apiVersion: 'v1', kind: 'Secret', metadata: { name: 'db', namespace: n }, stringData: { password: 'x' } });
    }
  });
  after(async () => {
    await deleteTestNamespace(admin, ns);
    await deleteTestNamespace(admin, other);
  });

  describe('sluice-kube-applier', () => {
    let applier: KubeClient;
    before(async () => {
      applier = await tokenClient(admin, 'sluice-kube-applier');
    });

    it('manages DeployConfigs and their status in any namespace', async () => {
      const dc: KubeObject = {
        apiVersion: 'sluice.dev/v1alpha1',
        kind: 'DeployConfig',
        metadata: { name: 'billing-api', namespace: ns },
        spec: { team: 'payments', artifactSha: null, configSha: SHA, imageTag: null, specs: [] },
      };
      const ref = { apiVersion: 'sluice.dev/v1alpha1', kind: 'DeployConfig', namespace: ns, name: 'billing-api' };
      await applier.create(dc, { fieldManager: 'sluice' });
      await applyObject(applier, dc, { fieldManager: 'sluice' });
      await mergePatch(applier, ref, { metadata: { labels: { 'sluice.dev/team': 'payments' } } });
      const current = await applier.get(ref);
      await applier.request({ method: 'PUT', path: await applier.path(ref), body: current });
      await patchStatus(applier, ref, { phase: 'Applying', observedGeneration: 1 }, { fieldManager: 'sluice' });
      await listAndWatch(applier, { apiVersion: 'sluice.dev/v1alpha1', kind: 'DeployConfig' });
      await listAndWatch(applier, { apiVersion: 'sluice.dev/v1alpha1', kind: 'DeployConfig', namespace: ns });
      assert.equal(await applier.delete(ref), true);
    });

    it('server-side-applies, reads, lists and deletes every common workload kind', async () => {
      const labels = { app: 'web' };
      const podSpec = { containers: [{ name: 'web', image: 'nginx:1.27' }] };
      const objects: KubeObject[] = [
        { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'web' }, data: { a: '1' } },
        { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'web' } },
        { apiVersion: 'v1', kind: 'Service', metadata: { name: 'web' }, spec: { selector: labels, ports: [{ port: 80 }] } },
        { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'web' }, spec: { selector: { matchLabels: labels }, template: { metadata: { labels }, spec: podSpec } } },
        { apiVersion: 'apps/v1', kind: 'StatefulSet', metadata: { name: 'web' }, spec: { serviceName: 'web', selector: { matchLabels: labels }, template: { metadata: { labels }, spec: podSpec } } },
        { apiVersion: 'apps/v1', kind: 'DaemonSet', metadata: { name: 'web' }, spec: { selector: { matchLabels: labels }, template: { metadata: { labels }, spec: podSpec } } },
        { apiVersion: 'batch/v1', kind: 'Job', metadata: { name: 'migrate' }, spec: { template: { spec: { ...podSpec, restartPolicy: 'Never' } } } },
        { apiVersion: 'batch/v1', kind: 'CronJob', metadata: { name: 'nightly' }, spec: { schedule: '0 3 * * *', jobTemplate: { spec: { template: { spec: { ...podSpec, restartPolicy: 'Never' } } } } } },
        { apiVersion: 'networking.k8s.io/v1', kind: 'Ingress', metadata: { name: 'web' }, spec: { defaultBackend: { service: { name: 'web', port: { number: 80 } } } } },
        { apiVersion: 'policy/v1', kind: 'PodDisruptionBudget', metadata: { name: 'web' }, spec: { minAvailable: 1, selector: { matchLabels: labels } } },
        { apiVersion: 'autoscaling/v2', kind: 'HorizontalPodAutoscaler', metadata: { name: 'web' }, spec: { scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'web' }, minReplicas: 1, maxReplicas: 3 } },
      ];
      for (const o of objects) {
        o.metadata.namespace = ns;
        o.metadata.labels = { 'sluice.dev/config': 'web' };
        const ref = { apiVersion: o.apiVersion, kind: o.kind, namespace: ns, name: o.metadata.name! };
        await applyObject(applier, o, { fieldManager: 'sluice', force: true });
        await applier.get(ref);
        await applier.list({ apiVersion: o.apiVersion, kind: o.kind }, { labelSelector: 'sluice.dev/config=web' });
        await listAndWatch(applier, { apiVersion: o.apiVersion, kind: o.kind, namespace: ns });
        assert.equal(await applier.delete(ref), true, `delete ${o.kind}`);
      }
    });

    it('may not write workload status, RBAC, namespaces, or read Secrets anywhere unless bound per namespace', async () => {
      await applyObject(applier, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'x', namespace: ns } }, { fieldManager: 'sluice' });
      const deploy: KubeObject = {
        apiVersion: 'apps/v1',
        kind: 'Deployment',
        metadata: { name: 'st', namespace: ns },
        spec: { selector: { matchLabels: { a: 'b' } }, template: { metadata: { labels: { a: 'b' } }, spec: { containers: [{ name: 'c', image: 'nginx' }] } } },
      };
      await applyObject(applier, deploy, { fieldManager: 'sluice' });
      await forbidden(patchStatus(applier, { apiVersion: 'apps/v1', kind: 'Deployment', namespace: ns, name: 'st' }, { replicas: 3 }), 'deployments/status');

      await forbidden(applier.list({ apiVersion: 'v1', kind: 'Secret' }), 'list secrets cluster-wide');
      await forbidden(applier.get({ apiVersion: 'v1', kind: 'Secret', namespace: ns, name: 'db' }), 'get secret (not bound)');
      await forbidden(applier.list({ apiVersion: 'v1', kind: 'Pod' }), 'list pods');
      await forbidden(applier.create({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: `x-${randomSuffix()}` } }), 'create namespace');
      await forbidden(
        applyObject(applier, { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRole', metadata: { name: `x-${randomSuffix()}` }, rules: [] }, { fieldManager: 'sluice' }),
        'apply ClusterRole',
      );

      // A team opts a namespace in to Secrets with a RoleBinding to sluice-kube-applier-secrets.
      await admin.create({
        apiVersion: 'rbac.authorization.k8s.io/v1',
        kind: 'RoleBinding',
        metadata: { name: 'sluice-kube-applier-secrets', namespace: ns },
        roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'sluice-kube-applier-secrets' },
        subjects: [{ kind: 'ServiceAccount', name: 'sluice-kube-applier', namespace: SYSTEM_NS }],
      });
      // The API server's RBAC authorizer learns of a new binding through its informer, a moment later.
      await waitUntil(async () => Boolean(await applier.get({ apiVersion: 'v1', kind: 'Secret', namespace: ns, name: 'db' })), {
        message: 'the RoleBinding never took effect',
      });
      const secret: KubeObject = { apiVersion: 'v1', kind: 'Secret', metadata: { name: 'app', namespace: ns }, stringData: { k: 'v' } };
      await applyObject(applier, secret, { fieldManager: 'sluice' });
      await applier.delete({ apiVersion: 'v1', kind: 'Secret', namespace: ns, name: 'app' });
      await forbidden(applier.get({ apiVersion: 'v1', kind: 'Secret', namespace: other, name: 'db' }), 'get secret in another namespace');
      await forbidden(applier.list({ apiVersion: 'v1', kind: 'Secret' }), 'list secrets cluster-wide after the namespaced binding');
    });
  });

  describe('sluice-commit-status', () => {
    let cs: KubeClient;
    const secretName = `gh-token-${randomSuffix()}`;
    before(async () => {
      cs = await tokenClient(admin, 'sluice-commit-status');
      await admin.create({ apiVersion: 'v1', kind: 'Secret', metadata: { name: secretName, namespace: SYSTEM_NS }, stringData: { token: 't' } });
      await admin.create({
        apiVersion: 'sluice.dev/v1alpha1',
        kind: 'GitRepo',
        metadata: { name: 'billing', namespace: ns },
        spec: { provider: 'github', owner: 'acme', name: 'billing', secretRef: { name: secretName } },
      });
    });
    after(async () => {
      await admin.delete({ apiVersion: 'v1', kind: 'Secret', namespace: SYSTEM_NS, name: secretName });
    });

    it('manages CommitStatuses and their status, reads GitRepos', async () => {
      const ref = { apiVersion: 'sluice.dev/v1alpha1', kind: 'CommitStatus', namespace: ns, name: 'deploy-billing' };
      const obj: KubeObject = {
        apiVersion: 'sluice.dev/v1alpha1',
        kind: 'CommitStatus',
        metadata: { name: 'deploy-billing', namespace: ns },
        spec: { gitRepoRef: { name: 'billing' }, sha: SHA, name: 'sluice/deploy', phase: 'queued' },
      };
      await applyObject(cs, obj, { fieldManager: 'sluice-commit-status' });
      await applyObject(cs, { ...obj, spec: { ...(obj.spec as object), phase: 'in_progress' } }, { fieldManager: 'sluice-commit-status' });
      await cs.create({ ...obj, metadata: { name: 'created', namespace: ns } });
      await mergePatch(cs, ref, { spec: { description: 'Deploying' } });
      await cs.request({ method: 'PUT', path: await cs.path(ref), body: await cs.get(ref) });
      await patchStatus(cs, ref, { isSynced: true, phase: 'in_progress', provider: { github: { checkRunId: 7 } } });
      await listAndWatch(cs, { apiVersion: 'sluice.dev/v1alpha1', kind: 'CommitStatus' });
      const repoRef = { apiVersion: 'sluice.dev/v1alpha1', kind: 'GitRepo', namespace: ns, name: 'billing' };
      await cs.get(repoRef);
      await listAndWatch(cs, { apiVersion: 'sluice.dev/v1alpha1', kind: 'GitRepo' });
      assert.equal(await cs.delete(ref), true);
    });

    it('reads token Secrets only in sluice-system, by name, and may not change GitRepos', async () => {
      const token = await cs.get<KubeObject & { data: Record<string, string> }>({ apiVersion: 'v1', kind: 'Secret', namespace: SYSTEM_NS, name: secretName });
      assert.equal(Buffer.from(token.data.token!, 'base64').toString(), 't');
      await forbidden(cs.list({ apiVersion: 'v1', kind: 'Secret', namespace: SYSTEM_NS }), 'list secrets in sluice-system');
      await forbidden(cs.list({ apiVersion: 'v1', kind: 'Secret' }), 'list secrets cluster-wide');
      await forbidden(cs.get({ apiVersion: 'v1', kind: 'Secret', namespace: ns, name: 'db' }), 'get secret outside sluice-system');
      await forbidden(mergePatch(cs, { apiVersion: 'sluice.dev/v1alpha1', kind: 'GitRepo', namespace: ns, name: 'billing' }, { spec: { owner: 'evil' } }), 'patch GitRepo');
      await forbidden(cs.list({ apiVersion: 'sluice.dev/v1alpha1', kind: 'DeployConfig' }), 'list DeployConfigs');
    });
  });
});
