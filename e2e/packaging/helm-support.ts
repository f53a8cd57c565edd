import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { parseManifests, repoPath, type KubeManifest } from './support';

/*
 * Shared by helm-chart.spec.ts and helm-chart.int-spec.ts: the pinned helm that infra/render-tools.sh
 * builds (the test setup, infra/with-infra.sh, runs `render-tools.sh build`), and renders of
 * deploy/helm/sluice with default and full values.
 */

export const CHART = repoPath('deploy', 'helm', 'sluice');

/** The helm binary of infra/render-tools.sh (its first line of `path`); missing = a loud failure, never a skip. */
export function helmBin(): string {
  const out = spawnSync('bash', [repoPath('infra', 'render-tools.sh'), 'path'], { encoding: 'utf8' });
  if (out.status !== 0) throw new Error(`infra/render-tools.sh path failed: ${out.stderr}`);
  const helm = out.stdout.trim().split('\n')[0]!;
  if (!existsSync(helm)) throw new Error(`helm is not installed at ${helm}: run bash infra/render-tools.sh build`);
  return helm;
}

const scratch = mkdtempSync(join(tmpdir(), 'sluice-helm-chart-'));
// helm keeps caches and its config under these: a private directory, not the user's.
const helmEnv = { ...process.env, HELM_CACHE_HOME: join(scratch, 'cache'), HELM_CONFIG_HOME: join(scratch, 'config'), HELM_DATA_HOME: join(scratch, 'data') };

export interface HelmResult {
  status: number | null;
  stdout: string;
  stderr: string;
}

/** Runs helm with `args`; never throws (the caller asserts on status and output). */
export function helm(...args: string[]): HelmResult {
  const out = spawnSync(helmBin(), args, { encoding: 'utf8', env: helmEnv, timeout: 60_000 });
  return { status: out.status, stdout: out.stdout, stderr: out.stderr };
}

let files = 0;
/** A values file in the scratch directory. */
export function valuesFile(values: unknown): string {
  const file = join(scratch, `values-${++files}.yaml`);
  writeFileSync(file, stringify(values));
  return file;
}

export interface Render {
  release: string;
  namespace: string;
  values: Record<string, unknown>;
  manifests: KubeManifest[];
}

/** `helm template` of the chart; a failure throws with helm's message. */
export function render(opts: { release?: string; namespace?: string; values?: Record<string, unknown>; includeCrds?: boolean } = {}): Render {
  const release = opts.release ?? 'sluice';
  const namespace = opts.namespace ?? 'sluice-system';
  const args = ['template', release, CHART, '--namespace', namespace];
  if (opts.values) args.push('--values', valuesFile(opts.values));
  if (opts.includeCrds) args.push('--include-crds');
  const out = helm(...args);
  if (out.status !== 0) throw new Error(`helm template failed (${out.status}): ${out.stderr}`);
  return { release, namespace, values: opts.values ?? {}, manifests: parseManifests(out.stdout, 'helm template') };
}

/**
 * Values that turn everything on: the Ingress with TLS, deploy namespaces (one with Secrets),
 * replica counts other than the default (three commit-status, one repo-sync: the PDB of a single
 * replica), a soft anti-affinity per zone next to a node affinity, Kafka over TLS with SASL, the admission
 * webhook, a DATABASE_URL from another Secret, extra settings and an optional secret dropped.
 */
export function fullValues(deployNamespaces: string[] = ['payments', 'billing']): Record<string, unknown> {
  const resources = { requests: { cpu: '100m', memory: '256Mi' }, limits: { cpu: '2', memory: '384Mi' } };
  return {
    image: { repository: 'registry.example.com/platform/sluice', tag: '0.1.0-rc.1', pullPolicy: 'Always' },
    imagePullSecrets: [{ name: 'registry-pull' }],
    publicUrl: 'https://sluice.prod.example.com',
    postgres: { existingSecret: 'sluice-pg-app', urlKey: 'uri' },
    kafka: {
      brokers: 'kafka-0.kafka:9093,kafka-1.kafka:9093',
      topicPrefix: 'prod.',
      tls: { enabled: true, rejectUnauthorized: true, existingSecret: 'sluice-kafka-tls', caKey: 'ca.crt', certKey: 'tls.crt', keyKey: 'tls.key' },
      sasl: { mechanism: 'scram-sha-512', username: 'sluice', existingSecret: 'sluice-kafka-user', passwordKey: 'password' },
    },
    github: { apiUrl: 'https://github.example.com/api/v3' },
    secrets: { existingSecret: 'sluice-prod-secrets', env: { ARGOCD_TOKEN: null, SLACK_BOT_TOKEN: { secret: 'sluice-slack', key: 'bot-token', optional: true } } },
    config: { LOG_LEVEL: 'debug', SLUICE_CATALOGUE_VISIBILITY: 'installation', REPO_SYNC_POLL_SECONDS: '300' },
    commitStatus: { githubSecret: 'sluice-github', gitlabSecret: 'sluice-gitlab', bitbucketSecret: 'sluice-bitbucket', extraSecretNames: ['team-a-github'] },
    deployNamespaces,
    secretNamespaces: deployNamespaces.slice(0, 1),
    admission: { enabled: true, annotations: { 'cert-manager.io/inject-ca-from': 'sluice-prod/sluice-admission' } },
    ingress: {
      enabled: true,
      className: 'nginx',
      annotations: { 'nginx.ingress.kubernetes.io/proxy-body-size': '26m' },
      host: 'sluice.prod.example.com',
      tls: [{ secretName: 'sluice-tls', hosts: ['sluice.prod.example.com'] }],
    },
    podAnnotations: { 'example.com/team': 'platform' },
    affinity: { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchExpressions: [{ key: 'example.com/pool', operator: 'In', values: ['platform'] }] }] } } },
    podAntiAffinity: { enabled: true, topologyKey: 'topology.kubernetes.io/zone', weight: 50 },
    processes: {
      'webhook-ingest': { replicaCount: 2, resources },
      'repo-sync': { replicaCount: 1, resources },
      autodeploy: { replicaCount: 2, resources, extraEnv: [{ name: 'AUTODEPLOY_STEP_DEADLINE_SECONDS', value: '900' }] },
      'kube-applier': { replicaCount: 2, resources, serviceAccount: { annotations: { 'iam.example.com/role': 'sluice-kube-applier' } } },
      'commit-status': { replicaCount: 3, resources },
      'dashboard-server': { replicaCount: 2, resources },
    },
  };
}
