import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Client } from 'pg';
import type { EventEnvelope } from '@sluice/contracts';
import { loadKubeConfig, patchStatus, type KubeClient } from '@sluice/kube';
import { adminClient, createTestNamespace, deleteTestNamespace, TcpProxy } from '@sluice/kube/testing';
import { createTestDatabase, requireEnv, uniqueName, waitUntil, type TestDatabase } from '@sluice/testing';
import { InMemorySpecSource } from './adapters/spec-sources';
import type { DeployConfigObject } from './domain/deploy-config';
import { FaultInjectingClient } from './testing/faults';
import { applierAccess, outcomesOf, publish, request, sha, startKubeApplier, type ApplierAccess, type Harness } from './testing/harness';

/*
 * Convergence under the API server's transient failures: 429 with Retry-After, 409
 * Conflict, 503, and the connection to the API server cut mid-apply (what a restarting
 * kube-apiserver looks like to a client); and kube-applier itself restarting mid-rollout,
 * resuming from the cluster's state without reporting anything twice. The request handler
 * writes the DeployConfig outside any transaction: a failure between that write and the inbox
 * commit is redelivered and completes the deploy once, and a request handled before is never
 * applied again.
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
  let access: ApplierAccess | undefined;
  const env = { KUBE_APPLIER_PROGRESS_DEADLINE_SECONDS: '60', KUBE_APPLIER_RESYNC_SECONDS: '1', KUBE_APPLIER_HEALTH_POLL_SECONDS: '0.2' };
  const depRef = () => ({ apiVersion: 'apps/v1', kind: 'Deployment', namespace: ns, name: 'api' });
  const dcRef = () => ({ apiVersion: 'sluice.dev/v1alpha1', kind: 'DeployConfig', namespace: ns, name: CONFIG });
  let first: EventEnvelope | undefined;
  // A restarted kube-applier keeps its consumer group, and with it its inbox.
  const consumerGroup = uniqueName('kube-applier-faults');

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
    access = await applierAccess(admin, [ns]);
    const token = access.token;
    client = new FaultInjectingClient(
      loadKubeConfig({ from: 'token', server: `https://${server.hostname}:${proxy.port}`, token, caFile: requireEnv('SLUICE_TEST_KUBE_CA') }),
    );
    db = await createTestDatabase('kube_applier_faults');
    h = await startKubeApplier({ env, db, module: { specSource: specs, kubeClient: client, watchNamespace: ns, consumerGroup } });
  });

  after(async () => {
    await h?.close();
    await proxy?.stop();
    await access?.rbac.remove();
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
    first = request({ config: CONFIG, namespace: ns, artifactSha: sha('1'), configSha: C1 });
    const id = await publish(h!.bus, first);
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
    h = await startKubeApplier({ env, db, module: { specSource: specs, kubeClient: client, watchNamespace: ns, consumerGroup } });
    assert.deepEqual(await waitFor(id, 'deploy.succeeded'), ['deploy.started', 'deploy.applied', 'deploy.succeeded']);
    await waitUntil(async () => (await admin.get<DeployConfigObject>(dcRef())).status?.phase === 'Succeeded', { message: 'phase Succeeded' });
    const dc = await admin.get<DeployConfigObject>(dcRef());
    assert.equal(dc.status?.deployId, id);
  });

  it('the inbox commit fails after the DeployConfig was written: the redelivered request completes the deploy once', async () => {
    // A session of the test holds the inbox against writes: the handler records the request,
    // reports started and writes the DeployConfig, then waits on the inbox insert. Its
    // connection is then killed, as a crash would end it: nothing of its inbox transaction commits.
    const pg = new Client({ connectionString: db.url });
    await pg.connect();
    let id: string;
    try {
      await pg.query('BEGIN');
      await pg.query('LOCK TABLE kube_applier.inbox IN SHARE MODE');
      id = await publish(h!.bus, request({ config: CONFIG, namespace: ns, artifactSha: sha('3'), configSha: C1 }));
      await waitUntil(async () => (await admin.get<DeployConfigObject>(dcRef())).metadata.annotations?.['sluice.dev/deploy-id'] === id, { message: 'DeployConfig written' });
      let blocked: number | undefined;
      await waitUntil(
        async () => {
          const { rows } = await pg.query<{ pid: number }>(
            `SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid() AND wait_event_type = 'Lock' AND query ILIKE '%inbox%'`,
          );
          blocked = rows[0]?.pid;
          return blocked !== undefined;
        },
        // Under a loaded CI machine the request can take a while to reach its inbox transaction.
        { timeoutMs: 30_000, message: 'the inbox insert waits on the lock' },
      );
      assert.deepEqual((await outcomesOf(h!.store, CONFIG, id)).map((o) => o.type).slice(0, 1), ['deploy.started'], 'started committed before the write');
      await pg.query('SELECT pg_terminate_backend($1)', [blocked]);
      await pg.query('COMMIT');
    } finally {
      await pg.end();
    }
    await waitFor(id, 'deploy.applied');
    await rollOut();
    assert.deepEqual(await waitFor(id, 'deploy.succeeded'), ['deploy.started', 'deploy.applied', 'deploy.succeeded']);
    const check = new Client({ connectionString: db.url });
    await check.connect();
    try {
      // The reconciler can report succeeded before the redelivered request's inbox transaction commits.
      const inboxRows = async () =>
        (await check.query(`SELECT 1 FROM kube_applier.inbox WHERE event_id IN (SELECT causation_id::uuid FROM kube_applier.deploys WHERE deploy_id = $1)`, [id])).rowCount;
      await waitUntil(async () => (await inboxRows()) === 1, { message: 'the redelivered request reaches the inbox' });
      assert.equal(await inboxRows(), 1, 'the request is in the inbox once');
      const records = await check.query(`SELECT 1 FROM kube_applier.deploys WHERE deploy_id = $1`, [id]);
      assert.equal(records.rowCount, 1);
    } finally {
      await check.end();
    }
  });

  it('a request handled before and delivered again is not applied over the newer deploy', async () => {
    const generation = (await admin.get<DeployConfigObject>(dcRef())).metadata.generation!;
    await publish(h!.bus, first!); // the first deploy's request again, after two newer ones
    // The next request of the same config is handled after it (one key, in order).
    const id = await publish(h!.bus, request({ config: CONFIG, namespace: ns, artifactSha: sha('4'), configSha: C1 }));
    await waitFor(id, 'deploy.applied');
    const dc = await admin.get<DeployConfigObject>(dcRef());
    assert.equal(dc.metadata.annotations?.['sluice.dev/deploy-id'], id);
    // One spec change (this deploy's); applying the old request again would have been another.
    assert.equal(dc.metadata.generation, generation + 1);
    assert.deepEqual(
      (await outcomesOf(h!.store, CONFIG, (first!.data as { deployId: string }).deployId)).map((o) => o.type),
      ['deploy.started', 'deploy.applied', 'deploy.succeeded'],
    );
  });
});
