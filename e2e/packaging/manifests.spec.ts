import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { isSecretName, loadKustomization, parseManifests, PROCESSES, readRepoFile, repoPath, SERVICES, type KubeManifest, type ServiceName } from './support';
import { knownVariables, loadServiceEnv } from './service-configs';

/*
 * What the Kubernetes manifests in deploy/ must say, read from the files (the API server's
 * verdict on them is manifests.int-spec.ts): every CRD and RBAC file is in the kustomization,
 * one Deployment + Service per service with the right ServiceAccount, probes, resources and a
 * restricted security context, settings each service accepts, and two replicas of every process
 * (rolling, a PodDisruptionBudget, spread over nodes; leader election picks who runs the controllers).
 */

interface Probe {
  httpGet?: { path: string; port: string | number };
}
interface Container {
  name: string;
  image: string;
  args?: string[];
  ports?: { name?: string; containerPort: number }[];
  envFrom?: { configMapRef?: { name: string }; secretRef?: { name: string } }[];
  env?: { name: string; value?: string; valueFrom?: { secretKeyRef?: { name: string; key: string; optional?: boolean } } }[];
  startupProbe?: Probe;
  livenessProbe?: Probe;
  readinessProbe?: Probe;
  resources?: { requests?: Record<string, string>; limits?: Record<string, string> };
  securityContext?: { allowPrivilegeEscalation?: boolean; readOnlyRootFilesystem?: boolean; capabilities?: { drop?: string[] }; runAsNonRoot?: boolean };
  volumeMounts?: { name: string; mountPath: string }[];
}
interface PodAffinityTerm {
  topologyKey: string;
  labelSelector?: { matchLabels?: Record<string, string> };
}
interface PodSpec {
  affinity?: { podAntiAffinity?: { preferredDuringSchedulingIgnoredDuringExecution?: { weight: number; podAffinityTerm: PodAffinityTerm }[]; requiredDuringSchedulingIgnoredDuringExecution?: unknown[] } };
  serviceAccountName?: string;
  automountServiceAccountToken?: boolean;
  securityContext?: { runAsNonRoot?: boolean; runAsUser?: number; seccompProfile?: { type: string } };
  containers: Container[];
  volumes?: { name: string; emptyDir?: object }[];
}
type Deployment = KubeManifest & {
  spec: {
    replicas: number;
    strategy?: { type: string; rollingUpdate?: { maxUnavailable?: number | string; maxSurge?: number | string } };
    selector: { matchLabels: Record<string, string> };
    template: { metadata: { labels: Record<string, string> }; spec: PodSpec };
  };
};
type Pdb = KubeManifest & { spec: { minAvailable?: number; maxUnavailable?: number; selector: { matchLabels: Record<string, string> } } };
type Service = KubeManifest & { spec: { selector: Record<string, string>; ports: { port: number; targetPort: string | number }[] } };

const { kustomization, files } = loadKustomization();
const all = files.flatMap((f) => f.manifests);
const find = <T extends KubeManifest>(kind: string, name: string): T | undefined => all.find((m) => m.kind === kind && m.metadata.name === name) as T | undefined;
const deployment = (s: ServiceName) => find<Deployment>('Deployment', `sluice-${s}`)!;
const container = (s: ServiceName) => deployment(s).spec.template.spec.containers[0]!;
const configMap = find<KubeManifest & { data: Record<string, string> }>('ConfigMap', 'sluice-config')!;
const secretExample = parseManifests(readRepoFile('deploy', 'k8s', 'secret.example.yaml'), 'k8s/secret.example.yaml');

/** What the pod of a service sees: the ConfigMap plus its Secret keys, with the template's placeholder values. */
function podEnv(s: ServiceName): Record<string, string> {
  const secret = secretExample.find((m) => m.metadata.name === 'sluice-secrets') as KubeManifest & { stringData: Record<string, string> };
  const env: Record<string, string> = {};
  for (const from of container(s).envFrom ?? []) {
    assert.equal(from.configMapRef?.name, 'sluice-config', `${s}: envFrom only the ConfigMap (secrets key by key)`);
    Object.assign(env, configMap.data);
  }
  for (const e of container(s).env ?? []) {
    if (e.value !== undefined) env[e.name] = e.value;
    const ref = e.valueFrom?.secretKeyRef;
    if (ref && secret.stringData[ref.key] !== undefined) env[e.name] = secret.stringData[ref.key]!;
  }
  return env;
}

describe('deploy/kustomization.yaml', () => {
  it('lists every CRD, the RBAC and every manifest of deploy/k8s except the Secret template', () => {
    const listed = new Set(kustomization.resources);
    const expected = [
      ...readdirSync(repoPath('deploy', 'crds')).filter((f) => f.endsWith('.yaml')).map((f) => `crds/${f}`),
      ...readdirSync(repoPath('deploy', 'rbac')).filter((f) => f.endsWith('.yaml')).map((f) => `rbac/${f}`),
      ...readdirSync(repoPath('deploy', 'k8s')).filter((f) => f.endsWith('.yaml') && f !== 'secret.example.yaml').map((f) => `k8s/${f}`),
    ];
    assert.deepEqual(expected.filter((f) => !listed.has(f)), [], 'missing from the kustomization');
    assert.ok(!listed.has('k8s/secret.example.yaml'), 'applying the kustomization must never overwrite real secrets with placeholders');
    assert.equal(kustomization.resources[0], 'rbac/00-namespace.yaml', 'the namespace first');
  });

  it('puts every namespaced object in sluice-system and names the image the Deployments use', () => {
    for (const m of all) {
      const clusterScoped = ['Namespace', 'CustomResourceDefinition', 'ClusterRole', 'ClusterRoleBinding'].includes(m.kind);
      assert.equal(m.metadata.namespace, clusterScoped ? undefined : 'sluice-system', `${m.kind} ${m.metadata.name}`);
    }
    const images = new Set(SERVICES.map((s) => container(s).image.split(':')[0]));
    assert.deepEqual([...images], ['sluice']);
    assert.ok(kustomization.images?.some((i) => i.name === 'sluice'), 'the image is set by the kustomization (images:)');
  });
});

describe('deploy/k8s Deployments and Services', () => {
  it('has one Deployment and one Service per service, the Service selecting exactly its pods', () => {
    assert.deepEqual(all.filter((m) => m.kind === 'Deployment').map((m) => m.metadata.name).sort(), PROCESSES.map((s) => `sluice-${s}`).sort());
    for (const s of SERVICES) {
      const d = deployment(s);
      const svc = find<Service>('Service', `sluice-${s}`);
      assert.ok(svc, `${s}: Service`);
      assert.deepEqual(svc.spec.selector, d.spec.selector.matchLabels, `${s}: Service selector = Deployment selector`);
      for (const [k, v] of Object.entries(d.spec.selector.matchLabels)) assert.equal(d.spec.template.metadata.labels[k], v, `${s}: template label ${k}`);
      const portNames = new Set(container(s).ports?.map((p) => p.name));
      for (const p of svc.spec.ports) assert.ok(portNames.has(String(p.targetPort)), `${s}: targetPort ${p.targetPort} is a named container port`);
      assert.deepEqual(container(s).args, [s], `${s}: the container starts its service`);
      assert.equal(container(s).ports?.[0]?.containerPort, Number(configMap.data['PORT']), `${s}: containerPort = PORT`);
    }
    // Other services select nothing of each other: each selector has the component label.
    assert.equal(new Set(SERVICES.map((s) => deployment(s).spec.selector.matchLabels['app.kubernetes.io/component'])).size, SERVICES.length);
  });

  it('runs kube-applier and commit-status under the ServiceAccounts deploy/rbac binds, the others with no API token', () => {
    const boundSubjects = all
      .filter((m) => m.kind === 'ClusterRoleBinding' || m.kind === 'RoleBinding')
      .flatMap((m) => (m as KubeManifest & { subjects: { kind: string; name: string; namespace: string }[] }).subjects)
      .filter((sub) => sub.kind === 'ServiceAccount')
      .map((sub) => `${sub.namespace}/${sub.name}`);
    for (const s of SERVICES) {
      const pod = deployment(s).spec.template.spec;
      const sa = find<KubeManifest & { automountServiceAccountToken?: boolean }>('ServiceAccount', pod.serviceAccountName ?? 'default');
      assert.equal(pod.serviceAccountName, `sluice-${s}`, `${s}: its own ServiceAccount`);
      assert.ok(sa, `${s}: ServiceAccount ${pod.serviceAccountName} is defined`);
      const needsApi = s === 'kube-applier' || s === 'commit-status';
      assert.equal(boundSubjects.includes(`sluice-system/sluice-${s}`), needsApi, `${s}: RBAC binding`);
      assert.equal(pod.automountServiceAccountToken, needsApi, `${s}: token mounted only when it calls the API`);
      if (!needsApi) assert.equal(sa.automountServiceAccountToken, false);
    }
  });

  it('probes /healthz (startup, liveness) and /readyz (readiness) on the http port', () => {
    for (const s of SERVICES) {
      const c = container(s);
      assert.deepEqual(c.startupProbe?.httpGet, { path: '/healthz', port: 'http' }, `${s}: startupProbe`);
      assert.deepEqual(c.livenessProbe?.httpGet, { path: '/healthz', port: 'http' }, `${s}: livenessProbe`);
      assert.deepEqual(c.readinessProbe?.httpGet, { path: '/readyz', port: 'http' }, `${s}: readinessProbe`);
    }
  });

  it('requests and limits CPU and memory (a 384 MiB ceiling: ~110-190 MB idle, 200 MB is the target under load)', () => {
    const mib = (q: string) => (q.endsWith('Gi') ? Number(q.slice(0, -2)) * 1024 : q.endsWith('Mi') ? Number(q.slice(0, -2)) : NaN);
    for (const s of SERVICES) {
      const r = container(s).resources;
      assert.ok(r?.requests?.['cpu'] && r.requests['memory'] && r.limits?.['cpu'] && r.limits['memory'], `${s}: resources`);
      assert.ok(mib(r.requests['memory']) <= mib(r.limits['memory']) && mib(r.limits['memory']) <= 384, `${s}: memory ${r.requests['memory']}..${r.limits['memory']}`);
    }
  });

  it('runs non-root with a read-only root filesystem, no privilege escalation, no capabilities, /tmp writable', () => {
    for (const s of SERVICES) {
      const pod = deployment(s).spec.template.spec;
      const c = container(s);
      assert.equal(pod.securityContext?.runAsNonRoot, true, `${s}: runAsNonRoot`);
      assert.ok((pod.securityContext?.runAsUser ?? 0) > 0, `${s}: runAsUser`);
      assert.equal(pod.securityContext?.seccompProfile?.type, 'RuntimeDefault', `${s}: seccomp`);
      assert.equal(c.securityContext?.readOnlyRootFilesystem, true, `${s}: readOnlyRootFilesystem`);
      assert.equal(c.securityContext?.allowPrivilegeEscalation, false, `${s}: allowPrivilegeEscalation`);
      assert.deepEqual(c.securityContext?.capabilities?.drop, ['ALL'], `${s}: capabilities`);
      const tmp = c.volumeMounts?.find((m) => m.mountPath === '/tmp');
      assert.ok(tmp && pod.volumes?.some((v) => v.name === tmp.name && v.emptyDir), `${s}: /tmp is an emptyDir`);
      assert.ok(podEnv(s)['SLUICE_DATA_DIR']?.startsWith('/tmp/'), `${s}: SLUICE_DATA_DIR on the writable /tmp`);
    }
  });
});

describe('deploy/k8s replicas, rolling updates, PodDisruptionBudgets, leader election', () => {
  const processDeployment = (p: (typeof PROCESSES)[number]) => find<Deployment>('Deployment', `sluice-${p}`)!;

  it('runs two replicas of every process, rolled one new pod at a time with none unavailable', () => {
    for (const p of PROCESSES) {
      const d = processDeployment(p);
      assert.equal(d.spec.replicas, 2, `${p}: replicas`);
      assert.deepEqual(d.spec.strategy, { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 0, maxSurge: 1 } }, `${p}: strategy`);
    }
  });

  it('has a PodDisruptionBudget keeping one pod of every process, selecting exactly its pods', () => {
    assert.deepEqual(all.filter((m) => m.kind === 'PodDisruptionBudget').map((m) => m.metadata.name).sort(), PROCESSES.map((p) => `sluice-${p}`).sort());
    for (const p of PROCESSES) {
      const pdb = find<Pdb>('PodDisruptionBudget', `sluice-${p}`)!;
      assert.equal(pdb.apiVersion, 'policy/v1');
      assert.deepEqual([pdb.spec.minAvailable, pdb.spec.maxUnavailable], [1, undefined], `${p}: minAvailable 1`);
      assert.deepEqual(pdb.spec.selector.matchLabels, processDeployment(p).spec.selector.matchLabels, `${p}: PDB selects its pods`);
    }
  });

  it("prefers each process's replicas on different nodes (soft pod anti-affinity on its own pods)", () => {
    for (const p of PROCESSES) {
      const d = processDeployment(p);
      const anti = d.spec.template.spec.affinity?.podAntiAffinity;
      assert.equal(anti?.requiredDuringSchedulingIgnoredDuringExecution, undefined, `${p}: never required (a one-node cluster still runs both)`);
      const terms = anti?.preferredDuringSchedulingIgnoredDuringExecution ?? [];
      assert.equal(terms.length, 1, `${p}: one preferred term`);
      assert.equal(terms[0]!.podAffinityTerm.topologyKey, 'kubernetes.io/hostname', `${p}: per node`);
      assert.deepEqual(terms[0]!.podAffinityTerm.labelSelector?.matchLabels, d.spec.selector.matchLabels, `${p}: away from its own replicas`);
      assert.ok(terms[0]!.weight >= 1 && terms[0]!.weight <= 100, `${p}: weight`);
    }
  });

  it('sets the leader poll (the handover bound) in the ConfigMap, and no manifest says there is no leader election', () => {
    assert.equal(configMap.data['SLUICE_LEADER_POLL_SECONDS'], '2');
    for (const s of ['kube-applier', 'commit-status'] as const) assert.equal(podEnv(s)['SLUICE_LEADER_POLL_SECONDS'], '2', `${s}: reads it`);
    assert.equal(loadServiceEnv('kube-applier', podEnv('kube-applier')).SLUICE_LEADER_POLL_SECONDS, 2);
    for (const f of readdirSync(repoPath('deploy', 'k8s'))) {
      const text = readRepoFile('deploy', 'k8s', f);
      assert.doesNotMatch(text, /without leader election|Recreate/, `k8s/${f}`);
    }
  });
});

describe('deploy/k8s configuration', () => {
  it('the ConfigMap holds only settings some service reads, and no secret', () => {
    const known = new Set(SERVICES.flatMap((s) => [...knownVariables(s)]));
    assert.deepEqual(Object.keys(configMap.data).filter((k) => !known.has(k)), []);
    assert.deepEqual(Object.keys(configMap.data).filter(isSecretName), []);
  });

  it('each Deployment sets only variables its service reads, secrets from the Secret sluice-secrets', () => {
    const templateKeys = new Set(Object.keys((secretExample[0] as KubeManifest & { stringData: object }).stringData));
    for (const s of SERVICES) {
      const known = knownVariables(s);
      for (const e of container(s).env ?? []) {
        assert.ok(known.has(e.name), `${s}: ${e.name} is not a setting of ${s}`);
        const ref = e.valueFrom?.secretKeyRef;
        assert.ok(ref, `${s}: ${e.name} comes from the Secret (non-secret settings belong in the ConfigMap)`);
        assert.equal(ref.name, 'sluice-secrets');
        assert.equal(ref.key, e.name);
        assert.ok(ref.optional === true || templateKeys.has(ref.key), `${s}: required key ${ref.key} is in secret.example.yaml`);
      }
    }
  });

  it('gives each service a configuration it accepts at start (ConfigMap + the Secret template)', () => {
    for (const s of SERVICES) {
      const config = loadServiceEnv(s, podEnv(s));
      assert.equal(config.SLUICE_HOST, '0.0.0.0', `${s}: SLUICE_HOST`);
      assert.ok(config.DATABASE_URL, `${s}: DATABASE_URL`);
      assert.ok(config.KAFKA_BROKERS?.length, `${s}: KAFKA_BROKERS`);
    }
    assert.equal(podEnv('commit-status')['COMMIT_STATUS_STORE'], 'kubernetes', 'commit-status keeps CommitStatuses in the cluster (no KUBECONFIG in a pod)');
    assert.equal(podEnv('kube-applier')['KUBE_APPLIER_TARGET'], 'kube', 'kube-applier fails at start rather than silently dry-running');
    assert.ok(podEnv('webhook-ingest')['GITHUB_WEBHOOK_SECRET'], 'webhook-ingest gets its required secret');
  });
});
