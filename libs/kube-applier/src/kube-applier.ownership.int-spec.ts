import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { patchStatus, type KubeClient, type KubeObject } from '@sluice/kube';
import { adminClient, createTestNamespace, deleteTestNamespace } from '@sluice/kube/testing';
import { waitUntil } from '@sluice/testing';
import { InMemorySpecSource } from './adapters/spec-sources';
import type { DeployConfigObject } from './domain/deploy-config';
import { applierAccess, outcomesOf, publish, request, sha, startKubeApplier, type ApplierAccess, type Harness } from './testing/harness';

/*
 * Object ownership on the real kube-apiserver, under kube-applier's least-privilege account:
 * a config never takes over another config's objects, nor an object nobody manages unless its
 * manifest says `sluice.dev/adopt: "true"`, and its pruning never deletes another config's.
 */

const A = 'ledger';
const B = 'billing';
const CA = sha('a');
const [CB1, CB2, CB3, CB4, CB5] = [sha('b1'), sha('b2'), sha('b3'), sha('b4'), sha('b5')];

const deployment = (name: string) => `
apiVersion: apps/v1
kind: Deployment
metadata: { name: ${name} }
spec:
  selector: { matchLabels: { app: ${name} } }
  template:
    metadata: { labels: { app: ${name} } }
    spec: { containers: [{ name: app, image: nginx:1.27 }] }
`;
const configMap = (name: string, data: string, annotations = '{}') => `apiVersion: v1\nkind: ConfigMap\nmetadata: { name: ${name}, annotations: ${annotations} }\ndata: { v: ${data} }\n`;
const ADOPT = `{ sluice.dev/adopt: "true" }`;
const folder = (config: string, entries: Record<string, string>) =>
  Object.entries({ 'deploy.yaml': 'team: payments', ...entries }).map(([name, content]) => ({ path: `deploy/${config}/${name}`, content }));

const specs = new InMemorySpecSource()
  .put('acme/config', CA, folder(A, { 'shared.yaml': configMap('shared', 'ledger'), 'web.yaml': deployment('shared-web') }))
  // B names A's ConfigMap and Deployment beside one of its own.
  .put('acme/config', CB1, folder(B, { 'own.yaml': configMap('billing-own', 'b'), 'shared.yaml': configMap('shared', 'billing'), 'web.yaml': deployment('shared-web') }))
  // B names a ConfigMap nobody manages, without and then with the adopt annotation.
  .put('acme/config', CB2, folder(B, { 'own.yaml': configMap('billing-own', 'b'), 'legacy.yaml': configMap('legacy', 'billing') }))
  .put('acme/config', CB3, folder(B, { 'own.yaml': configMap('billing-own', 'b'), 'legacy.yaml': configMap('legacy', 'billing', ADOPT) }))
  // Later deploys: the adopted object is B's now (annotation or not); then it leaves the specs.
  .put('acme/config', CB4, folder(B, { 'own.yaml': configMap('billing-own', 'b2'), 'legacy.yaml': configMap('legacy', 'billing-2') }))
  .put('acme/config', CB5, folder(B, { 'own.yaml': configMap('billing-own', 'b3') }));

describe('kube-applier takes over nothing it does not own (real kube-apiserver)', () => {
  let admin: KubeClient;
  let ns: string;
  let h: Harness;
  let access: ApplierAccess | undefined;
  const ref = (kind: string, name: string, apiVersion = 'v1') => ({ apiVersion, kind, namespace: ns, name });
  const deploy = (config: string, configSha: string) => publish(h.bus, request({ config, namespace: ns, artifactSha: null, configSha, path: `deploy/${config}` }));
  const snapshot = async (kind: string, name: string, apiVersion = 'v1') => {
    const o = await admin.get<KubeObject & { data?: Record<string, string> }>(ref(kind, name, apiVersion));
    return { resourceVersion: o.metadata.resourceVersion, labels: o.metadata.labels, owners: o.metadata.ownerReferences?.map((r) => r.name), data: o.data };
  };

  async function outcome(config: string, deployId: string, type: string) {
    await waitUntil(async () => (await outcomesOf(h.store, config, deployId)).some((o) => o.type === type), { timeoutMs: 20_000, intervalMs: 100, message: `${type} of ${config}` });
    const all = await outcomesOf(h.store, config, deployId);
    return { types: all.map((o) => o.type), data: all.find((o) => o.type === type)!.data };
  }

  before(async () => {
    admin = adminClient();
    ns = await createTestNamespace(admin, 'applier-owners');
    access = await applierAccess(admin, [ns]);
    h = await startKubeApplier({
      env: { KUBE_APPLIER_RESYNC_SECONDS: '1', KUBE_APPLIER_HEALTH_POLL_SECONDS: '0.2' },
      module: { specSource: specs, kubeClient: access.client, watchNamespace: ns },
    });
    await outcome(A, await deploy(A, CA), 'deploy.applied');
  });

  after(async () => {
    await h?.close();
    await access?.rbac.remove();
    if (ns) await deleteTestNamespace(admin, ns);
  });

  it("refuses config B's spec naming config A's ConfigMap and Deployment: OwnedByAnotherConfig, terminal, nothing of B applied, A's objects unchanged", async () => {
    const cm = await snapshot('ConfigMap', 'shared');
    const web = await snapshot('Deployment', 'shared-web', 'apps/v1');
    assert.deepEqual(cm.labels?.['sluice.dev/config'], A);

    const failed = await outcome(B, await deploy(B, CB1), 'deploy.failed');
    assert.equal(failed.data['reason'], 'OwnedByAnotherConfig');
    assert.equal(failed.data['terminal'], true);
    assert.match(String(failed.data['message']), /ConfigMap .*shared belongs to config "ledger"/);
    assert.match(String(failed.data['message']), /Deployment .*shared-web belongs to config "ledger"/);
    assert.ok(!failed.types.includes('deploy.applied'), failed.types.join());

    await new Promise((r) => setTimeout(r, 1500)); // a resync pass of B too
    assert.deepEqual(await snapshot('ConfigMap', 'shared'), cm);
    assert.deepEqual(await snapshot('Deployment', 'shared-web', 'apps/v1'), web);
    assert.equal(await admin.find(ref('ConfigMap', 'billing-own')), undefined, "B's own object was not applied either");
    const dc = await admin.get<DeployConfigObject>(ref('DeployConfig', B, 'sluice.dev/v1alpha1'));
    assert.equal(dc.status?.conditions?.find((c) => c.type === 'Stalled')?.reason, 'OwnedByAnotherConfig');
    assert.deepEqual(dc.status?.inventory ?? [], [], "B's inventory never names A's objects");
  });

  it('refuses an unmanaged ConfigMap (UnmanagedObject) and leaves it as it was', async () => {
    await admin.create({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'legacy', namespace: ns, labels: { app: 'legacy' } }, data: { v: 'by-hand' } });
    const before = await snapshot('ConfigMap', 'legacy');

    const failed = await outcome(B, await deploy(B, CB2), 'deploy.failed');
    assert.equal(failed.data['reason'], 'UnmanagedObject');
    assert.match(String(failed.data['message']), /ConfigMap .*legacy exists and is not managed by Sluice/);
    assert.match(String(failed.data['message']), /sluice\.dev\/adopt/);
    assert.deepEqual(await snapshot('ConfigMap', 'legacy'), before);
    assert.equal(await admin.find(ref('ConfigMap', 'billing-own')), undefined);
  });

  it('adopts it when the manifest says sluice.dev/adopt: "true": labelled, owned by B, B\'s data', async () => {
    const id = await deploy(B, CB3);
    await outcome(B, id, 'deploy.succeeded');
    const dc = await admin.get<DeployConfigObject>(ref('DeployConfig', B, 'sluice.dev/v1alpha1'));
    const legacy = await admin.get<KubeObject & { data: Record<string, string> }>(ref('ConfigMap', 'legacy'));
    assert.equal(legacy.metadata.labels?.['sluice.dev/config'], B);
    assert.equal(legacy.metadata.labels?.['app'], 'legacy', 'fields of other managers stay');
    assert.equal(legacy.metadata.annotations?.['sluice.dev/adopt'], 'true', 'the annotation is kept as applied');
    assert.deepEqual(legacy.metadata.ownerReferences?.map((r) => [r.kind, r.name, r.uid, r.controller]), [['DeployConfig', B, dc.metadata.uid, true]]);
    assert.equal(legacy.data.v, 'billing');
    assert.ok(await admin.find(ref('ConfigMap', 'billing-own')));
  });

  it('a later deploy of B keeps working on the adopted object (no annotation needed any more)', async () => {
    await outcome(B, await deploy(B, CB4), 'deploy.succeeded');
    assert.equal((await admin.get<KubeObject & { data: Record<string, string> }>(ref('ConfigMap', 'legacy'))).data.v, 'billing-2');
  });

  it("B's pruning deletes what left its specs, never A's objects even when its inventory names them", async () => {
    const cm = await snapshot('ConfigMap', 'shared');
    // Say B's inventory was edited (or went stale) to name A's ConfigMap.
    const dcRef = ref('DeployConfig', B, 'sluice.dev/v1alpha1');
    const dc = await admin.get<DeployConfigObject>(dcRef);
    await patchStatus(admin, dcRef, { inventory: [...(dc.status?.inventory ?? []), { apiVersion: 'v1', kind: 'ConfigMap', namespace: ns, name: 'shared' }] });

    await outcome(B, await deploy(B, CB5), 'deploy.succeeded');
    await waitUntil(async () => (await admin.find(ref('ConfigMap', 'legacy'))) === undefined, { message: 'legacy pruned' });
    assert.deepEqual(await snapshot('ConfigMap', 'shared'), cm, "A's ConfigMap untouched");
    assert.ok(await admin.find(ref('Deployment', 'shared-web', 'apps/v1')), "A's Deployment untouched");
  });
});
