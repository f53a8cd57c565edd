import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { waitUntil } from '@sluice/testing';
import { applyObject, mergePatch, patchStatus } from './apply';
import type { KubeClient } from './client';
import { KubeForbiddenError } from './errors';
import { withRetry } from './retry';
import type { KubeObject, ObjectRef } from './types';
import { watchResources } from './watch';
import { adminClient, createTestNamespace, deleteTestNamespace, randomSuffix } from './testing/env';
import { installRbacCopy, type AccessCheck, type RbacCopy } from './testing/rbac';

/*
 * The RBAC in deploy/rbac/, exercised with real service-account tokens (TokenRequest API) and
 * SubjectAccessReviews, on a private copy of it (testing/rbac.ts: the shared test cluster may
 * hold another checkout's rules): every call the services make is allowed; what they must
 * not do is forbidden.
 */

const SHA = '0123456789abcdef0123456789abcdef01234567';
const DEPLOYER = 'sluice-kube-applier-deployer';

async function forbidden(p: Promise<unknown>, what: string): Promise<void> {
  const err = await p.then(
    () => assert.fail(`${what} should be forbidden`),
    (e: unknown) => e,
  );
  assert.ok(err instanceof KubeForbiddenError, `${what}: expected 403, got ${String(err)}`);
}

/**
 * list + a watch that reaches SYNCED and stays open for a moment without errors other than
 * 410 Gone (the server may expire a resourceVersion at any time; the watcher relists, and
 * that says nothing about RBAC).
 */
async function listAndWatch(client: KubeClient, ref: Omit<ObjectRef, 'name'>): Promise<void> {
  // Retried: another test file re-applying a CRD makes its storage answer 429 for a moment.
  await withRetry(() => client.list(ref));
  const watcher = watchResources(client, { ...ref, backoff: { initialDelayMs: 10, maxDelayMs: 20 } });
  try {
    await watcher.waitForSync();
    await new Promise((r) => setTimeout(r, 300));
    assert.equal(watcher.stats.errors - watcher.stats.gone, 0, `watch ${ref.kind}: ${JSON.stringify(watcher.stats)}`);
  } finally {
    watcher.stop();
  }
}

const configMap = (namespace: string, name = `cm-${randomSuffix()}`): KubeObject => ({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, namespace }, data: { a: '1' } });
const deployment = (namespace: string): KubeObject => ({
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  metadata: { name: `d-${randomSuffix()}`, namespace },
  spec: { selector: { matchLabels: { a: 'b' } }, template: { metadata: { labels: { a: 'b' } }, spec: { containers: [{ name: 'c', image: 'nginx' }] } } },
});
const deployConfig = (namespace: string, name = `dc-${randomSuffix()}`): KubeObject => ({
  apiVersion: 'sluice.dev/v1alpha1',
  kind: 'DeployConfig',
  metadata: { name, namespace },
  spec: { team: 'payments', artifactSha: null, configSha: SHA, imageTag: null, specs: [] },
});

/** Neither service may change who may do what, make namespaces, or touch Secrets where nothing grants it. */
async function cannotEscalate(client: KubeClient, namespaces: string[], who: string): Promise<void> {
  await forbidden(applyObject(client, { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRole', metadata: { name: `x-${randomSuffix()}` }, rules: [] } as KubeObject, { fieldManager: 'sluice' }), `${who}: apply ClusterRole`);
  await forbidden(client.create({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: `x-${randomSuffix()}` } }), `${who}: create Namespace`);
  for (const namespace of namespaces) {
    await forbidden(
      client.create({
        apiVersion: 'rbac.authorization.k8s.io/v1',
        kind: 'RoleBinding',
        metadata: { name: `x-${randomSuffix()}`, namespace },
        roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'cluster-admin' },
        subjects: [{ kind: 'User', name: 'mallory' }],
      } as KubeObject),
      `${who}: create RoleBinding in ${namespace}`,
    );
    await forbidden(client.create({ apiVersion: 'v1', kind: 'Secret', metadata: { name: `x-${randomSuffix()}`, namespace }, stringData: { k: 'v' } }), `${who}: create Secret in ${namespace}`);
  }
}

describe('RBAC in deploy/rbac on a real kube-apiserver', () => {
  let admin: KubeClient;
  let rbac: RbacCopy;
  /** A team namespace the operator bound sluice-kube-applier-deployer in. */
  let ns: string;
  /** Another team's namespace: no binding. */
  let other: string;
  const canI = (check: AccessCheck) => rbac.allowed('sluice-kube-applier', check);

  before(async () => {
    admin = adminClient();
    rbac = await installRbacCopy(admin);
    ns = await createTestNamespace(admin, 'rbac');
    other = await createTestNamespace(admin, 'rbac-other');
    for (const n of [ns, other]) {
      await admin.create({ apiVersion: 'v1', kind: 'Secret', metadata: { name: 'db', namespace: n }, stringData: { password: 'x' } });
    }
    await rbac.bind(ns, DEPLOYER, 'sluice-kube-applier', { verb: 'patch', group: 'apps', resource: 'deployments' });
  });
  after(async () => {
    await rbac?.remove();
    await deleteTestNamespace(admin, ns);
    await deleteTestNamespace(admin, other);
  });

  describe('sluice-kube-applier', () => {
    let applier: KubeClient;
    /** Namespaces with no RoleBinding for kube-applier: the cluster's, Sluice's own (the copy's and the real one), another team's. */
    let unbound: string[];
    before(async () => {
      applier = await rbac.client('sluice-kube-applier');
      unbound = ['kube-system', rbac.systemNamespace, 'sluice-system', other];
    });

    it('reads DeployConfigs, health-checked workloads and namespaces cluster-wide, and writes DeployConfig status anywhere', async () => {
      await listAndWatch(applier, { apiVersion: 'sluice.dev/v1alpha1', kind: 'DeployConfig' });
      for (const [apiVersion, kind] of [['apps/v1', 'Deployment'], ['apps/v1', 'StatefulSet'], ['apps/v1', 'DaemonSet'], ['batch/v1', 'Job']] as const) {
        await listAndWatch(applier, { apiVersion, kind });
      }
      await applier.get({ apiVersion: 'v1', kind: 'Namespace', name: other });
      await forbidden(applier.list({ apiVersion: 'v1', kind: 'Namespace' }), 'list namespaces');
      await forbidden(mergePatch(applier, { apiVersion: 'v1', kind: 'Namespace', name: other }, { metadata: { labels: { team: 'x' } } }), 'label a namespace');
      // A DeployConfig in a namespace kube-applier may not deploy to: it can say so in its status, nothing more.
      const dc = await admin.create(deployConfig(other));
      const ref = { apiVersion: 'sluice.dev/v1alpha1', kind: 'DeployConfig', namespace: other, name: dc.metadata.name! };
      await patchStatus(applier, ref, { phase: 'Failed', observedGeneration: 1 }, { fieldManager: 'sluice' });
      await forbidden(mergePatch(applier, ref, { metadata: { labels: { x: 'y' } } }), 'patch a DeployConfig in an unbound namespace');
      await forbidden(applier.delete(ref), 'delete a DeployConfig in an unbound namespace');
    });

    it('manages DeployConfigs in a bound namespace', async () => {
      const dc = deployConfig(ns, 'billing-api');
      const ref = { apiVersion: 'sluice.dev/v1alpha1', kind: 'DeployConfig', namespace: ns, name: 'billing-api' };
      await applier.create(dc, { fieldManager: 'sluice' });
      await applyObject(applier, dc, { fieldManager: 'sluice' });
      await mergePatch(applier, ref, { metadata: { labels: { 'sluice.dev/team': 'payments' } } });
      const current = await applier.get(ref);
      await applier.request({ method: 'PUT', path: await applier.path(ref), body: current });
      await patchStatus(applier, ref, { phase: 'Applying', observedGeneration: 1 }, { fieldManager: 'sluice' });
      await listAndWatch(applier, { apiVersion: 'sluice.dev/v1alpha1', kind: 'DeployConfig', namespace: ns });
      assert.equal(await applier.delete(ref), true);
    });

    it('server-side-applies, reads, lists and deletes every common workload kind in a bound namespace', async () => {
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
        await applier.list({ apiVersion: o.apiVersion, kind: o.kind, namespace: ns }, { labelSelector: 'sluice.dev/config=web' });
        await listAndWatch(applier, { apiVersion: o.apiVersion, kind: o.kind, namespace: ns });
        assert.equal(await applier.delete(ref), true, `delete ${o.kind}`);
      }
    });

    it('may not create, change or delete a Deployment, ConfigMap or DeployConfig in a namespace without its RoleBinding', async () => {
      for (const namespace of unbound) {
        for (const [group, resource] of [['apps', 'deployments'], ['', 'configmaps'], ['sluice.dev', 'deployconfigs'], ['', 'services'], ['batch', 'jobs']] as const) {
          for (const verb of ['create', 'patch', 'update', 'delete']) {
            assert.equal(await canI({ verb, group, resource, namespace }), false, `${verb} ${resource} in ${namespace}`);
          }
        }
        assert.equal(await canI({ verb: 'get', resource: 'configmaps', namespace }), false, `get configmaps in ${namespace}`);
        await forbidden(applyObject(applier, configMap(namespace), { fieldManager: 'sluice', force: true }), `apply a ConfigMap in ${namespace}`);
        await forbidden(applyObject(applier, deployment(namespace), { fieldManager: 'sluice', force: true }), `apply a Deployment in ${namespace}`);
        await forbidden(applier.create(deployConfig(namespace)), `create a DeployConfig in ${namespace}`);
      }
      // ... and may in the namespace the operator bound.
      for (const [group, resource] of [['apps', 'deployments'], ['', 'configmaps'], ['sluice.dev', 'deployconfigs']] as const) {
        for (const verb of ['create', 'patch', 'delete']) assert.equal(await canI({ verb, group, resource, namespace: ns }), true, `${verb} ${resource} in ${ns}`);
      }
      for (const obj of [configMap(ns), deployment(ns)]) {
        await applyObject(applier, obj, { fieldManager: 'sluice', force: true });
        await applier.delete({ apiVersion: obj.apiVersion, kind: obj.kind, namespace: ns, name: obj.metadata.name! });
      }
    });

    it('runs builds only where it may deploy: BuildRuns and their Jobs in a bound namespace, their status and reads anywhere', async () => {
      await listAndWatch(applier, { apiVersion: 'sluice.dev/v1alpha1', kind: 'BuildRun' });
      for (const verb of ['create', 'delete']) {
        assert.equal(await canI({ verb, group: 'sluice.dev', resource: 'buildruns', namespace: ns }), true, `${verb} buildruns in ${ns}`);
        assert.equal(await canI({ verb, group: 'batch', resource: 'jobs', namespace: ns }), true, `${verb} jobs in ${ns}`);
        for (const namespace of unbound) {
          assert.equal(await canI({ verb, group: 'sluice.dev', resource: 'buildruns', namespace }), false, `${verb} buildruns in ${namespace}`);
          assert.equal(await canI({ verb, group: 'batch', resource: 'jobs', namespace }), false, `${verb} jobs in ${namespace}`);
        }
      }
      assert.equal(await canI({ verb: 'patch', group: 'sluice.dev', resource: 'buildruns', subresource: 'status', namespace: other }), true, 'patch buildruns/status anywhere');
      assert.equal(await canI({ verb: 'patch', group: 'sluice.dev', resource: 'buildruns', namespace: ns }), false, 'a BuildRun spec is never changed');
    });

    it('may not write workload status, RBAC, namespaces, or Secrets unless a namespace opts in to Secrets', async () => {
      const d = deployment(ns);
      await applyObject(applier, d, { fieldManager: 'sluice' });
      await forbidden(patchStatus(applier, { apiVersion: 'apps/v1', kind: 'Deployment', namespace: ns, name: d.metadata.name! }, { replicas: 3 }), 'deployments/status');
      await cannotEscalate(applier, [ns, ...unbound], 'kube-applier');
      await forbidden(applier.list({ apiVersion: 'v1', kind: 'Secret' }), 'list secrets cluster-wide');
      await forbidden(applier.get({ apiVersion: 'v1', kind: 'Secret', namespace: ns, name: 'db' }), 'get secret (not bound)');
      await forbidden(applier.list({ apiVersion: 'v1', kind: 'Pod' }), 'list pods');
      await forbidden(applier.list({ apiVersion: 'v1', kind: 'ConfigMap' }), 'list configmaps cluster-wide');

      // A team opts a namespace in to Secrets with a RoleBinding to sluice-kube-applier-secrets.
      await rbac.bind(ns, 'sluice-kube-applier-secrets', 'sluice-kube-applier', { verb: 'get', resource: 'secrets', name: 'db' });
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
    /** The token Secret deploy/rbac names (COMMIT_STATUS_GITHUB_SECRET's default), and one it does not. */
    const listed = 'sluice-github';
    const unlisted = `gh-token-${randomSuffix()}`;
    before(async () => {
      cs = await rbac.client('sluice-commit-status');
      for (const name of [listed, unlisted]) {
        await admin.create({ apiVersion: 'v1', kind: 'Secret', metadata: { name, namespace: rbac.systemNamespace }, stringData: { token: name } });
      }
      await admin.create({
        apiVersion: 'sluice.dev/v1alpha1',
        kind: 'GitRepo',
        metadata: { name: 'billing', namespace: ns },
        spec: { provider: 'github', owner: 'acme', name: 'billing', secretRef: { name: listed } },
      });
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

    it('reads only the token Secrets its Role names, in its own namespace; may not change GitRepos or escalate', async () => {
      const token = await cs.get<KubeObject & { data: Record<string, string> }>({ apiVersion: 'v1', kind: 'Secret', namespace: rbac.systemNamespace, name: listed });
      assert.equal(Buffer.from(token.data.token!, 'base64').toString(), listed);
      await forbidden(cs.get({ apiVersion: 'v1', kind: 'Secret', namespace: rbac.systemNamespace, name: unlisted }), 'get a Secret not in resourceNames');
      assert.equal(await rbac.allowed('sluice-commit-status', { verb: 'get', resource: 'secrets', namespace: rbac.systemNamespace, name: unlisted }), false);
      await forbidden(cs.list({ apiVersion: 'v1', kind: 'Secret', namespace: rbac.systemNamespace }), 'list secrets in its namespace');
      await forbidden(cs.list({ apiVersion: 'v1', kind: 'Secret' }), 'list secrets cluster-wide');
      await forbidden(cs.get({ apiVersion: 'v1', kind: 'Secret', namespace: ns, name: 'db' }), 'get secret outside its namespace');
      await forbidden(mergePatch(cs, { apiVersion: 'sluice.dev/v1alpha1', kind: 'GitRepo', namespace: ns, name: 'billing' }, { spec: { owner: 'evil' } }), 'patch GitRepo');
      await forbidden(cs.list({ apiVersion: 'sluice.dev/v1alpha1', kind: 'DeployConfig' }), 'list DeployConfigs');
      await forbidden(applyObject(cs, deployment(ns), { fieldManager: 'sluice-commit-status', force: true }), 'apply a Deployment');
      await cannotEscalate(cs, [ns, rbac.systemNamespace, 'kube-system'], 'commit-status');
    });
  });
});
