import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mergePatch, patchStatus, withBearerToken, type KubeClient } from '@sluice/kube';
import { adminClient, createTestNamespace, deleteTestNamespace } from '@sluice/kube/testing';
import { createTestDatabase, waitUntil, type TestDatabase } from '@sluice/testing';
import { InMemorySpecSource } from './adapters/spec-sources';
import type { DeployConfigObject } from './domain/deploy-config';
import { CountingClient } from './testing/counting';
import { KubeApplierRuntime } from './adapters/runtime';
import { outcomeStream } from './adapters/outcome-reporter';
import { applierAccess, installCrd, outcomesOf, publish, request, sha, startKubeApplier, type ApplierAccess, type Harness, type Target } from './testing/harness';

/*
 * What a deploy costs the kube-apiserver (issue #24, "kube-applier's API requests per deploy"):
 * kube-applier's own requests (its client counts them; watches aside), by verb and resource, over
 * deploys like the e2e bench's — a new image of a config whose Deployment already exists, rolled
 * out by the test (no controller-manager), with the shipped resync and health-poll periods.
 */

const CONFIG = 'app';
const C1 = sha('c');
const DEPLOYS = 4;
const deployment = `
apiVersion: apps/v1
kind: Deployment
metadata: { name: app }
spec:
  replicas: 1
  selector: { matchLabels: { app: app } }
  template:
    metadata: { labels: { app: app } }
    spec:
      containers: [{ name: api, image: ghcr.io/acme/app:latest }]
`;
const specs = new InMemorySpecSource().put('acme/config', C1, [
  { path: `deploy/${CONFIG}/deploy.yaml`, content: 'team: payments' },
  { path: `deploy/${CONFIG}/deployment.yaml`, content: deployment },
]);

describe('kube-applier requests per deploy (real kube-apiserver)', () => {
  let admin: KubeClient;
  let ns: string;
  let h: Harness;
  let access: ApplierAccess | undefined;
  let client: CountingClient;
  let db: TestDatabase | undefined;
  const target = (artifactSha: string): Target => ({ config: CONFIG, namespace: ns, artifactSha, configSha: C1 });
  const depRef = () => ({ apiVersion: 'apps/v1', kind: 'Deployment', namespace: ns, name: 'app' });
  const dcRef = () => ({ apiVersion: 'sluice.dev/v1alpha1', kind: 'DeployConfig', namespace: ns, name: CONFIG });

  async function waitForOutcome(deployId: string, type: string): Promise<void> {
    await waitUntil(async () => (await outcomesOf(h.store, CONFIG, deployId)).some((o) => o.type === type), { timeoutMs: 20_000, intervalMs: 50, message: `${type} for ${deployId}` });
  }

  /**
   * One deploy of a new image, from the request to its status Succeeded, rolled out as the bench
   * does; `podEvent`: a kubelet's Event about one of its Pods happens while it rolls out.
   */
  async function deploy(artifactSha: string, podEvent?: string): Promise<string> {
    const id = await publish(h.bus, request(target(artifactSha)));
    await waitForOutcome(id, 'deploy.applied');
    if (podEvent) {
      const now = new Date().toISOString();
      await admin.create({
        apiVersion: 'v1',
        kind: 'Event',
        metadata: { name: `${podEvent}.pulled`, namespace: ns },
        involvedObject: { apiVersion: 'v1', kind: 'Pod', name: podEvent, namespace: ns },
        reason: 'Pulled',
        message: `pulled the image of ${artifactSha.slice(0, 7)}`,
        type: 'Normal',
        count: 1,
        firstTimestamp: now,
        lastTimestamp: now,
        source: { component: 'kubelet' },
      });
    }
    const d = await admin.get(depRef());
    await patchStatus(admin, depRef(), { observedGeneration: d.metadata.generation, replicas: 1, updatedReplicas: 1, readyReplicas: 1, availableReplicas: 1 });
    await waitForOutcome(id, 'deploy.succeeded');
    await waitUntil(async () => (await admin.get<DeployConfigObject>(dcRef())).status?.phase === 'Succeeded', { message: 'phase Succeeded' });
    // The health poll the deploy asked for (0.5 s) runs before the next deploy starts.
    await new Promise((r) => setTimeout(r, 1000));
    return id;
  }

  before(async () => {
    admin = adminClient();
    await installCrd(admin);
    ns = await createTestNamespace(admin, 'applier-req');
    access = await applierAccess(admin, [ns]);
  });

  after(async () => {
    await h?.app.close();
    await db?.drop();
    await access?.rbac.remove();
    if (ns) await deleteTestNamespace(admin, ns);
  });

  /** A kube-applier whose client counts its requests (a fresh one each time; the database is kept). */
  async function start(env: Record<string, string>): Promise<void> {
    await h?.app.close();
    db ??= await createTestDatabase('kube_applier');
    client = new CountingClient(withBearerToken(admin.config, access!.token));
    h = await startKubeApplier({ env, db, module: { specSource: specs, kubeClient: client, watchNamespace: ns } });
  }

  it(`a new image: at most 5 requests per deploy (${DEPLOYS} deploys after a first one), its Kubernetes Events still in its log`, async () => {
    // The shipped resync period (none falls in the test); health polled often, so that the poll a
    // deploy schedules runs within it, as it does within a deploy of the bench.
    await start({ KUBE_APPLIER_HEALTH_POLL_SECONDS: '0.5' });
    await deploy(sha('0'));
    const first = client.take();
    let last = '';
    for (let i = 1; i <= DEPLOYS; i++) last = await deploy(sha(String(i)), i === DEPLOYS ? `app-5d8c7b9f4-x${i}` : undefined);
    const total = client.take();
    const perDeploy = Object.fromEntries(Object.entries(total).map(([k, v]) => [k, v / DEPLOYS]));
    const sum = Object.values(total).reduce((a, b) => a + b, 0);
    console.log(`first deploy: ${JSON.stringify(first)}`);
    console.log(`per deploy (${DEPLOYS}): ${sum / DEPLOYS} requests ${JSON.stringify(perDeploy)}`);
    // The DeployConfig and the Deployment applied, the Events listed once, status Applied then Succeeded.
    assert.equal(total['APPLY deployconfigs'], DEPLOYS);
    assert.equal(total['APPLY deployments'], DEPLOYS);
    assert.ok((total['LIST events'] ?? 0) <= DEPLOYS, `LIST events ${total['LIST events']}`);
    assert.ok((total['PATCH deployconfigs/status'] ?? 0) <= 2 * DEPLOYS, `PATCH deployconfigs/status ${total['PATCH deployconfigs/status']}`);
    // A pass that starts before the watch showed its own last status write reads the DeployConfig (GET): rare, allowed twice.
    assert.ok(sum <= 5 * DEPLOYS + 2, `${sum} requests for ${DEPLOYS} deploys: ${JSON.stringify(total)}`);

    const lines = (await h.store.readStream(outcomeStream(CONFIG)))
      .filter((e) => e.type === 'deploy.log' && (e.data as { deployId?: string }).deployId === last)
      .map((e) => JSON.stringify(e.data));
    assert.ok(lines.some((l) => l.includes(`Normal Pulled Pod/app-5d8c7b9f4-x${DEPLOYS}`)), `the deploy's log: ${lines.join('\n')}`);
  });

  it('a resync of a deployed config nobody changed sends nothing; one that drifted is applied again', async () => {
    await start({ KUBE_APPLIER_RESYNC_SECONDS: '1' });
    const controller = () => h.app.get(KubeApplierRuntime).controller;
    await waitUntil(() => (controller()?.passes ?? 0) > 0, { message: 'first pass' });
    await new Promise((r) => setTimeout(r, 500));
    client.take();
    let passes = controller()!.passes;
    await new Promise((r) => setTimeout(r, 5000));
    const resyncs = controller()!.passes - passes;
    const idle = client.take();
    console.log(`${resyncs} resync passes: ${JSON.stringify(idle)}`);
    assert.ok(resyncs > 0);
    // The Deployment is where the first pass of this process left it, its status the same: nothing to apply, nothing to write.
    assert.deepEqual(idle, {});

    // Drift: a kubectl-style edit of the image. The next resync applies the spec again and says so.
    const image = async () => ((await admin.get(depRef())) as unknown as { spec: { template: { spec: { containers: Array<{ image: string }> } } } }).spec.template.spec.containers[0]!.image;
    const ours = await image();
    const corrections = (await admin.get<DeployConfigObject>(dcRef())).status?.driftCorrections ?? 0;
    passes = controller()!.passes;
    await mergePatch(admin, depRef(), { spec: { template: { spec: { containers: [{ name: 'api', image: 'evil/app:1' }] } } } }, { fieldManager: 'kubectl-edit' });
    await waitUntil(async () => (await image()) === ours, { timeoutMs: 10_000, message: 'image reverted' });
    await waitUntil(async () => ((await admin.get<DeployConfigObject>(dcRef())).status?.driftCorrections ?? 0) > corrections, { message: 'drift reported in status' });
    const drift = client.take();
    console.log(`${controller()!.passes - passes} passes with a drift: ${JSON.stringify(drift)}`);
    assert.equal(drift['APPLY deployments'], 1);
  });
});
