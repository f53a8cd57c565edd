import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { loadConfig, withCommonChecks } from '@sluice/platform';
import { dashboardServerConfigSchema } from '@sluice/dashboard-server';
import { CHART, fullValues, helm, render, valuesFile, type Render } from './helm-support';
import { isSecretName, loadKustomization, parseYaml, PROCESSES, readRepoFile, repoPath, SERVICES, type KubeManifest, type ServiceName } from './support';
import { knownVariables, loadServiceEnv } from './service-configs';

/*
 * Sluice's own chart, deploy/helm/sluice, with the pinned helm (infra/render-tools.sh): `helm lint
 * --strict`, values.schema.json refusing bad values, and what `helm template` renders with the
 * default values and with everything on — the same promises manifests.spec.ts checks of the
 * Kustomize base (one Deployment + Service per process, probes, resources, restricted security
 * context, ServiceAccounts, settings each service accepts, two rolling replicas of each), plus
 * PodDisruptionBudgets, the pod anti-affinity, secrets by reference only, the RBAC of deploy/rbac, the Ingress. The API server's verdict is
 * helm-chart.int-spec.ts.
 */

type Process = (typeof PROCESSES)[number];
interface SecretKeyRef {
  name: string;
  key: string;
  optional?: boolean;
}
interface Container {
  name: string;
  image: string;
  imagePullPolicy: string;
  args?: string[];
  ports?: { name?: string; containerPort: number }[];
  envFrom?: { configMapRef?: { name: string }; secretRef?: { name: string } }[];
  env?: { name: string; value?: string; valueFrom?: { secretKeyRef?: SecretKeyRef } }[];
  startupProbe?: { httpGet?: { path: string; port: string | number } };
  livenessProbe?: { httpGet?: { path: string; port: string | number } };
  readinessProbe?: { httpGet?: { path: string; port: string | number } };
  resources?: { requests?: Record<string, string>; limits?: Record<string, string> };
  securityContext?: { allowPrivilegeEscalation?: boolean; readOnlyRootFilesystem?: boolean; capabilities?: { drop?: string[] } };
  volumeMounts?: { name: string; mountPath: string }[];
}
interface PodAffinityTerm {
  topologyKey: string;
  labelSelector?: { matchLabels?: Record<string, string> };
}
interface Affinity {
  nodeAffinity?: unknown;
  podAntiAffinity?: { preferredDuringSchedulingIgnoredDuringExecution?: { weight: number; podAffinityTerm: PodAffinityTerm }[]; requiredDuringSchedulingIgnoredDuringExecution?: unknown[] };
}
interface PodSpec {
  affinity?: Affinity;
  serviceAccountName?: string;
  automountServiceAccountToken?: boolean;
  securityContext?: { runAsNonRoot?: boolean; runAsUser?: number; seccompProfile?: { type: string } };
  containers: Container[];
  volumes?: { name: string; emptyDir?: object; secret?: { secretName: string } }[];
}
type Deployment = KubeManifest & {
  spec: {
    replicas: number;
    strategy: { type: string; rollingUpdate?: { maxUnavailable?: number | string; maxSurge?: number | string } };
    selector: { matchLabels: Record<string, string> };
    template: { metadata: { labels: Record<string, string>; annotations?: Record<string, string> }; spec: PodSpec };
  };
};
type Service = KubeManifest & { spec: { selector: Record<string, string>; ports: { name: string; port: number; targetPort: string | number }[] } };
type Pdb = KubeManifest & { spec: { minAvailable?: number; maxUnavailable?: number; selector: { matchLabels: Record<string, string> } } };
type Rules = { apiGroups: string[]; resources: string[]; verbs: string[]; resourceNames?: string[] }[];

const API_CALLERS = new Set<string>(['kube-applier', 'commit-status']);
const NAMESPACED_NOT = new Set(['CustomResourceDefinition', 'ClusterRole', 'ClusterRoleBinding', 'ValidatingWebhookConfiguration']);

/** Lookups into one render; names are `<fullname>-<process>`. */
function view(r: Render, fullname: string) {
  const find = <T extends KubeManifest>(kind: string, name: string): T | undefined =>
    r.manifests.find((m) => m.kind === kind && m.metadata.name === name) as T | undefined;
  const deployment = (p: Process) => find<Deployment>('Deployment', `${fullname}-${p}`)!;
  const container = (p: Process) => deployment(p).spec.template.spec.containers[0]!;
  const configMap = find<KubeManifest & { data: Record<string, string> }>('ConfigMap', `${fullname}-config`)!;
  const configMaps = r.manifests.filter((m) => m.kind === 'ConfigMap') as (KubeManifest & { data: Record<string, string> })[];
  /**
   * What a pod of `p` would see: its ConfigMaps, plain env, and a placeholder for every secret it
   * must have (optional references are left out: the pod starts without them, and so must the
   * service). Files of mounted Secrets are stand-ins in a local directory.
   */
  const podEnv = (p: Process, opts: { localFiles: boolean } = { localFiles: true }): Record<string, string> => {
    const env: Record<string, string> = {};
    for (const from of container(p).envFrom ?? []) {
      const cm = configMaps.find((m) => m.metadata.name === from.configMapRef?.name);
      assert.ok(cm, `${p}: envFrom only the chart's ConfigMaps (secrets key by key), got ${JSON.stringify(from)}`);
      Object.assign(env, cm.data);
    }
    for (const e of container(p).env ?? []) {
      if (e.value !== undefined) env[e.name] = e.value;
      const ref = e.valueFrom?.secretKeyRef;
      if (ref && !ref.optional) env[e.name] = e.name === 'DATABASE_URL' ? 'postgres://sluice:placeholder@postgres.example:5432/sluice' : randomBytes(24).toString('hex');
    }
    for (const [name, value] of Object.entries(env)) {
      const mount = container(p).volumeMounts?.find((m) => m.mountPath !== '/tmp' && value.startsWith(`${m.mountPath}/`));
      if (name.endsWith('_FILE')) assert.ok(mount, `${p}: ${name}=${value} is in no mounted volume`);
      if (mount && opts.localFiles) env[name] = join(mountedFiles, basename(value));
    }
    return env;
  };
  return { find, deployment, container, configMap, configMaps, podEnv };
}

/** The Kustomize base's pod spec of a process: the reference for what the chart must match. */
const kustomize = loadKustomization().files.flatMap((f) => f.manifests);
const base = (p: Process): PodSpec => (kustomize.find((m) => m.kind === 'Deployment' && m.metadata.name === `sluice-${p}`) as Deployment).spec.template.spec;

const mountedFiles = mkdtempSync(join(tmpdir(), 'sluice-helm-mounts-'));
for (const f of ['ca.crt', 'tls.crt', 'tls.key']) writeFileSync(join(mountedFiles, f), 'placeholder\n');

const helmDefault = render();
const helmFull = render({ release: 'prod', namespace: 'sluice-prod', values: fullValues() });
const renders = [
  { label: 'default values', r: helmDefault, fullname: 'sluice' },
  { label: 'full values', r: helmFull, fullname: 'prod-sluice' },
] as const;

describe('deploy/helm/sluice: chart, lint and values.schema.json', () => {
  it('is an apiVersion v2 chart whose appVersion is the version of package.json, and the image tag defaults to it', () => {
    const chart = parseYaml<{ apiVersion: string; name: string; version: string; appVersion: string }>(readFileSync(`${CHART}/Chart.yaml`, 'utf8'));
    const pkg = JSON.parse(readRepoFile('package.json')) as { version: string };
    assert.equal(chart.apiVersion, 'v2');
    assert.equal(chart.name, 'sluice');
    assert.equal(chart.appVersion, pkg.version);
    assert.equal(view(helmDefault, 'sluice').container('autodeploy').image, `sluice:${pkg.version}`);
    assert.equal(view(helmFull, 'prod-sluice').container('autodeploy').image, 'registry.example.com/platform/sluice:0.1.0-rc.1');
  });

  it('keeps crds/ byte-identical to deploy/crds (one source of truth: edit deploy/crds, then copy)', () => {
    const ours = readdirSync(`${CHART}/crds`).sort();
    const theirs = readdirSync(repoPath('deploy', 'crds')).filter((f) => f.endsWith('.yaml')).sort();
    assert.deepEqual(ours, theirs);
    for (const f of theirs) {
      assert.ok(readFileSync(`${CHART}/crds/${f}`).equals(readFileSync(repoPath('deploy', 'crds', f))), `crds/${f} differs from deploy/crds/${f}: cp deploy/crds/*.yaml deploy/helm/sluice/crds/`);
    }
  });

  it('passes helm lint --strict with the default values and with everything on', () => {
    for (const args of [[], ['--values', valuesFile(fullValues())]]) {
      const out = helm('lint', '--strict', CHART, '--namespace', 'sluice-system', ...args);
      assert.equal(out.status, 0, `helm lint --strict ${args.join(' ')}: ${out.stdout}${out.stderr}`);
      assert.match(out.stdout, /1 chart\(s\) linted, 0 chart\(s\) failed/);
      assert.doesNotMatch(out.stdout, /\[(WARNING|ERROR)\]/);
    }
  });

  it('refuses bad values by values.schema.json, naming the value (and lint fails on them too)', () => {
    const refused: [string, Record<string, unknown>, RegExp][] = [
      ['no kube-applier replica', { processes: { 'kube-applier': { replicaCount: 0 } } }, /processes\/kube-applier\/replicaCount/],
      ['a fractional commit-status', { processes: { 'commit-status': { replicaCount: 1.5 } } }, /processes\/commit-status\/replicaCount/],
      ['an anti-affinity weight out of range', { podAntiAffinity: { weight: 101 } }, /podAntiAffinity\/weight/],
      ['a secret value inline instead of a reference', { secrets: { env: { GITHUB_TOKEN: 'ghp_0123456789abcdef' } } }, /secrets\/env\/GITHUB_TOKEN/],
      ['DATABASE_URL as a plain setting', { config: { DATABASE_URL: 'postgres://sluice:pw@db/sluice' } }, /DATABASE_URL/],
      ['a secret-looking plain setting', { config: { SLACK_SIGNING_SECRETS: 'x'.repeat(32) } }, /SLACK_SIGNING_SECRETS/],
      ['a setting the chart sets itself', { config: { KUBE_APPLIER_TARGET: 'dry-run' } }, /KUBE_APPLIER_TARGET/],
      ['no Kafka brokers', { kafka: { brokers: '' } }, /kafka\/brokers/],
      ['a deploy namespace of the system', { deployNamespaces: ['kube-system'] }, /deployNamespaces/],
      ['a root pod', { podSecurityContext: { runAsNonRoot: false } }, /podSecurityContext\/runAsNonRoot/],
      ['a writable root file system', { securityContext: { allowPrivilegeEscalation: false, readOnlyRootFilesystem: false } }, /securityContext\/readOnlyRootFilesystem/],
      ['SASL without a username', { kafka: { brokers: 'k:9092', sasl: { mechanism: 'plain' } } }, /kafka\/sasl/],
      ['an unknown value (a typo)', { ingres: { enabled: true } }, /ingres/],
    ];
    for (const [what, values, pattern] of refused) {
      const file = valuesFile(values);
      const out = helm('template', 'sluice', CHART, '--namespace', 'sluice-system', '--values', file);
      assert.notEqual(out.status, 0, `${what}: rendered`);
      assert.match(out.stderr, /values don't meet the specifications of the schema/, `${what}: ${out.stderr}`);
      assert.match(out.stderr, pattern, `${what}: ${out.stderr}`);
    }
    const lint = helm('lint', '--strict', CHART, '--values', valuesFile(refused[0]![1]));
    // Leader election: kube-applier and commit-status may scale like the others.
    const scaled = render({ values: { processes: { 'kube-applier': { replicaCount: 3 }, 'commit-status': { replicaCount: 5 } } } });
    assert.equal((scaled.manifests.find((m) => m.kind === 'Deployment' && m.metadata.name === 'sluice-commit-status') as Deployment).spec.replicas, 5);
    assert.notEqual(lint.status, 0, 'helm lint passes bad values');
    // Checks the schema cannot express fail the render with a reason.
    const own = helm('template', 'sluice', CHART, '--namespace', 'sluice-system', '--values', valuesFile({ deployNamespaces: ['sluice-system'] }));
    assert.notEqual(own.status, 0);
    assert.match(own.stderr, /sluice-system is the release namespace/);
    const secretsNotDeploy = helm('template', 'sluice', CHART, '--namespace', 'sluice-system', '--values', valuesFile({ secretNamespaces: ['payments'] }));
    assert.notEqual(secretsNotDeploy.status, 0);
    assert.match(secretsNotDeploy.stderr, /payments is not in deployNamespaces/);
  });
});

for (const { label, r, fullname } of renders) {
  const v = view(r, fullname);
  const replicas = (p: Process) => (r.values['processes'] as Record<string, { replicaCount: number }> | undefined)?.[p]?.replicaCount ?? 2;

  describe(`helm template, ${label}: Deployments, Services, PodDisruptionBudgets`, () => {
    it('renders no Secret, and every namespaced object in the release namespace (or a deploy namespace)', () => {
      assert.deepEqual(r.manifests.filter((m) => m.kind === 'Secret'), [], 'secrets are referenced, never rendered');
      const deployNs = new Set((r.values['deployNamespaces'] as string[] | undefined) ?? []);
      for (const m of r.manifests) {
        if (NAMESPACED_NOT.has(m.kind)) assert.equal(m.metadata.namespace, undefined, `${m.kind} ${m.metadata.name}`);
        else if (m.kind === 'RoleBinding' && deployNs.has(m.metadata.namespace!)) continue;
        else assert.equal(m.metadata.namespace, r.namespace, `${m.kind} ${m.metadata.name}`);
        assert.equal(m.metadata.labels?.['app.kubernetes.io/part-of'], 'sluice', `${m.kind} ${m.metadata.name}: part-of label`);
      }
    });

    it('has a Deployment, a Service, a ServiceAccount and a PodDisruptionBudget per process, selectors matching', () => {
      const names = (kind: string) => r.manifests.filter((m) => m.kind === kind).map((m) => m.metadata.name).sort();
      const expected = PROCESSES.map((p) => `${fullname}-${p}`).sort();
      for (const kind of ['Deployment', 'Service', 'ServiceAccount', 'PodDisruptionBudget']) assert.deepEqual(names(kind), expected, kind);
      for (const p of PROCESSES) {
        const d = v.deployment(p);
        const svc = v.find<Service>('Service', `${fullname}-${p}`)!;
        assert.deepEqual(svc.spec.selector, d.spec.selector.matchLabels, `${p}: Service selector = Deployment selector`);
        for (const [k, val] of Object.entries(d.spec.selector.matchLabels)) assert.equal(d.spec.template.metadata.labels[k], val, `${p}: template label ${k}`);
        assert.equal(d.spec.selector.matchLabels['app.kubernetes.io/component'], p);
        assert.equal(d.spec.selector.matchLabels['app.kubernetes.io/instance'], r.release, `${p}: two releases select nothing of each other`);
        const portNames = new Set(v.container(p).ports?.map((port) => port.name));
        for (const port of svc.spec.ports) assert.ok(portNames.has(String(port.targetPort)), `${p}: targetPort ${port.targetPort} is a named container port`);
        assert.deepEqual(v.container(p).args, [p], `${p}: the entrypoint starts this process`);
        assert.equal(v.container(p).ports?.[0]?.containerPort, Number(v.configMap.data['PORT']), `${p}: containerPort = PORT`);
        assert.equal(d.spec.replicas, replicas(p), `${p}: replicas`);
        assert.deepEqual(d.spec.strategy, { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 0, maxSurge: 1 } }, `${p}: strategy (leader election hands the controllers over)`);
        const annotations = d.spec.template.metadata.annotations ?? {};
        assert.equal(annotations['prometheus.io/scrape'], 'true', `${p}: scraped`);
        assert.equal(annotations['prometheus.io/port'], '8080');
        assert.equal(annotations['prometheus.io/path'], '/metrics');
        assert.match(annotations['checksum/config'] ?? '', /^[0-9a-f]{64}$/, `${p}: rolls when the ConfigMap changes`);

        const pdb = v.find<Pdb>('PodDisruptionBudget', `${fullname}-${p}`)!;
        assert.deepEqual(pdb.spec.selector.matchLabels, d.spec.selector.matchLabels, `${p}: PDB selects its pods`);
        if (d.spec.replicas > 1) assert.deepEqual([pdb.spec.minAvailable, pdb.spec.maxUnavailable], [1, undefined], `${p}: ${d.spec.replicas} replicas keep one`);
        else assert.deepEqual([pdb.spec.minAvailable, pdb.spec.maxUnavailable], [undefined, 1], `${p}: one replica never blocks a drain`);
      }
    });

    it("prefers each process's replicas apart (soft pod anti-affinity on its own pods), keeping the affinity value's other terms", () => {
      const anti = (r.values['podAntiAffinity'] as { topologyKey: string; weight: number } | undefined) ?? { topologyKey: 'kubernetes.io/hostname', weight: 100 };
      const userAffinity = (r.values['affinity'] as Record<string, unknown> | undefined) ?? {};
      for (const p of PROCESSES) {
        const d = v.deployment(p);
        const affinity = d.spec.template.spec.affinity;
        assert.equal(affinity?.podAntiAffinity?.requiredDuringSchedulingIgnoredDuringExecution, undefined, `${p}: never required`);
        assert.deepEqual(
          affinity?.podAntiAffinity?.preferredDuringSchedulingIgnoredDuringExecution,
          [{ weight: anti.weight, podAffinityTerm: { topologyKey: anti.topologyKey, labelSelector: { matchLabels: d.spec.selector.matchLabels } } }],
          `${p}: away from its own replicas`,
        );
        assert.deepEqual(affinity?.nodeAffinity, userAffinity['nodeAffinity'], `${p}: nodeAffinity from the affinity value`);
      }
    });

    it('runs each process under its own ServiceAccount, a token only for kube-applier and commit-status', () => {
      for (const p of PROCESSES) {
        const pod = v.deployment(p).spec.template.spec;
        const sa = v.find<KubeManifest & { automountServiceAccountToken?: boolean }>('ServiceAccount', pod.serviceAccountName ?? 'default');
        assert.equal(pod.serviceAccountName, `${fullname}-${p}`);
        assert.ok(sa, `${p}: its ServiceAccount is rendered`);
        assert.equal(pod.automountServiceAccountToken, API_CALLERS.has(p), `${p}: pod token`);
        assert.equal(sa.automountServiceAccountToken, API_CALLERS.has(p), `${p}: ServiceAccount token`);
      }
      const bound = r.manifests
        .filter((m) => m.kind === 'ClusterRoleBinding' || m.kind === 'RoleBinding')
        .flatMap((m) => (m as KubeManifest & { subjects: { name: string; namespace: string }[] }).subjects)
        .map((s) => `${s.namespace}/${s.name}`);
      for (const p of PROCESSES) assert.equal(bound.includes(`${r.namespace}/${fullname}-${p}`), API_CALLERS.has(p), `${p}: RBAC binding`);
    });

    // The Kustomize base (checked on its own by manifests.spec.ts) is the reference: the same probes,
    // pod and container security contexts and /tmp, and requests and limits within its ceiling.
    it('probes, security contexts and /tmp as deploy/k8s (restricted Pod Security Standard), requests and limits set', () => {
      const mib = (q: string) => (q.endsWith('Gi') ? Number(q.slice(0, -2)) * 1024 : q.endsWith('Mi') ? Number(q.slice(0, -2)) : NaN);
      for (const p of PROCESSES) {
        const pod = v.deployment(p).spec.template.spec;
        const c = v.container(p);
        const theirs = base(p);
        for (const probe of ['startupProbe', 'livenessProbe', 'readinessProbe'] as const) assert.deepEqual(c[probe], theirs.containers[0]![probe], `${p}: ${probe}`);
        assert.equal(c.readinessProbe?.httpGet?.path, '/readyz', `${p}: readiness is /readyz`);
        assert.deepEqual(pod.securityContext, theirs.securityContext, `${p}: pod securityContext`);
        assert.deepEqual(c.securityContext, theirs.containers[0]!.securityContext, `${p}: container securityContext`);
        assert.deepEqual(pod.volumes?.find((vol) => vol.name === 'tmp'), theirs.volumes?.find((vol) => vol.name === 'tmp'), `${p}: /tmp volume`);
        assert.ok(c.volumeMounts?.some((m) => m.name === 'tmp' && m.mountPath === '/tmp'), `${p}: /tmp mounted`);
        assert.ok(v.podEnv(p)['SLUICE_DATA_DIR']?.startsWith('/tmp/'), `${p}: SLUICE_DATA_DIR on the writable /tmp`);
        const res = c.resources;
        assert.ok(res?.requests?.['cpu'] && res.requests['memory'] && res.limits?.['cpu'] && res.limits['memory'], `${p}: resources`);
        assert.ok(mib(res.requests['memory']) <= mib(res.limits['memory']) && mib(res.limits['memory']) <= 384, `${p}: memory ${res.requests['memory']}..${res.limits['memory']}`);
      }
      assert.deepEqual(base('repo-sync').containers[0]!.securityContext?.capabilities?.drop, ['ALL'], 'the reference itself drops every capability');
    });
  });

  describe(`helm template, ${label}: configuration`, () => {
    const known = (p: Process): Set<string> => (p === 'dashboard-server' ? new Set(Object.keys(dashboardServerConfigSchema.shape)) : knownVariables(p as ServiceName));

    it('the ConfigMaps hold only settings some process reads, and no secret', () => {
      const all = new Set(PROCESSES.flatMap((p) => [...known(p)]));
      assert.deepEqual(v.configMaps.map((m) => m.metadata.name).sort(), [`${fullname}-config`, `${fullname}-kafka`]);
      for (const cm of v.configMaps) {
        assert.deepEqual(Object.keys(cm.data).filter((k) => !all.has(k)), [], cm.metadata.name);
        assert.deepEqual(Object.keys(cm.data).filter(isSecretName), [], cm.metadata.name);
      }
    });

    it('each Deployment sets only variables its process reads, every secret by reference', () => {
      for (const p of PROCESSES) {
        for (const e of v.container(p).env ?? []) {
          assert.ok(known(p).has(e.name), `${p}: ${e.name} is not a setting of ${p}`);
          if (isSecretName(e.name)) assert.ok(e.valueFrom?.secretKeyRef, `${p}: ${e.name} from a Secret, never a value`);
        }
      }
    });

    it('references at least the Secret keys the Kustomize base gives each service, required ones required', () => {
      const secretEnv = (p: Process) => new Map((v.container(p).env ?? []).filter((e) => e.valueFrom?.secretKeyRef).map((e) => [e.name, e.valueFrom!.secretKeyRef!]));
      const existingSecret = ((r.values['secrets'] as { existingSecret?: string } | undefined)?.existingSecret) ?? 'sluice-secrets';
      for (const s of SERVICES) {
        const ours = secretEnv(s);
        for (const e of base(s).containers[0]!.env ?? []) {
          const theirs = e.valueFrom?.secretKeyRef;
          if (!theirs) continue;
          const ref = ours.get(e.name);
          assert.ok(ref, `${s}: ${e.name} is referenced`);
          assert.equal(ref.optional ?? false, theirs.optional ?? false, `${s}: ${e.name} optional as in deploy/k8s`);
        }
        for (const [name, ref] of ours) {
          if (name === 'DATABASE_URL' && r.values['postgres']) assert.deepEqual([ref.name, ref.key], ['sluice-pg-app', 'uri'], `${s}: DATABASE_URL from postgres.existingSecret`);
          else if (name === 'KAFKA_SASL_PASSWORD') assert.deepEqual([ref.name, ref.key], ['sluice-kafka-user', 'password'], `${s}: the SASL password from kafka.sasl`);
          else if (name === 'SLACK_BOT_TOKEN' && r.values['secrets']) assert.deepEqual([ref.name, ref.key], ['sluice-slack', 'bot-token']);
          else assert.deepEqual([ref.name, ref.key], [existingSecret, name], `${s}: ${name}`);
        }
      }
      assert.equal(secretEnv('dashboard-server').size, 0, 'the dashboard server holds no secret');
      if (r.values['secrets']) assert.equal(secretEnv('kube-applier').has('ARGOCD_TOKEN'), false, 'a reference set to null is dropped');
      else assert.equal(secretEnv('kube-applier').get('ARGOCD_TOKEN')?.optional, true);
    });

    it('gives each service a configuration it accepts at start (ConfigMap + its required secrets)', () => {
      for (const s of SERVICES) {
        const config = loadServiceEnv(s, v.podEnv(s));
        assert.equal(config.SLUICE_HOST, '0.0.0.0', `${s}: SLUICE_HOST`);
        assert.ok(config.DATABASE_URL, `${s}: DATABASE_URL`);
        assert.ok(config.KAFKA_BROKERS?.length, `${s}: KAFKA_BROKERS`);
      }
      const env = v.podEnv('kube-applier');
      assert.equal(env['KUBE_APPLIER_TARGET'], 'kube', 'kube-applier fails at start rather than silently dry-running');
      assert.equal(v.podEnv('commit-status')['COMMIT_STATUS_STORE'], 'kubernetes');
      assert.equal(v.podEnv('commit-status')['COMMIT_STATUS_NAMESPACE'], r.namespace, 'CommitStatuses in the release namespace');
      assert.equal(env['SLUICE_NAMESPACE'], r.namespace, 'the release namespace is never a deploy target');
      assert.ok(v.podEnv('webhook-ingest')['GITHUB_WEBHOOK_SECRET'], 'webhook-ingest gets its required secret');
      assert.equal(env['SLUICE_PUBLIC_URL'], (r.values['publicUrl'] as string | undefined) ?? 'https://sluice.example.com');
      assert.equal(v.configMap.data['SLUICE_LEADER_POLL_SECONDS'], '2', 'the leader poll (the handover bound) in the shared ConfigMap');
      for (const s of ['kube-applier', 'commit-status'] as const) assert.equal(loadServiceEnv(s, v.podEnv(s)).SLUICE_LEADER_POLL_SECONDS, 2, `${s}: reads it`);
    });

    it("gives the dashboard server SLUICE_SERVICE_URLS naming this release's Services", () => {
      const env = v.podEnv('dashboard-server');
      const config = loadConfig(withCommonChecks(dashboardServerConfigSchema), env) as { SLUICE_SERVICE_URLS: Record<string, string> };
      for (const s of ['autodeploy', 'repo-sync', 'kube-applier', 'commit-status']) {
        const url = new URL(config.SLUICE_SERVICE_URLS[s]!);
        assert.equal(url.hostname, `${fullname}-${s}.${r.namespace}.svc`, `${s}: its Service`);
        const svc = v.find<Service>('Service', `${fullname}-${s}`)!;
        assert.equal(Number(url.port || 80), svc.spec.ports.find((p) => p.name === 'http')!.port, `${s}: the Service port`);
      }
    });
  });

  describe(`helm template, ${label}: RBAC as deploy/rbac`, () => {
    const rbac = loadKustomization().files.filter((f) => f.file.startsWith('rbac/')).flatMap((f) => f.manifests);
    const rules = (m: KubeManifest | undefined) => (m as (KubeManifest & { rules: Rules }) | undefined)?.rules;

    it('has the ClusterRoles and the Role of deploy/rbac with the same rules', () => {
      for (const theirs of rbac.filter((m) => m.kind === 'ClusterRole' || m.kind === 'Role')) {
        const name = theirs.metadata.name.replace(/^sluice-/, `${fullname}-`);
        const ours = v.find(theirs.kind, name);
        assert.ok(ours, `${theirs.kind} ${name}`);
        const strip = (rs: Rules) => rs.map(({ resourceNames: _, ...rest }) => rest);
        assert.deepEqual(strip(rules(ours)!), strip(rules(theirs)!), `${theirs.kind} ${name}: rules`);
      }
      const secretsRole = rules(v.find('Role', `${fullname}-commit-status-secrets`))!;
      const extra = ((r.values['commitStatus'] as { extraSecretNames?: string[] } | undefined)?.extraSecretNames) ?? [];
      const named = ['COMMIT_STATUS_GITHUB_SECRET', 'COMMIT_STATUS_GITLAB_SECRET', 'COMMIT_STATUS_BITBUCKET_SECRET'].map((k) => v.configMap.data[k]);
      assert.deepEqual(secretsRole[0]!.resourceNames, [...named, ...extra], 'commit-status reads the token Secrets of its GitRepos (one per provider) and the listed Secrets only');
    });

    it('binds the deployer role in each of deployNamespaces only, and the Secrets role where opted in', () => {
      const deployNs = (r.values['deployNamespaces'] as string[] | undefined) ?? [];
      const secretNs = (r.values['secretNamespaces'] as string[] | undefined) ?? [];
      const bindings = (role: string) =>
        r.manifests
          .filter((m) => m.kind === 'RoleBinding' && (m as KubeManifest & { roleRef: { name: string } }).roleRef.name === `${fullname}-${role}`)
          .map((m) => m.metadata.namespace);
      assert.deepEqual(bindings('kube-applier-deployer'), deployNs);
      assert.deepEqual(bindings('kube-applier-secrets'), secretNs);
      const clusterBound = r.manifests.filter((m) => m.kind === 'ClusterRoleBinding').map((m) => (m as KubeManifest & { roleRef: { name: string } }).roleRef.name).sort();
      assert.deepEqual(clusterBound, [`${fullname}-commit-status`, `${fullname}-kube-applier`], 'the deployer and Secrets roles are never bound cluster-wide');
    });
  });
}

describe('helm template: podAntiAffinity and affinity values', () => {
  const podAffinity = (values: Record<string, unknown>) => view(render({ values }), 'sluice').deployment('kube-applier').spec.template.spec.affinity;

  it('renders no anti-affinity when disabled, and an affinity value with its own podAntiAffinity wins', () => {
    assert.equal(podAffinity({ podAntiAffinity: { enabled: false } }), undefined, 'disabled and no affinity value: none');
    const own = { requiredDuringSchedulingIgnoredDuringExecution: [{ topologyKey: 'kubernetes.io/hostname', labelSelector: { matchLabels: { team: 'platform' } } }] };
    assert.deepEqual(podAffinity({ affinity: { podAntiAffinity: own } }), { podAntiAffinity: own });
    const withNode = podAffinity({ podAntiAffinity: { enabled: false }, affinity: { nodeAffinity: { preferredDuringSchedulingIgnoredDuringExecution: [{ weight: 1, preference: { matchExpressions: [{ key: 'example.com/pool', operator: 'Exists' }] } }] } } }) as Record<string, unknown>;
    assert.deepEqual(Object.keys(withNode), ['nodeAffinity']);
  });
});

describe('helm template, full values: Ingress, admission webhook, Kafka TLS', () => {
  const v = view(helmFull, 'prod-sluice');

  it('routes /webhooks to webhook-ingest, /chat to autodeploy and / to the dashboard server, with TLS', () => {
    const ingress = v.find<KubeManifest & { spec: { ingressClassName: string; tls: unknown[]; rules: { host: string; http: { paths: { path: string; pathType: string; backend: { service: { name: string; port: { name: string } } } }[] } }[] } }>('Ingress', 'prod-sluice')!;
    assert.ok(ingress, 'the Ingress');
    assert.equal(ingress.spec.ingressClassName, 'nginx');
    assert.deepEqual(ingress.spec.tls, [{ secretName: 'sluice-tls', hosts: ['sluice.prod.example.com'] }]);
    assert.equal(ingress.spec.rules[0]!.host, 'sluice.prod.example.com');
    const routes = ingress.spec.rules[0]!.http.paths.map((p) => [p.path, p.pathType, p.backend.service.name, p.backend.service.port.name]);
    assert.deepEqual(routes, [
      ['/webhooks', 'Prefix', 'prod-sluice-webhook-ingest', 'http'],
      ['/chat', 'Prefix', 'prod-sluice-autodeploy', 'http'],
      ['/', 'Prefix', 'prod-sluice-dashboard-server', 'http'],
    ]);
    for (const [, , service] of routes) assert.ok(v.find('Service', service!), `${service} exists`);
    assert.equal(view(helmDefault, 'sluice').find('Ingress', 'sluice'), undefined, 'no Ingress unless enabled');
  });

  it('serves the BuildRun admission webhook from kube-applier on 9443 when enabled', () => {
    const hook = v.find<KubeManifest & { webhooks: { clientConfig: { service: { name: string; namespace: string; port: number } } }[] }>('ValidatingWebhookConfiguration', 'prod-sluice-buildruns')!;
    assert.deepEqual(hook.webhooks[0]!.clientConfig.service, { name: 'prod-sluice-kube-applier', namespace: 'sluice-prod', path: '/validate/buildruns', port: 9443 });
    const svc = v.find<Service>('Service', 'prod-sluice-kube-applier')!;
    assert.ok(svc.spec.ports.some((p) => p.port === 9443 && p.targetPort === 'admission'));
    const env = v.podEnv('kube-applier', { localFiles: false });
    assert.equal(env['SLUICE_ADMISSION_TLS_CERT_FILE'], '/etc/sluice/admission/tls.crt');
    assert.ok(v.deployment('kube-applier').spec.template.spec.volumes?.some((vol) => vol.secret?.secretName === 'sluice-admission-tls'));
    assert.equal(view(helmDefault, 'sluice').find('ValidatingWebhookConfiguration', 'sluice-buildruns'), undefined);
  });

  it('mounts the Kafka TLS Secret and points KAFKA_SSL_* at it; SASL from its own Secret', () => {
    const env = v.podEnv('repo-sync', { localFiles: false });
    assert.equal(env['KAFKA_SSL'], 'true');
    assert.equal(env['KAFKA_SSL_CA_FILE'], '/etc/sluice/kafka-tls/ca.crt');
    assert.equal(env['KAFKA_SASL_MECHANISM'], 'scram-sha-512');
    assert.equal(env['SLUICE_KAFKA_TOPIC_PREFIX'], 'prod.');
    for (const s of SERVICES) assert.ok(v.deployment(s).spec.template.spec.volumes?.some((vol) => vol.secret?.secretName === 'sluice-kafka-tls'), `${s}: Kafka TLS mounted`);
    assert.equal(v.deployment('dashboard-server').spec.template.spec.volumes?.some((vol) => vol.secret), false, 'the dashboard server talks to no broker');
    assert.equal(v.podEnv('autodeploy')['AUTODEPLOY_STEP_DEADLINE_SECONDS'], '900', 'extraEnv of one process');
    assert.equal(v.podEnv('repo-sync')['AUTODEPLOY_STEP_DEADLINE_SECONDS'], undefined);
  });
});
