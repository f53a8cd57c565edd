import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { loadKubeConfig, patchStatus, type KubeClient } from '@sluice/kube';
import { adminClient, createTestNamespace, deleteTestNamespace, serviceAccountToken, TcpProxy } from '@sluice/kube/testing';
import { createTestDatabase, requireEnv, waitUntil, type TestDatabase } from '@sluice/testing';
import { InMemorySpecSource } from './adapters/spec-sources';
import type { DeployConfigObject } from './domain/deploy-config';
import { FaultInjectingClient } from './testing/faults';
import { outcomesOf, publish, request, sha, startKubeApplier, type Harness } from './testing/harness';

/*
 * Convergence under the API server's transient failures: 429 with Retry-After, 409
 * Conflict, 503, and the connection to the API server cut mid-apply (what a restarting
 * kube-apiserver looks like to a client); and kube-applier itself restarting mid-rollout,
 * resuming from the cluster's state without reporting anything twice.
 */

const CONFIG = 'api';
const C1 = sha('c');
const deployment = `
apiVersion: apps/v1
kind: Deployment
metadata: { name: api }
spec:
  replicas: 2
  selector: { matchLabels: { app: api } }
  template:
    metadata: { labels: { app: api } }
    spec:
      containers: [{ name: app, image: ghcr.io/acme/app }]
`;
const service = `apiVersion: v1\nkind: Service\nmetadata: { name: api }\nspec: { selector: { app: api }, ports: [{ port: 80 }] }\n`;
const specs = new InMemorySpecSource().put('acme/config', C1, [
  { path: `deploy/${CONFIG}/deployment.yaml`, content: deployment },
  { path: `deploy/${CONFIG}/service.yaml`, content: service },
]);

describe('kube-applier converges through API server faults and its own restart', () => {
  let admin: KubeClient;
  let ns: string;
  let proxy: TcpProxy;
  let client: FaultInjectingClient;
  let db: TestDatabase;
  let h: Harness | undefined;
  const env = { KUBE_APPLIER_PROGRESS_DEADLINE_SECONDS: '60', KUBE_APPLIER_RESYNC_SECONDS: '1', KUBE_APPLIER_HEALTH_POLL_SECONDS: '0.2' };
  const depRef = () => ({ apiVersion: 'apps/v1', kind: 'Deployment', namespace: ns, name: 'api' });

  async function rollOut(): Promise<void> {
    const d = await admin.get(depRef());
    await patchStatus(admin, depRef(), { observedGeneration: d.metadata.generation, replicas: 2, updatedReplicas: 2, readyReplicas: 2, availableReplicas: 2 });
  }
  async function waitFor(deployId: string, type: string, timeoutMs = 30_000): Promise<string[]> {
    await waitUntil(async () => (await outcomesOf(h!.store, CONFIG, deployId)).some((o) => o.type === type), { timeoutMs, intervalMs: 100, message: `${type}` });
    return (await outcomesOf(h!.store, CONFIG, deployId)).map((o) => o.type);
  }

  before(async () => {
    admin = adminClient();
    ns = await createTestNamespace(admin, 'applier-faults');
    const server = new URL(admin.server);
    proxy = new TcpProxy(server.hostname, Number(server.port));
    await proxy.start();
    const token = await serviceAccountToken(admin, 'sluice-system', 'sluice-kube-applier');
    client = new FaultInjectingClient(
      loadKubeConfig({ from: 'token', server: `https://${server.hostname}:${proxy.port}`, token, caFile: requireEnv('SLUICE_TEST_KUBE_CA') }),
    );
    db = await createTestDatabase('kube_applier_faults');
    h = await startKubeApplier({ env, db, module: { specSource: specs, kubeClient: client, watchNamespace: ns } });
  });

  after(async () => {
    await h?.close();
    await proxy?.stop();
    await db?.drop();
    if (ns) await deleteTestNamespace(admin, ns);
  });

  it('429, 409, 503 and a cut connection mid-apply: the deploy still converges and succeeds', async () => {
    client.inject(
      { method: 'PATCH', pathIncludes: '/deployconfigs/api', status: 429, reason: 'TooManyRequests', retryAfterSeconds: 1 },
      { method: 'PATCH', pathIncludes: '/services/api', status: 409, reason: 'Conflict' },
      { method: 'PATCH', pathIncludes: '/services/api', status: 503, reason: 'ServiceUnavailable' },
      { method: 'PATCH', pathIncludes: '/deployconfigs/api/status', status: 500, reason: 'InternalError' },
    );
    client.onRequest('PATCH', '/deployments/api', () => {
      proxy.partition();
      setTimeout(() => proxy.heal(), 1500);
    });
    const id = await publish(h!.bus, request({ config: CONFIG, namespace: ns, artifactSha: sha('1'), configSha: C1 }));
    await waitFor(id, 'deploy.applied');
    assert.equal(client.pending, 0, `every fault fired: ${client.injected.join('; ')}`);
    const dep = (await admin.get(depRef())) as unknown as { spec: { template: { spec: { containers: Array<{ image: string }> } } } };
    assert.equal(dep.spec.template.spec.containers[0]!.image, `ghcr.io/acme/app:main-${sha('1').slice(0, 7)}`);
    assert.ok(await admin.find({ apiVersion: 'v1', kind: 'Service', namespace: ns, name: 'api' }));
    await rollOut();
    assert.deepEqual(await waitFor(id, 'deploy.succeeded'), ['deploy.started', 'deploy.applied', 'deploy.succeeded']);
  });

  it('a restart mid-rollout resumes from the DeployConfig and reports the result once', async () => {
    const id = await publish(h!.bus, request({ config: CONFIG, namespace: ns, artifactSha: sha('2'), configSha: C1 }));
    await waitFor(id, 'deploy.applied');
    await h!.close();
    h = undefined;
    await rollOut(); // the rollout finishes while kube-applier is down
    h = await startKubeApplier({ env, db, module: { specSource: specs, kubeClient: client, watchNamespace: ns } });
    assert.deepEqual(await waitFor(id, 'deploy.succeeded'), ['deploy.started', 'deploy.applied', 'deploy.succeeded']);
    const dcRef = { apiVersion: 'sluice.dev/v1alpha1', kind: 'DeployConfig', namespace: ns, name: CONFIG };
    await waitUntil(async () => (await admin.get<DeployConfigObject>(dcRef)).status?.phase === 'Succeeded', { message: 'phase Succeeded' });
    const dc = await admin.get<DeployConfigObject>(dcRef);
    assert.equal(dc.status?.deployId, id);
  });
});
