// What every end-to-end file needs around Sluice: the fake GitHub seeded with a config
// repository and an artifact repository, a Kubernetes namespace of its own (with the
// Secret commit-status reads its GitHub token from), and a way to send signed webhooks.
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { FakeGitHub, githubWebhookRequest } from '@sluice/fake-scm';
import { KubeClient } from '@sluice/kube';
import { adminClient, createTestNamespace } from '@sluice/kube/testing';
import { uniqueName } from '@sluice/testing';
import { ROOT } from './process';

export const CONFIG_REPO = 'acme/deploy-configs';
export const ARTIFACT_REPO = 'acme/billing';
export const CONFIG_NAME = 'billing-api';
export const IMAGE = 'ghcr.io/acme/billing';
export const GITHUB_TOKEN = 'ghp_e2e_token';
export const WEBHOOK_SECRET = 'e2e-webhook-secret-0123456789';
export const ADMIN_TOKEN = 'e2e-admin-token-0123456789abcdef0123';

export interface World {
  readonly name: string;
  readonly github: FakeGitHub;
  readonly kube: KubeClient;
  /** The config's target namespace; also where commit-status keeps its CommitStatuses. */
  readonly namespace: string;
  /** Where this file's logs and data go. */
  readonly runDir: string;
  /** The config repository's first commit (deploy/billing-api with deploy.yaml + deployment.yaml). */
  readonly configSha: string;
  stop(): Promise<void>;
}

export function deployYaml(namespace: string, extra = '', artifact = { repo: ARTIFACT_REPO, image: IMAGE }): string {
  return [
    'team: payments',
    `namespace: ${namespace}`,
    'artifact:',
    `  repo: ${artifact.repo}`,
    `  image: ${artifact.image}`,
    '  build: ci',
    'track:',
    '  branch: main',
    'autodeploy: true',
    extra,
  ].join('\n');
}

export function deploymentYaml(name: string, image = IMAGE): string {
  return `apiVersion: apps/v1
kind: Deployment
metadata:
  name: ${name}
spec:
  replicas: 1
  selector:
    matchLabels: { app: ${name} }
  template:
    metadata:
      labels: { app: ${name} }
    spec:
      containers:
        - name: api
          image: ${image}:latest
`;
}

/** A Service `name` selecting the pods of deploymentYaml(name). */
export function serviceYaml(name: string): string {
  return `apiVersion: v1
kind: Service
metadata:
  name: ${name}
spec:
  selector: { app: ${name} }
  ports: [{ port: 80, targetPort: 8080 }]
`;
}

/**
 * FakeGitHub with both repositories, a fresh namespace and its `sluice-github` Secret. The fake
 * enforces GitHub's primary rate limit (5,000 requests an hour) unless `githubRequestsPerHour` says
 * otherwise (the benchmarks, whose thousands of builds an hour would spend it).
 */
export async function startWorld(name: string, options: { githubRequestsPerHour?: number } = {}): Promise<World> {
  const kube = adminClient();
  // Named for team payments, whose default policy allows `payments-*`.
  const namespace = await createTestNamespace(kube, `payments-e2e-${name}`);
  await kube.create({
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name: 'sluice-github', namespace },
    type: 'Opaque',
    stringData: { token: GITHUB_TOKEN },
  });
  const github = new FakeGitHub({ tokens: [GITHUB_TOKEN], ...(options.githubRequestsPerHour ? { rateLimit: { limit: options.githubRequestsPerHour } } : {}) });
  await github.start();
  github.seed.repo({ owner: 'acme', name: 'deploy-configs', defaultBranch: 'main' });
  const configSha = github.seed.commit(CONFIG_REPO, {
    message: 'billing-api: deploy config',
    files: {
      'deploy/billing-api/deploy.yaml': deployYaml(namespace),
      'deploy/billing-api/deployment.yaml': deploymentYaml(CONFIG_NAME),
    },
  });
  github.seed.repo({ owner: 'acme', name: 'billing', defaultBranch: 'main' });
  github.seed.commit(ARTIFACT_REPO, { message: 'initial', files: { 'README.md': '# billing\n' } });
  const runDir = join(ROOT, '.sluice-test', 'e2e', uniqueName(name));
  return {
    name,
    github,
    kube,
    namespace,
    runDir,
    configSha,
    // The namespace is left for the files' logs and for looking at after a failure; infra/kube.sh
    // throws the whole store away at the end of the run.
    stop: async () => {
      await github.stop();
    },
  };
}

/** A new commit on main of the artifact repository. */
export function newArtifactCommit(world: World, label: string): string {
  return world.github.seed.commit(ARTIFACT_REPO, { message: `billing: ${label}`, files: { 'VERSION': `${label}\n` } });
}

export interface SignedWebhook {
  readonly deliveryId: string;
  readonly status: number;
  readonly body: unknown;
}

/**
 * Posts a webhook signed as GitHub signs it. A connection the server closed as it was reused (the
 * keep-alive race of a loaded machine: "other side closed") is sent again, as GitHub redelivers:
 * the same delivery id, so Sluice takes it once.
 */
export async function sendWebhook(url: string, event: string, payload: unknown): Promise<SignedWebhook> {
  const req = githubWebhookRequest({ event, payload, secret: WEBHOOK_SECRET, deliveryId: randomUUID() });
  const post = () => fetch(url, { method: 'POST', headers: req.headers, body: req.body });
  const res = await post().catch((error: Error) => {
    if (error.name !== 'TypeError' || !/fetch failed/.test(error.message)) throw error;
    return post();
  });
  const text = await res.text();
  let body: unknown = text;
  try {
    body = JSON.parse(text);
  } catch {
    // not JSON: keep the text for the assertion message
  }
  return { deliveryId: req.deliveryId, status: res.status, body };
}
