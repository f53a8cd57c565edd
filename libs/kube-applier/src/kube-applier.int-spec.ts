import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mergePatch, patchStatus, type KubeClient } from '@sluice/kube';
import { adminClient, createTestNamespace, deleteTestNamespace } from '@sluice/kube/testing';
import { waitUntil } from '@sluice/testing';
import { InMemorySpecSource } from './adapters/spec-sources';
import type { DeployConfigObject } from './domain/deploy-config';
import { applierAccess, installCrd, outcomesOf, publish, request, sha, startKubeApplier, type ApplierAccess, type Harness, type Target } from './testing/harness';

/*
 * kube-applier against the real kube-apiserver of the test infrastructure, with the
 * least-privilege service account of deploy/rbac. There is no controller-manager: the test
 * patches workload status to play the Deployment controller, and nothing cascades.
 */

const CONFIG = 'web';
const S1 = sha('1');
const S2 = sha('2');
const S3 = sha('3');
const C1 = sha('c');
const C2 = sha('d');
const CBAD = sha('e');
const CFORBIDDEN = sha('f');

const deployment = `
apiVersion: apps/v1
kind: Deployment
metadata: { name: web, labels: { app: web } }
spec:
  replicas: 1
  selector: { matchLabels: { app: web } }
  template:
    metadata: { labels: { app: web } }
    spec:
      containers:
        - { name: app, image: ghcr.io/acme/app:dev }
        - { name: sidecar, image: busybox:1.36 }
`;
const service = `apiVersion: v1\nkind: Service\nmetadata: { name: web }\nspec: { selector: { app: web }, ports: [{ port: 80 }] }\n`;
const configmap = `apiVersion: v1\nkind: ConfigMap\nmetadata: { name: web-extra }\ndata: { greeting: hello }\n`;
const files = (entries: Record<string, string>) => Object.entries(entries).map(([name, content]) => ({ path: `deploy/${CONFIG}/${name}`, content }));

const specs = new InMemorySpecSource()
  .put('acme/config', C1, files({ 'deploy.yaml': 'team: payments', 'deployment.yaml': deployment, 'service.yaml': service, 'configmap.yaml': configmap }))
  .put('acme/config', C2, files({ 'deploy.yaml': 'team: payments', 'deployment.yaml': deployment, 'service.yaml': service }))
  .put('acme/config', CBAD, files({ 'deploy.yaml': 'team: payments', 'deployment.yaml': deployment, 'broken.yaml': 'kind: ConfigMap\nmetadata: [oops' }))
  .put('acme/config', CFORBIDDEN, files({ 'deployment.yaml': deployment, 'role.yaml': 'apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata: { name: x }\nrules: []\n' }));

describe('kube-applier on a real kube-apiserver (least-privilege RBAC)', () => {
  let admin: KubeClient;
  let ns: string;
  let h: Harness;
  let access: ApplierAccess | undefined;
  const target = (t: Omit<Target, 'config' | 'namespace'>): Target => ({ config: CONFIG, namespace: ns, ...t });
  const ref = (kind: string, name: string, apiVersion = 'v1') => ({ apiVersion, kind, namespace: ns, name });
  const deploymentRef = () => ref('Deployment', 'web', 'apps/v1');
  const dcRef = () => ref('DeployConfig', CONFIG, 'sluice.dev/v1alpha1');

  async function waitForOutcome(deployId: string, type: string, timeoutMs = 20_000) {
    let seen: string[] = [];
    await waitUntil(
      async () => {
        seen = (await outcomesOf(h.store, CONFIG, deployId)).map((o) => o.type);
        return seen.includes(type);
      },
      { timeoutMs, intervalMs: 100, message: `${type} for ${deployId}` },
    ).catch((err: Error) => {
      throw new Error(`${err.message}; outcomes so far: ${seen.join(', ') || 'none'}`);
    });
    return outcomesOf(h.store, CONFIG, deployId);
  }

  /** Plays the Deployment controller: the current generation rolled out. */
  async function rollOut(): Promise<void> {
    const d = await admin.get(deploymentRef());
    await patchStatus(admin, deploymentRef(), {
      observedGeneration: d.metadata.generation,
      replicas: 1,
      updatedReplicas: 1,
      readyReplicas: 1,
      availableReplicas: 1,
    });
  }

  const image = async () => ((await admin.get(deploymentRef())) as unknown as { spec: { template: { spec: { containers: Array<{ image: string }> } } } }).spec.template.spec.containers.map((c) => c.image);

  before(async () => {
    admin = adminClient();
    await installCrd(admin);
    ns = await createTestNamespace(admin, 'applier');
    access = await applierAccess(admin, [ns]);
    h = await startKubeApplier({
      env: { KUBE_APPLIER_PROGRESS_DEADLINE_SECONDS: '4', KUBE_APPLIER_RESYNC_SECONDS: '1', KUBE_APPLIER_HEALTH_POLL_SECONDS: '0.2' },
      module: { specSource: specs, kubeClient: access.client, watchNamespace: ns },
    });
  });

  after(async () => {
    await h?.close();
    await access?.rbac.remove();
    if (ns) await deleteTestNamespace(admin, ns);
  });

  it('deploys (S1, C1): objects with the image tag, config label and owner reference; succeeded once rolled out', async () => {
    const id = await publish(h.bus, request(target({ artifactSha: S1, configSha: C1 })));
    const applied = await waitForOutcome(id, 'deploy.applied');
    assert.deepEqual(applied.map((o) => o.type), ['deploy.started', 'deploy.applied']);
    assert.deepEqual(
      (applied[1]!.data['inventory'] as Array<{ kind: string; name: string }>).map((e) => `${e.kind}/${e.name}`).sort(),
      ['ConfigMap/web-extra', 'Deployment/web', 'Service/web'],
    );
    assert.equal(applied[1]!.data['dryRun'], false);

    const dc = await admin.get<DeployConfigObject>(dcRef());
    assert.equal(dc.spec.artifactSha, S1);
    assert.equal(dc.spec.configSha, C1);
    assert.equal(dc.metadata.annotations?.['sluice.dev/deploy-id'], id);
    assert.deepEqual(await image(), [`ghcr.io/acme/app:main-${S1.slice(0, 7)}`, 'busybox:1.36']);
    for (const [kind, name, v] of [['Deployment', 'web', 'apps/v1'], ['Service', 'web', 'v1'], ['ConfigMap', 'web-extra', 'v1']] as const) {
      const o = await admin.get(ref(kind, name, v));
      assert.equal(o.metadata.labels?.['sluice.dev/config'], CONFIG, `${kind} label`);
      assert.deepEqual(o.metadata.ownerReferences?.map((r) => [r.kind, r.name, r.uid, r.controller]), [['DeployConfig', CONFIG, dc.metadata.uid, true]], `${kind} owner`);
    }
    await waitUntil(async () => (await admin.get<DeployConfigObject>(dcRef())).status?.phase === 'Applied', { message: 'phase Applied' });

    await rollOut();
    const done = await waitForOutcome(id, 'deploy.succeeded');
    assert.deepEqual(done.map((o) => o.type), ['deploy.started', 'deploy.applied', 'deploy.succeeded']);
    assert.ok(done.every((o) => o.correlationId === done[0]!.correlationId), 'outcomes carry the request correlation');
    await waitUntil(async () => (await admin.get<DeployConfigObject>(dcRef())).status?.phase === 'Succeeded');
    const status = (await admin.get<DeployConfigObject>(dcRef())).status!;
    assert.equal(status.observedGeneration, dc.metadata.generation);
    assert.equal(status.conditions?.find((c) => c.type === 'Ready')?.status, 'True');
  });

  it('deploys (S2, C1): only the image changes', async () => {
    const before = {
      svc: (await admin.get(ref('Service', 'web'))).metadata.resourceVersion,
      cm: (await admin.get(ref('ConfigMap', 'web-extra'))).metadata.resourceVersion,
      gen: (await admin.get(deploymentRef())).metadata.generation!,
    };
    const id = await publish(h.bus, request(target({ artifactSha: S2, configSha: C1 })));
    await waitForOutcome(id, 'deploy.applied');
    assert.deepEqual(await image(), [`ghcr.io/acme/app:main-${S2.slice(0, 7)}`, 'busybox:1.36']);
    assert.equal((await admin.get(deploymentRef())).metadata.generation, before.gen + 1);
    assert.equal((await admin.get(ref('Service', 'web'))).metadata.resourceVersion, before.svc);
    assert.equal((await admin.get(ref('ConfigMap', 'web-extra'))).metadata.resourceVersion, before.cm);
    await rollOut();
    await waitForOutcome(id, 'deploy.succeeded');
  });

  it('deploys (S3, C2): the spec removed at C2 is pruned; no rollout before the deadline fails the deploy', async () => {
    const started = Date.now();
    const id = await publish(h.bus, request(target({ artifactSha: S3, configSha: C2 })));
    await waitForOutcome(id, 'deploy.applied');
    await waitUntil(async () => (await admin.find(ref('ConfigMap', 'web-extra'))) === undefined, { message: 'ConfigMap pruned' });
    assert.ok(await admin.find(ref('Service', 'web')), 'the Service stays');
    const outcomes = await waitForOutcome(id, 'deploy.failed');
    const failed = outcomes.find((o) => o.type === 'deploy.failed')!;
    assert.equal(failed.data['reason'], 'ProgressDeadlineExceeded');
    assert.equal(failed.data['terminal'], false);
    assert.ok(Date.now() - started >= 4000, 'not before the deadline');
    assert.ok(!outcomes.some((o) => o.type === 'deploy.succeeded'));
    // Outcomes are reported before the status is written (so none is lost in a crash between).
    await waitUntil(async () => (await admin.get<DeployConfigObject>(dcRef())).status?.phase === 'Failed', { message: 'phase Failed' });
    const status = (await admin.get<DeployConfigObject>(dcRef())).status!;
    assert.equal(status.conditions?.find((c) => c.type === 'Stalled')?.reason, 'ProgressDeadlineExceeded');
    assert.deepEqual(status.inventory?.map((e) => e.kind).sort(), ['Deployment', 'Service']);
  });

  it('reverts a kubectl-style edit of an owned field on the next pass and reports it', async () => {
    const before = (await admin.get<DeployConfigObject>(dcRef())).status?.driftCorrections ?? 0;
    await mergePatch(admin, ref('Service', 'web'), { spec: { selector: { app: 'hijacked' } } }, { fieldManager: 'kubectl-edit' });
    await mergePatch(
      admin,
      deploymentRef(),
      { spec: { template: { spec: { containers: [{ name: 'app', image: 'evil/app:1' }, { name: 'sidecar', image: 'busybox:1.36' }] } } } },
      { fieldManager: 'kubectl-edit' },
    );
    await waitUntil(async () => (await image())[0] === `ghcr.io/acme/app:main-${S3.slice(0, 7)}`, { timeoutMs: 10_000, message: 'image reverted' });
    await waitUntil(
      async () => ((await admin.get(ref('Service', 'web'))) as unknown as { spec: { selector: { app: string } } }).spec.selector.app === 'web',
      { timeoutMs: 10_000, message: 'service selector reverted' },
    );
    await waitUntil(async () => ((await admin.get<DeployConfigObject>(dcRef())).status?.driftCorrections ?? 0) > before, { message: 'drift reported in status' });
  });

  it('fails an invalid manifest terminally and applies nothing of it', async () => {
    const dcBefore = await admin.get<DeployConfigObject>(dcRef());
    const depBefore = (await admin.get(deploymentRef())).metadata.generation;
    const id = await publish(h.bus, request(target({ artifactSha: S1, configSha: CBAD })));
    const outcomes = await waitForOutcome(id, 'deploy.failed');
    const failed = outcomes.find((o) => o.type === 'deploy.failed')!;
    assert.equal(failed.data['reason'], 'InvalidManifest');
    assert.equal(failed.data['terminal'], true);
    assert.match(String(failed.data['message']), /broken\.yaml/);
    assert.ok(!outcomes.some((o) => o.type === 'deploy.applied'));
    const dcAfter = await admin.get<DeployConfigObject>(dcRef());
    assert.equal(dcAfter.metadata.generation, dcBefore.metadata.generation, 'DeployConfig untouched');
    assert.equal(dcAfter.spec.configSha, C2);
    assert.equal((await admin.get(deploymentRef())).metadata.generation, depBefore, 'nothing applied');
  });

  it('fails a forbidden kind terminally before anything reaches the cluster', async () => {
    const id = await publish(h.bus, request(target({ artifactSha: S1, configSha: CFORBIDDEN })));
    const failed = (await waitForOutcome(id, 'deploy.failed')).find((o) => o.type === 'deploy.failed')!;
    assert.equal(failed.data['reason'], 'ForbiddenKind');
    assert.equal((await admin.get<DeployConfigObject>(dcRef())).spec.configSha, C2);
  });

  it('converges a kubectl edit of the DeployConfig specs too; a forbidden kind added by hand stalls it', async () => {
    const dc = await admin.get<DeployConfigObject>(dcRef());
    const handMade = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'hand-made' }, data: { by: 'kubectl' } };
    await mergePatch(admin, dcRef(), { spec: { specs: [...dc.spec.specs, handMade] } }, { fieldManager: 'kubectl-edit' });
    const cm = await waitUntil(async () => !!(await admin.find(ref('ConfigMap', 'hand-made'))), { message: 'hand-made ConfigMap applied' }).then(() =>
      admin.get(ref('ConfigMap', 'hand-made')),
    );
    assert.equal(cm.metadata.labels?.['sluice.dev/config'], CONFIG);
    assert.equal(cm.metadata.ownerReferences?.[0]?.uid, dc.metadata.uid);

    const forbidden = { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'sneaky' } };
    await mergePatch(admin, dcRef(), { spec: { specs: [...dc.spec.specs, handMade, forbidden] } }, { fieldManager: 'kubectl-edit' });
    await waitUntil(async () => (await admin.get<DeployConfigObject>(dcRef())).status?.conditions?.find((c) => c.type === 'Stalled')?.reason === 'ForbiddenKind', {
      message: 'Stalled: ForbiddenKind',
    });
    assert.equal(await admin.find({ apiVersion: 'v1', kind: 'Namespace', name: 'sneaky' }), undefined);
  });

  it('undeploys: every object of the config is gone and the DeployConfig is virtual', async () => {
    const id = await publish(h.bus, request(target({ artifactSha: null, configSha: null }), 'undeploy.requested'));
    const outcomes = await waitForOutcome(id, 'deploy.undeployed');
    assert.deepEqual(outcomes.map((o) => o.type), ['deploy.started', 'deploy.undeployed']);
    assert.equal(await admin.find(deploymentRef()), undefined);
    assert.equal(await admin.find(ref('Service', 'web')), undefined);
    assert.equal(await admin.find(ref('ConfigMap', 'hand-made')), undefined);
    await waitUntil(async () => (await admin.get<DeployConfigObject>(dcRef())).status?.phase === 'Undeployed', { message: 'phase Undeployed' });
    const dc = await admin.get<DeployConfigObject>(dcRef());
    assert.deepEqual(
      { artifactSha: dc.spec.artifactSha, configSha: dc.spec.configSha, specs: dc.spec.specs, phase: dc.status?.phase, inventory: dc.status?.inventory },
      { artifactSha: null, configSha: null, specs: [], phase: 'Undeployed', inventory: [] },
    );
  });

  it('reports each outcome once however often it reconciles', async () => {
    await new Promise((r) => setTimeout(r, 2500)); // two resync periods
    const events = await h.store.readStream(`applier-${CONFIG}`);
    const keys = events.map((e) => `${(e.data as { deployId: string }).deployId}/${e.type}${e.type === 'deploy.step' ? `/${(e.data as { step: string }).step}` : ''}`);
    assert.equal(new Set(keys).size, keys.length, `duplicates in ${keys.join(', ')}`);
  });
});

describe('kube-applier sees a rollout end through its workload watch', () => {
  let admin: KubeClient;
  let ns: string;
  let h: Harness;
  let access: ApplierAccess | undefined;

  before(async () => {
    admin = adminClient();
    await installCrd(admin);
    ns = await createTestNamespace(admin, 'applier-watch');
    access = await applierAccess(admin, [ns]);
    // Resync and health poll far beyond the test: only the watch can report the rollout.
    h = await startKubeApplier({
      env: { KUBE_APPLIER_RESYNC_SECONDS: '600', KUBE_APPLIER_HEALTH_POLL_SECONDS: '600' },
      module: { specSource: specs, kubeClient: access.client, watchNamespace: ns },
    });
  });

  after(async () => {
    await h?.close();
    await access?.rbac.remove();
    if (ns) await deleteTestNamespace(admin, ns);
  });

  it('reports succeeded within seconds of the Deployment status change, not at the next health poll', async () => {
    const id = await publish(h.bus, request({ config: CONFIG, namespace: ns, artifactSha: S1, configSha: C2 }));
    const deploymentRef = { apiVersion: 'apps/v1', kind: 'Deployment', namespace: ns, name: 'web' };
    await waitUntil(async () => (await outcomesOf(h.store, CONFIG, id)).some((o) => o.type === 'deploy.applied'), { timeoutMs: 20_000, message: 'applied' });
    const d = await admin.get(deploymentRef);
    const rolledOutAt = Date.now();
    await patchStatus(admin, deploymentRef, { observedGeneration: d.metadata.generation, replicas: 1, updatedReplicas: 1, readyReplicas: 1, availableReplicas: 1 });
    await waitUntil(async () => (await outcomesOf(h.store, CONFIG, id)).some((o) => o.type === 'deploy.succeeded'), { timeoutMs: 10_000, intervalMs: 50, message: 'succeeded after the rollout' });
    const elapsed = Date.now() - rolledOutAt;
    assert.ok(elapsed < 10_000, `succeeded ${elapsed} ms after the rollout (health poll is 600 s)`);
    assert.deepEqual((await outcomesOf(h.store, CONFIG, id)).map((o) => o.type), ['deploy.started', 'deploy.applied', 'deploy.succeeded']);
  });
});
