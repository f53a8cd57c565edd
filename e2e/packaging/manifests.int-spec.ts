import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { APPLY_PATCH, KubeClient, KubeError, loadKubeConfig, withRetry, type KubeObject } from '@sluice/kube';
import { createTestNamespace, installRbacCopy, serviceAccountMay, type AccessCheck } from '@sluice/kube/testing';
import { requireEnv } from '@sluice/testing';
import { loadKustomization, parseManifests, readRepoFile, SERVICES, type KubeManifest, type ServiceName } from './support';

/*
 * The Kubernetes manifests of deploy/ against the real test kube-apiserver (infra/kube.sh,
 * which has installed deploy/crds and deploy/rbac), without changing the cluster:
 * - every object of the kustomization (and the Secret template) is accepted by a server-side
 *   apply with dryRun=All and fieldValidation=Strict — schema, defaulting, admission, and no
 *   unknown or misspelled field silently dropped;
 * - the pod of every Deployment is admitted under the `restricted` Pod Security Standard;
 * - the ServiceAccounts the Deployments name may do what their service does, and no more
 *   (SubjectAccessReview against a private copy of deploy/rbac: the one thing it adds to the
 *   cluster, with a namespace standing in for a team's).
 */

const FIELD_MANAGER = 'sluice-packaging-dry-run';
type Deployment = KubeManifest & {
  spec: {
    replicas?: number;
    strategy?: { type: string; rollingUpdate?: Record<string, unknown> };
    template: { metadata: { labels: Record<string, string> }; spec: Record<string, unknown> & { serviceAccountName: string; affinity?: Record<string, unknown> } };
  };
};
type Pdb = KubeManifest & { spec: { minAvailable?: number | string; maxUnavailable?: number | string; selector: { matchLabels: Record<string, string> } } };

let client: KubeClient;
const { files } = loadKustomization();
const all = files.flatMap((f) => f.manifests);
const deployment = (s: ServiceName) => all.find((m) => m.kind === 'Deployment' && m.metadata.name === `sluice-${s}`) as Deployment;

const retrying = <T>(operation: string, fn: () => Promise<T>) => withRetry(fn, { operation, maxAttempts: 4 });

/** Server-side apply, dry run: what `kubectl apply --server-side --dry-run=server --force-conflicts` sends, with strict field validation. */
async function dryRunApply(obj: KubeManifest, opts: { retry: boolean } = { retry: true }): Promise<KubeObject> {
  const path = await client.path({ apiVersion: obj.apiVersion, kind: obj.kind, namespace: obj.metadata.namespace, name: obj.metadata.name });
  const apply = () =>
    client.request<KubeObject>({
      method: 'PATCH',
      path,
      query: { fieldManager: FIELD_MANAGER, force: true, dryRun: 'All', fieldValidation: 'Strict' },
      contentType: APPLY_PATCH,
      body: obj,
    });
  return opts.retry ? retrying(`dry-run apply ${obj.kind} ${obj.metadata.name}`, apply) : apply();
}

/** Creates a pod with dryRun=All: admission (PodSecurity, ServiceAccount) runs, nothing is stored. */
async function dryRunPod(namespace: string, s: ServiceName, spec: Record<string, unknown>): Promise<KubeObject> {
  return retrying(`dry-run pod ${s}`, () =>
    client.request<KubeObject>({
      method: 'POST',
      path: `/api/v1/namespaces/${namespace}/pods`,
      query: { dryRun: 'All', fieldValidation: 'Strict' },
      body: {
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: { name: `sluice-${s}`, namespace, labels: deployment(s).spec.template.metadata.labels },
        spec,
      },
    }),
  );
}

async function allowed(serviceAccount: string, attrs: AccessCheck): Promise<boolean> {
  return retrying('subjectaccessreview', () => serviceAccountMay(client, { namespace: 'sluice-system', name: serviceAccount }, attrs));
}

before(async () => {
  client = new KubeClient(loadKubeConfig({ from: 'file', path: requireEnv('KUBECONFIG') }), { userAgent: 'sluice-packaging-test' });
  const ns = await client.find({ apiVersion: 'v1', kind: 'Namespace', name: 'sluice-system' });
  assert.ok(ns, 'namespace sluice-system is missing: the test cluster installs deploy/rbac at start (infra/kube.sh)');
});

describe('deploy/kustomization.yaml on a real kube-apiserver (server-side apply, dry run, strict fields)', () => {
  for (const { file, manifests } of files) {
    it(`accepts every object of ${file}`, async () => {
      assert.ok(manifests.length > 0);
      for (const obj of manifests) {
        const applied = await dryRunApply(obj);
        assert.equal(applied.kind, obj.kind);
        assert.equal(applied.metadata.name, obj.metadata.name);
        if (obj.kind === 'Deployment') {
          // What the server would store still runs the right identity and probes.
          const pod = (applied as unknown as Deployment).spec.template.spec as { serviceAccountName: string; containers: Record<string, unknown>[] };
          assert.equal(pod.serviceAccountName, (obj as Deployment).spec.template.spec.serviceAccountName);
          for (const probe of ['startupProbe', 'livenessProbe', 'readinessProbe']) assert.ok(pod.containers[0]![probe], `${obj.metadata.name}: ${probe}`);
          // Two replicas rolled with none unavailable, spread over nodes by a soft anti-affinity.
          const spec = (applied as unknown as Deployment).spec;
          assert.equal(spec.replicas, 2, `${obj.metadata.name}: replicas`);
          assert.deepEqual(spec.strategy, { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 0, maxSurge: 1 } }, `${obj.metadata.name}: strategy`);
          assert.deepEqual(spec.template.spec.affinity, (obj as Deployment).spec.template.spec.affinity, `${obj.metadata.name}: pod anti-affinity kept`);
        }
        if (obj.kind === 'PodDisruptionBudget') assert.equal((applied as unknown as Pdb).spec.minAvailable, 1, `${obj.metadata.name}: minAvailable`);
      }
    });
  }

  it('has a PodDisruptionBudget for every Deployment, selecting its pods', () => {
    const deployments = all.filter((m) => m.kind === 'Deployment') as (Deployment & { spec: { selector: { matchLabels: Record<string, string> } } })[];
    const pdbs = all.filter((m) => m.kind === 'PodDisruptionBudget') as Pdb[];
    assert.equal(pdbs.length, deployments.length);
    for (const d of deployments) assert.ok(pdbs.some((p) => JSON.stringify(p.spec.selector.matchLabels) === JSON.stringify(d.spec.selector.matchLabels)), `${d.metadata.name}: PDB`);
  });

  it('accepts the Secret template (k8s/secret.example.yaml)', async () => {
    for (const obj of parseManifests(readRepoFile('deploy', 'k8s', 'secret.example.yaml'), 'k8s/secret.example.yaml')) {
      const applied = await dryRunApply(obj);
      assert.equal(applied.kind, 'Secret');
    }
  });

  it('accepts the BuildRun admission webhook (admission/buildrun-webhook.yaml)', async () => {
    for (const obj of parseManifests(readRepoFile('deploy', 'admission', 'buildrun-webhook.yaml'), 'admission/buildrun-webhook.yaml')) {
      const applied = await dryRunApply(obj);
      assert.equal(applied.kind, 'ValidatingWebhookConfiguration');
    }
  });

  it('the check bites: a misspelled field is rejected, not dropped', async () => {
    const broken = structuredClone(deployment('autodeploy'));
    const c = (broken.spec.template.spec['containers'] as Record<string, unknown>[])[0]!;
    c['readinesProbe'] = c['readinessProbe'];
    delete c['readinessProbe'];
    // Server-side apply cannot even build the typed patch (kube-apiserver answers 500 for that).
    await assert.rejects(
      dryRunApply(broken, { retry: false }),
      (err: unknown) => err instanceof KubeError && /readinesProbe: field not declared in schema|unknown field "[^"]*readinesProbe"/.test(err.message),
    );
  });
});

describe('the Deployments on a real kube-apiserver', () => {
  const namespace = `packaging-${randomBytes(4).toString('hex')}`;

  before(async () => {
    await client.create({
      apiVersion: 'v1',
      kind: 'Namespace',
      metadata: { name: namespace, labels: { 'sluice.dev/test': 'true', 'pod-security.kubernetes.io/enforce': 'restricted' } },
    });
    // The ServiceAccount admission plugin checks that a pod's ServiceAccount exists.
    for (const s of SERVICES) {
      const sa = all.find((m) => m.kind === 'ServiceAccount' && m.metadata.name === deployment(s).spec.template.spec.serviceAccountName)!;
      await client.create({ ...sa, metadata: { ...sa.metadata, namespace } } as KubeObject);
    }
  });
  // The test control plane has no namespace controller: deleting only marks it Terminating.
  after(() => client.delete({ apiVersion: 'v1', kind: 'Namespace', name: namespace }));

  it("admits every service's pod under the restricted Pod Security Standard", async () => {
    for (const s of SERVICES) {
      const pod = await dryRunPod(namespace, s, deployment(s).spec.template.spec);
      assert.equal((pod as unknown as { spec: { serviceAccountName: string } }).spec.serviceAccountName, `sluice-${s}`);
    }
  });

  it('the check bites: a pod without the security context is refused', async () => {
    const spec = structuredClone(deployment('repo-sync').spec.template.spec);
    delete spec['securityContext'];
    delete (spec['containers'] as Record<string, unknown>[])[0]!['securityContext'];
    await assert.rejects(dryRunPod(namespace, 'repo-sync', spec), (err: unknown) => err instanceof KubeError && err.status === 403 && /violates PodSecurity "restricted/.test(err.message));
  });

  it('grants the ServiceAccounts the Deployments run as what their services do, and no more', async () => {
    const sa = (s: ServiceName) => deployment(s).spec.template.spec.serviceAccountName;
    assert.equal(sa('kube-applier'), 'sluice-kube-applier');
    assert.equal(sa('commit-status'), 'sluice-commit-status');
    // Their rules are checked on a private copy of deploy/rbac: the shared test cluster may have
    // been started from another checkout's.
    const rbac = await installRbacCopy(client);
    const team = await createTestNamespace(client, 'payments');
    try {
      await rbac.bind(team, 'sluice-kube-applier-deployer', 'sluice-kube-applier', { verb: 'patch', group: 'apps', resource: 'deployments' });
      const applier = (c: AccessCheck) => rbac.allowed('sluice-kube-applier', c);
      assert.equal(await applier({ verb: 'list', group: 'sluice.dev', resource: 'deployconfigs' }), true, 'DeployConfigs read cluster-wide');
      assert.equal(await applier({ verb: 'get', group: '', resource: 'namespaces', name: 'kube-system' }), true, 'namespace labels for team policies');
      assert.equal(await applier({ verb: 'patch', group: 'sluice.dev', resource: 'deployconfigs', subresource: 'status', namespace: 'kube-system' }), true, 'a refusal is reported in status');
      for (const [group, resource] of [['sluice.dev', 'deployconfigs'], ['apps', 'deployments'], ['', 'configmaps']] as const) {
        assert.equal(await applier({ verb: 'patch', group, resource, namespace: team }), true, `${resource} where the operator bound the deployer role`);
        for (const ns of ['kube-system', 'sluice-system', rbac.systemNamespace, 'payments-elsewhere']) {
          assert.equal(await applier({ verb: 'patch', group, resource, namespace: ns }), false, `${resource} in ${ns}: no RoleBinding`);
        }
      }
      assert.equal(await applier({ verb: 'get', group: '', resource: 'secrets', namespace: team }), false, 'Secrets only where a namespace opts in');

      const status = (c: AccessCheck) => rbac.allowed('sluice-commit-status', c);
      assert.equal(await status({ verb: 'create', group: 'sluice.dev', resource: 'commitstatuses', namespace: rbac.systemNamespace }), true);
      assert.equal(await status({ verb: 'patch', group: 'sluice.dev', resource: 'commitstatuses', subresource: 'status', namespace: rbac.systemNamespace }), true);
      assert.equal(await status({ verb: 'get', group: '', resource: 'secrets', namespace: rbac.systemNamespace, name: 'sluice-github' }), true);
      for (const name of ['sluice-gitlab', 'sluice-bitbucket']) assert.equal(await status({ verb: 'get', group: '', resource: 'secrets', namespace: rbac.systemNamespace, name }), true, name);
      assert.equal(await status({ verb: 'get', group: '', resource: 'secrets', namespace: rbac.systemNamespace, name: 'sluice-secrets' }), false, 'only the Secrets its Role names');
      assert.equal(await status({ verb: 'list', group: '', resource: 'secrets', namespace: rbac.systemNamespace }), false);
      assert.equal(await status({ verb: 'patch', group: 'sluice.dev', resource: 'deployconfigs', namespace: team }), false);
    } finally {
      await rbac.remove();
    }

    for (const s of ['webhook-ingest', 'repo-sync', 'autodeploy'] as const) {
      assert.equal(await allowed(sa(s), { verb: 'list', group: 'sluice.dev', resource: 'deployconfigs' }), false, `${s}: no cluster rights`);
      assert.equal(await allowed(sa(s), { verb: 'get', group: '', resource: 'secrets', namespace: 'sluice-system' }), false, `${s}: no secrets`);
    }
  });
});
