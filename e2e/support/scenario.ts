// The steps of the end-to-end scenario (issue 8, "Prove it"), written once against
// `SluiceUnderTest` so the distributed and the all-in-one files run the same thing.
import assert from 'node:assert/strict';
import { patchStatus, type KubeObject } from '@sluice/kube';
import { waitUntil } from '@sluice/testing';
import type { SluiceUnderTest } from './sluice';
import { ARTIFACT_REPO, CONFIG_NAME, CONFIG_REPO, IMAGE, newArtifactCommit, sendWebhook, type World } from './world';

export interface ConfigView {
  name: string;
  status: 'active' | 'removed';
  current: { artifactSha: string | null; configSha: string | null; deployId: string | null };
  phase: string | null;
  pin: { by: string; reason: string } | null;
  inFlightDeployId: string | null;
  queuedDeployId: string | null;
}

export interface DeployView {
  id: string;
  config: string;
  kind: 'deploy' | 'undeploy';
  artifactSha: string | null;
  configSha: string | null;
  imageTag: string | null;
  cause: string;
  requestedBy: string;
  reason: string;
  reappliedFrom: string | null;
  phase: string;
}

export interface HistoryEntry {
  type: string;
  deployId: string | null;
  actor: string | null;
  reason: string | null;
  message: string | null;
}

export const short = (sha: string) => sha.slice(0, 7);

/** waitUntil whose failure message is built when it fails (so it shows the last value seen). */
export async function waitFor(predicate: () => boolean | Promise<boolean>, what: () => string, timeoutMs = 90_000, intervalMs = 300): Promise<void> {
  try {
    await waitUntil(predicate, { timeoutMs, intervalMs, message: 'timed out' });
  } catch (error) {
    throw new Error(`waited ${timeoutMs} ms for ${what()}: ${(error as Error).message}`);
  }
}
export const tagOf = (sha: string) => `main-${short(sha)}`;
const STATUS_CONTEXT = `sluice/${CONFIG_NAME}`;

/** HTTP against Sluice with the admin token; throws with the body on an unexpected status. */
export class Api {
  constructor(private readonly sluice: SluiceUnderTest) {}

  async request<T>(method: string, path: string, body?: unknown, expect: number[] = [200, 201, 202]): Promise<{ status: number; body: T }> {
    const res = await fetch(`${this.sluice.urlFor(path)}${path}`, {
      method,
      headers: { authorization: `Bearer ${this.sluice.adminToken}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: AbortSignal.timeout(15_000),
    });
    const text = await res.text();
    if (!expect.includes(res.status)) throw new Error(`${method} ${path}: ${res.status} ${text}`);
    return { status: res.status, body: (text ? JSON.parse(text) : null) as T };
  }

  async get<T>(path: string): Promise<T> {
    return (await this.request<T>('GET', path)).body;
  }

  async post<T>(path: string, body: unknown = {}): Promise<T> {
    return (await this.request<T>('POST', path, body)).body;
  }

  config(): Promise<ConfigView> {
    return this.get<ConfigView>(`/api/configs/${CONFIG_NAME}`);
  }

  async deploys(): Promise<DeployView[]> {
    return (await this.get<{ deploys: DeployView[] }>(`/api/configs/${CONFIG_NAME}/deploys?limit=100`)).deploys;
  }

  deploy(id: string): Promise<DeployView> {
    return this.get<DeployView>(`/api/deploys/${id}`);
  }

  async history(): Promise<HistoryEntry[]> {
    return (await this.get<{ history: HistoryEntry[] }>(`/api/configs/${CONFIG_NAME}/history?limit=200`)).history;
  }
}

/** Runs the scenario's steps; each waits with a clear message. */
export class Scenario {
  readonly api: Api;

  constructor(
    readonly world: World,
    readonly sluice: SluiceUnderTest,
  ) {
    this.api = new Api(sluice);
  }

  /** A scenario past its first two steps: the config repository pushed and its config discovered. */
  static async discovered(world: World, sluice: SluiceUnderTest): Promise<Scenario> {
    const scenario = new Scenario(world, sluice);
    await scenario.pushConfigRepo();
    await scenario.waitForVirtualConfig();
    return scenario;
  }

  async webhook(event: string, payload: unknown): Promise<void> {
    const res = await sendWebhook(this.sluice.webhookUrl, event, payload);
    assert.equal(res.status, 202, `webhook ${event}: ${res.status} ${JSON.stringify(res.body)}`);
    assert.equal((res.body as { result: string }).result, 'accepted', `webhook ${event}: ${JSON.stringify(res.body)}`);
  }

  /** Step 1: the config repository's default branch is pushed. */
  async pushConfigRepo(): Promise<void> {
    await this.webhook('push', this.world.github.events.push(CONFIG_REPO, { branch: 'main' }));
  }

  async waitForVirtualConfig(timeoutMs = 90_000): Promise<ConfigView> {
    let last: unknown = 'no answer';
    await waitFor(
      async () => {
        const res = await this.api.request<ConfigView>('GET', `/api/configs/${CONFIG_NAME}`, undefined, [200, 404]);
        last = res.body;
        return res.status === 200 && res.body.status === 'active';
      },
      () => `config ${CONFIG_NAME} discovered (last: ${JSON.stringify(last)})`,
      timeoutMs,
    );
    return last as ConfigView;
  }

  /** A new artifact commit pushed on main; the build (workflow `ci`) is reported separately. */
  async pushArtifact(label: string): Promise<string> {
    const sha = newArtifactCommit(this.world, label);
    await this.webhook('push', this.world.github.events.push(ARTIFACT_REPO, { branch: 'main' }));
    return sha;
  }

  async buildCompleted(sha: string, conclusion = 'success'): Promise<void> {
    await this.webhook('workflow_run', this.world.github.events.workflowRun(ARTIFACT_REPO, { sha, name: 'ci', branch: 'main', conclusion }));
  }

  /** The deploy of `artifactSha`, once autodeploy (or a command) has recorded it. */
  async waitForDeployOf(artifactSha: string, predicate: (d: DeployView) => boolean = () => true, timeoutMs = 90_000): Promise<DeployView> {
    let found: DeployView | undefined;
    let last: DeployView[] = [];
    await waitFor(
      async () => {
        last = await this.api.deploys();
        found = last.find((d) => d.artifactSha === artifactSha && predicate(d));
        return found !== undefined;
      },
      () => `deploy of ${short(artifactSha)} (deploys: ${JSON.stringify(last.map((d) => [d.id, d.artifactSha?.slice(0, 7), d.phase]))})`,
      timeoutMs,
    );
    return found!;
  }

  /** A deploy accepted by a command, once the read model has it (reads are eventually consistent). */
  async deployWhenKnown(deployId: string, timeoutMs = 30_000): Promise<DeployView> {
    let found: DeployView | undefined;
    await waitFor(
      async () => {
        const res = await this.api.request<DeployView>('GET', `/api/deploys/${deployId}`, undefined, [200, 404]);
        if (res.status === 200) found = res.body;
        return found !== undefined;
      },
      () => `deploy ${deployId} in the read model`,
      timeoutMs,
    );
    return found!;
  }

  async waitForPhase(deployId: string, phase: string, timeoutMs = 90_000): Promise<DeployView> {
    let last: DeployView | undefined;
    await waitFor(
      async () => {
        const res = await this.api.request<DeployView>('GET', `/api/deploys/${deployId}`, undefined, [200, 404]);
        if (res.status === 200) last = res.body;
        return last?.phase === phase;
      },
      () => `deploy ${deployId} ${phase} (last phase: ${last?.phase})`,
      timeoutMs,
    );
    return last!;
  }

  deployConfig(): Promise<KubeObject | undefined> {
    return this.world.kube.find({ apiVersion: 'sluice.dev/v1alpha1', kind: 'DeployConfig', namespace: this.world.namespace, name: CONFIG_NAME });
  }

  deployment(): Promise<KubeObject | undefined> {
    return this.world.kube.find({ apiVersion: 'apps/v1', kind: 'Deployment', namespace: this.world.namespace, name: CONFIG_NAME });
  }

  /** The DeployConfig carries (artifactSha, tag) and the Deployment runs the image with that tag. */
  async waitForApplied(artifactSha: string, timeoutMs = 90_000): Promise<KubeObject> {
    const tag = tagOf(artifactSha);
    let last = 'nothing yet';
    let deployment: KubeObject | undefined;
    await waitFor(
      async () => {
        const dc = await this.deployConfig();
        const spec = (dc?.['spec'] ?? {}) as { artifactSha?: string; imageTag?: string };
        deployment = await this.deployment();
        const image = imageOf(deployment);
        last = `DeployConfig ${spec.artifactSha?.slice(0, 7)} ${spec.imageTag}, Deployment image ${image}`;
        return spec.artifactSha === artifactSha && spec.imageTag === tag && image === `${IMAGE}:${tag}`;
      },
      () => `${IMAGE}:${tag} applied (last: ${last})`,
      timeoutMs,
    );
    return deployment!;
  }

  /** What a Deployment controller would do once the pods of Deployment `name` are up (there is no controller-manager here). */
  async rollOut(name: string = CONFIG_NAME): Promise<void> {
    const ref = { apiVersion: 'apps/v1', kind: 'Deployment', namespace: this.world.namespace, name };
    const deployment = await this.world.kube.find(ref);
    assert.ok(deployment, `the Deployment ${name} exists`);
    await patchStatus(
      this.world.kube,
      ref,
      {
        observedGeneration: deployment.metadata.generation ?? 1,
        replicas: 1,
        updatedReplicas: 1,
        readyReplicas: 1,
        availableReplicas: 1,
        conditions: [
          { type: 'Available', status: 'True', reason: 'MinimumReplicasAvailable', message: 'Deployment has minimum availability.' },
          { type: 'Progressing', status: 'True', reason: 'NewReplicaSetAvailable', message: 'ReplicaSet has successfully progressed.' },
        ],
      },
      { fieldManager: 'e2e-kube-controller-manager' },
    );
  }

  /** Build of `sha` completed → applied → rolled out → succeeded; returns the deploy. */
  async deployBuild(
    sha: string,
    options: { beforeRollout?: () => Promise<void>; afterBuild?: () => Promise<void>; /** Each step's wait (default 90 s). */ stepTimeoutMs?: number } = {},
  ): Promise<DeployView> {
    const timeout = options.stepTimeoutMs ?? 90_000;
    await this.buildCompleted(sha);
    await options.afterBuild?.();
    const deploy = await this.waitForDeployOf(sha, () => true, timeout);
    assert.equal(deploy.cause, 'autodeploy', `deploy ${deploy.id} cause`);
    assert.equal(deploy.imageTag, tagOf(sha));
    await this.waitForApplied(sha, timeout);
    await options.beforeRollout?.();
    await this.rollOut();
    return this.waitForPhase(deploy.id, 'succeeded', timeout);
  }

  /** Sluice's statuses on a commit of the artifact repository, oldest first. */
  statusesOn(sha: string): Array<{ state: string; description: string | null }> {
    return this.world.github
      .statuses(ARTIFACT_REPO, sha)
      .filter((s) => s.context === STATUS_CONTEXT)
      .sort((a, b) => a.id - b.id)
      .map((s) => ({ state: s.state, description: s.description ?? null }));
  }

  async waitForStatus(sha: string, predicate: (s: { state: string; description: string | null }) => boolean, what: string, timeoutMs = 60_000): Promise<void> {
    await waitFor(() => this.statusesOn(sha).some(predicate), () => `${what} on ${short(sha)} (statuses: ${JSON.stringify(this.statusesOn(sha))})`, timeoutMs, 200);
  }

  /**
   * Statuses of one successful deploy: pending (queued / in progress) then success, in that
   * order, each written once (a write is only made when what GitHub holds differs).
   */
  assertDeployStatuses(sha: string, requireInProgress = true): void {
    const statuses = this.statusesOn(sha);
    const ns = this.world.namespace;
    const rank = (s: { state: string; description: string | null }): number => {
      if (s.state === 'pending' && s.description === `Deploy to ${ns} queued`) return 0;
      if (s.state === 'pending' && s.description?.startsWith('Deploying to')) return 1;
      if (s.state === 'pending' && s.description?.startsWith(`Applied to ${ns}`)) return 2;
      if (s.state === 'success' && s.description === `Deployed to ${ns}`) return 3;
      return -1;
    };
    const ranks = statuses.map(rank);
    assert.ok(!ranks.includes(-1), `unexpected status on ${short(sha)}: ${JSON.stringify(statuses)}`);
    assert.deepEqual([...ranks].sort(), ranks, `statuses in lifecycle order on ${short(sha)}: ${JSON.stringify(statuses)}`);
    assert.equal(new Set(ranks).size, ranks.length, `no duplicate status on ${short(sha)}: ${JSON.stringify(statuses)}`);
    if (requireInProgress) assert.ok(ranks.some((r) => r === 1 || r === 2), `an in-progress status on ${short(sha)}: ${JSON.stringify(statuses)}`);
    assert.equal(ranks.at(-1), 3, `ends in success on ${short(sha)}: ${JSON.stringify(statuses)}`);
  }

  /** Waits until repo-sync has recorded the build (so autodeploy has seen it, or will within a moment). */
  async waitForBuildKnown(sha: string): Promise<void> {
    await waitFor(
      async () => {
        const res = await this.api.request<unknown>('GET', `/api/repos/${ARTIFACT_REPO}/commits/${sha}`, undefined, [200, 404]);
        return res.status === 200 && JSON.stringify(res.body).includes('"success"');
      },
      () => `build of ${short(sha)} recorded by repo-sync`,
      60_000,
    );
  }
}

export function imageOf(deployment: KubeObject | undefined): string | undefined {
  const spec = deployment?.['spec'] as { template?: { spec?: { containers?: Array<{ image?: string }> } } } | undefined;
  return spec?.template?.spec?.containers?.[0]?.image;
}

export { CONFIG_NAME, CONFIG_REPO, ARTIFACT_REPO };
