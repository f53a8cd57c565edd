import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { APPLY_PATCH, KubeClient, KubeError, loadKubeConfig, withRetry, type KubeObject } from '@sluice/kube';
import { createTestNamespace } from '@sluice/kube/testing';
import { requireEnv } from '@sluice/testing';
import { fullValues, render, type Render } from './helm-support';
import { PROCESSES, type KubeManifest } from './support';

/*
 * `helm template` of deploy/helm/sluice against the real test kube-apiserver (infra/kube.sh, which
 * has installed deploy/crds), as manifests.int-spec.ts does for the Kustomize base, without
 * changing the cluster beyond throwaway namespaces:
 * - every object of the chart, CRDs included, with the default values in sluice-system and with
 *   everything on (Ingress, deploy namespaces, admission webhook, other replica counts, affinity) in a
 *   fresh release namespace, is accepted by a server-side apply with dryRun=All and fieldValidation=Strict,
 *   the Deployments rolling (two replicas, a PodDisruptionBudget each, soft anti-affinity by default);
 * - every Deployment's pod is admitted under the `restricted` Pod Security Standard.
 */

const FIELD_MANAGER = 'sluice-packaging-helm-dry-run';
type Deployment = KubeManifest & {
  spec: {
    replicas?: number;
    strategy?: { type: string; rollingUpdate?: Record<string, unknown> };
    template: { metadata: { labels: Record<string, string> }; spec: Record<string, unknown> & { serviceAccountName: string; affinity?: Record<string, unknown> } };
  };
};
type Pdb = KubeManifest & { spec: { minAvailable?: number | string; maxUnavailable?: number | string; selector: { matchLabels: Record<string, string> } } };

let client: KubeClient;
const retrying = <T>(operation: string, fn: () => Promise<T>) => withRetry(fn, { operation, maxAttempts: 4 });

/** Server-side apply, dry run, strict fields: `kubectl apply --server-side --dry-run=server --force-conflicts --validate=strict`. */
async function dryRunApply(obj: KubeManifest, opts: { retry: boolean } = { retry: true }): Promise<KubeObject> {
  const path = await client.path({ apiVersion: obj.apiVersion, kind: obj.kind, namespace: obj.metadata.namespace, name: obj.metadata.name });
  const apply = () =>
    client.request<KubeObject>({ method: 'PATCH', path, query: { fieldManager: FIELD_MANAGER, force: true, dryRun: 'All', fieldValidation: 'Strict' }, contentType: APPLY_PATCH, body: obj });
  return opts.retry ? retrying(`dry-run apply ${obj.kind} ${obj.metadata.name}`, apply) : apply();
}

async function applyAll(r: Render): Promise<void> {
  assert.ok(r.manifests.length > 0);
  for (const obj of r.manifests) {
    const applied = await dryRunApply(obj);
    assert.equal(applied.kind, obj.kind);
    assert.equal(applied.metadata.name, obj.metadata.name);
    if (obj.kind === 'Deployment') {
      const pod = (applied as unknown as Deployment).spec.template.spec as { serviceAccountName: string; containers: Record<string, unknown>[] };
      assert.equal(pod.serviceAccountName, (obj as Deployment).spec.template.spec.serviceAccountName);
      for (const probe of ['startupProbe', 'livenessProbe', 'readinessProbe']) assert.ok(pod.containers[0]![probe], `${obj.metadata.name}: ${probe}`);
      // Rolled with none unavailable (leader election hands the controllers over), anti-affinity kept.
      const spec = (applied as unknown as Deployment).spec;
      assert.equal(spec.replicas, (obj as Deployment).spec.replicas, `${obj.metadata.name}: replicas`);
      assert.deepEqual(spec.strategy, { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 0, maxSurge: 1 } }, `${obj.metadata.name}: strategy`);
      assert.ok(spec.template.spec.affinity?.['podAntiAffinity'], `${obj.metadata.name}: pod anti-affinity`);
    }
    if (obj.kind === 'PodDisruptionBudget') {
      const pdb = (applied as unknown as Pdb).spec;
      assert.ok(pdb.minAvailable === 1 || pdb.maxUnavailable === 1, `${obj.metadata.name}: minAvailable 1 (or maxUnavailable 1 for a single replica)`);
    }
  }
}

const namespaces: string[] = [];
async function namespace(prefix: string, labels: Record<string, string> = {}): Promise<string> {
  const name = `${prefix}-${randomBytes(4).toString('hex')}`;
  await client.create({ apiVersion: 'v1', kind: 'Namespace', metadata: { name, labels: { 'sluice.dev/test': 'true', ...labels } } });
  namespaces.push(name);
  return name;
}

before(async () => {
  client = new KubeClient(loadKubeConfig({ from: 'file', path: requireEnv('KUBECONFIG') }), { userAgent: 'sluice-packaging-helm-test' });
  const ns = await client.find({ apiVersion: 'v1', kind: 'Namespace', name: 'sluice-system' });
  assert.ok(ns, 'namespace sluice-system is missing: the test cluster installs deploy/rbac at start (infra/kube.sh)');
});
// The test control plane has no namespace controller: deleting only marks them Terminating.
after(async () => {
  for (const name of namespaces) await client.delete({ apiVersion: 'v1', kind: 'Namespace', name });
});

describe('deploy/helm/sluice on a real kube-apiserver (server-side apply, dry run, strict fields)', () => {
  it('accepts every object of the chart with the default values, CRDs first, in sluice-system', async () => {
    const r = render({ includeCrds: true });
    assert.equal(r.manifests[0]!.kind, 'CustomResourceDefinition', 'helm puts the CRDs first');
    assert.equal(r.manifests.filter((m) => m.kind === 'CustomResourceDefinition').length, 5);
    const pdbs = r.manifests.filter((m) => m.kind === 'PodDisruptionBudget') as Pdb[];
    assert.equal(pdbs.length, PROCESSES.length, 'a PodDisruptionBudget per process');
    for (const pdb of pdbs) assert.equal(pdb.spec.minAvailable, 1, `${pdb.metadata.name}: two replicas by default, one kept`);
    await applyAll(r);
  });

  it('accepts every object with everything on, in a fresh release namespace with two deploy namespaces', async () => {
    const teams = [await createTestNamespace(client, 'payments'), await createTestNamespace(client, 'billing')];
    namespaces.push(...teams);
    const release = await namespace('sluice-helm');
    const r = render({ release: 'prod', namespace: release, values: fullValues(teams), includeCrds: true });
    for (const kind of ['Ingress', 'ValidatingWebhookConfiguration', 'RoleBinding', 'PodDisruptionBudget']) assert.ok(r.manifests.some((m) => m.kind === kind), kind);
    await applyAll(r);
  });

  it('the check bites: a misspelled field is rejected, not dropped', async () => {
    const broken = structuredClone(render().manifests.find((m) => m.kind === 'Deployment')!) as Deployment;
    const c = (broken.spec.template.spec['containers'] as Record<string, unknown>[])[0]!;
    c['readinesProbe'] = c['readinessProbe'];
    delete c['readinessProbe'];
    await assert.rejects(
      dryRunApply(broken, { retry: false }),
      (err: unknown) => err instanceof KubeError && /readinesProbe: field not declared in schema|unknown field "[^"]*readinesProbe"/.test(err.message),
    );
  });
});

describe("the chart's pods on a real kube-apiserver", () => {
  let ns: string;
  let r: Render;
  const deployments = () => r.manifests.filter((m) => m.kind === 'Deployment') as Deployment[];

  /** Creates a pod with dryRun=All: admission (PodSecurity, ServiceAccount) runs, nothing is stored. */
  const dryRunPod = (d: Deployment, spec: Record<string, unknown>) =>
    client.request<KubeObject & { spec: { serviceAccountName: string } }>({
      method: 'POST',
      path: `/api/v1/namespaces/${ns}/pods`,
      query: { dryRun: 'All', fieldValidation: 'Strict' },
      body: { apiVersion: 'v1', kind: 'Pod', metadata: { name: d.metadata.name, namespace: ns, labels: d.spec.template.metadata.labels }, spec },
    });

  before(async () => {
    ns = await namespace('sluice-helm-pods', { 'pod-security.kubernetes.io/enforce': 'restricted' });
    r = render({ release: 'prod', namespace: ns, values: fullValues([]) });
    // The ServiceAccount admission plugin checks that a pod's ServiceAccount exists: the chart's, created for real here.
    for (const sa of r.manifests.filter((m) => m.kind === 'ServiceAccount')) await client.create(sa as KubeObject);
  });

  it('admits the pod of every process under the restricted Pod Security Standard', async () => {
    assert.equal(deployments().length, PROCESSES.length);
    for (const d of deployments()) {
      const pod = await retrying(`dry-run pod ${d.metadata.name}`, () => dryRunPod(d, d.spec.template.spec));
      assert.equal(pod.spec.serviceAccountName, d.spec.template.spec.serviceAccountName);
    }
  });

  it('the check bites: a pod without the security context is refused', async () => {
    const d = deployments()[0]!;
    const spec = structuredClone(d.spec.template.spec);
    delete spec['securityContext'];
    delete (spec['containers'] as Record<string, unknown>[])[0]!['securityContext'];
    await assert.rejects(dryRunPod(d, spec), (err: unknown) => err instanceof KubeError && err.status === 403 && /violates PodSecurity "restricted/.test(err.message));
  });
});
