import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mergePatch } from './apply';
import { KubeClient } from './client';
import { loadKubeConfig } from './kube-config';
import type { KubeObject } from './types';
import { watchResources, type ResourceWatcher, type WatchEvent } from './watch';
import { compactEtcd } from './testing/etcd';
import { adminClient, createTestNamespace, deleteTestNamespace, etcdUrl, eventually } from './testing/env';
import { TcpProxy } from './testing/tcp-proxy';

interface ConfigMap extends KubeObject {
  data?: Record<string, string>;
}

describe('list+watch on a real kube-apiserver', () => {
  let admin: KubeClient;
  let ns: string;

  before(async () => {
    admin = adminClient();
    ns = await createTestNamespace(admin, 'watch');
  });
  after(async () => {
    await deleteTestNamespace(admin, ns);
  });

  const configMap = (name: string, value: string): ConfigMap => ({
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { name, namespace: ns },
    data: { value },
  });
  const cmRef = (name: string) => ({ apiVersion: 'v1', kind: 'ConfigMap', namespace: ns, name });

  function collect<T extends KubeObject>(watcher: ResourceWatcher<T>): Array<WatchEvent<T>> {
    const events: Array<WatchEvent<T>> = [];
    void watcher.run((e) => {
      events.push(e);
    });
    return events;
  }
  /** A ConfigMap watcher that talks to the API server through a proxy the test can cut. */
  async function configMapsThroughProxy(): Promise<{ proxy: TcpProxy; watcher: ResourceWatcher<ConfigMap> }> {
    const server = new URL(admin.server);
    const proxy = new TcpProxy(server.hostname, Number(server.port));
    await proxy.start();
    const cluster = admin.config.getCurrentCluster()!;
    const user = admin.config.getCurrentUser()!;
    const kc = loadKubeConfig({ from: 'token', server: `https://127.0.0.1:${proxy.port}`, token: user.token!, caFile: cluster.caFile });
    const watcher = watchResources<ConfigMap>(new KubeClient(kc), { apiVersion: 'v1', kind: 'ConfigMap', namespace: ns, backoff: { initialDelayMs: 50, maxDelayMs: 300 } });
    return { proxy, watcher };
  }
  const seen = (events: Array<WatchEvent<KubeObject>>, type: string, name: string, pred: (o: KubeObject) => boolean = () => true) =>
    events.some((e) => e.type === type && 'object' in e && e.object.metadata.name === name && pred(e.object));

  it('survives a partition across an etcd compaction (410 Gone) by relisting, with no missed change', async () => {
    for (const name of ['a', 'b', 'c']) await admin.create(configMap(name, '1'));

    const { proxy, watcher } = await configMapsThroughProxy();
    const events = collect(watcher);
    try {
      await watcher.waitForSync();
      await eventually(() => events.some((e) => e.type === 'SYNCED'), 5000, 'initial SYNCED');
      for (const name of ['a', 'b', 'c']) assert.ok(seen(events, 'ADDED', name), `ADDED ${name}`);

      // A live change arrives over the watch.
      await mergePatch(admin, cmRef('a'), { data: { value: '2' } });
      await eventually(() => seen(events, 'MODIFIED', 'a', (o) => (o as ConfigMap).data?.value === '2'), 5000, 'MODIFIED a');
      assert.equal(watcher.stats.lists, 1);

      // Partition: changes happen while the watcher is cut off, then etcd compacts them away.
      proxy.partition();
      await mergePatch(admin, cmRef('b'), { data: { value: '2' } });
      await admin.delete(cmRef('c'));
      await admin.create(configMap('d', '1'));
      await compactEtcd(etcdUrl());
      proxy.heal();

      await eventually(
        () =>
          seen(events, 'MODIFIED', 'b', (o) => (o as ConfigMap).data?.value === '2') &&
          seen(events, 'DELETED', 'c') &&
          seen(events, 'ADDED', 'd'),
        15_000,
        'the changes made during the partition',
      );
      assert.ok(watcher.stats.gone >= 1, `expected a 410 Gone, stats ${JSON.stringify(watcher.stats)}`);
      assert.ok(watcher.stats.lists >= 2, 'relisted');
      assert.deepEqual(
        watcher
          .items()
          .map((o) => `${o.metadata.name}=${o.data?.value}`)
          .sort(),
        ['a=2', 'b=2', 'd=1'],
      );

      // And the watch after the relist is live again.
      await mergePatch(admin, cmRef('d'), { data: { value: '3' } });
      await eventually(() => seen(events, 'MODIFIED', 'd', (o) => (o as ConfigMap).data?.value === '3'), 5000, 'MODIFIED d after relist');
    } finally {
      watcher.stop();
      await proxy.stop();
    }
  });

  it("hides a cached object this process wrote until the watch shows that write, and everything while the watch is down", async () => {
    await admin.create(configMap('rw', '1'));
    await admin.create(configMap('rw-other', '1'));
    const { proxy, watcher } = await configMapsThroughProxy();
    collect(watcher);
    const key = `${ns}/rw`;
    try {
      await watcher.waitForSync();
      await eventually(() => watcher.fresh(key)?.data?.value === '1', 5000, 'the cached copy, once the watch is open');

      // A write the watch has not shown (here: a version it never will) hides the cached copy; other keys are unaffected.
      const other = watcher.get(`${ns}/rw-other`)!;
      watcher.wrote({ ...other, metadata: { ...other.metadata, resourceVersion: '999999999' } });
      assert.equal(watcher.fresh(`${ns}/rw-other`), undefined, 'not handed out while older than our write');
      assert.equal(watcher.get(`${ns}/rw-other`)?.data?.value, '1', 'still cached');
      assert.equal(watcher.fresh(key)?.data?.value, '1');

      // Our write, recorded as the response arrives: fresh again once the watch shows it.
      const written = await mergePatch<ConfigMap>(admin, cmRef('rw'), { data: { value: '2' } });
      watcher.wrote(written);
      await eventually(() => watcher.fresh(key)?.data?.value === '2', 5000, 'fresh once the watch shows the write');

      // Cut off: the cache may be behind, so nothing is handed out; healed, the watch catches up.
      proxy.partition();
      await eventually(() => watcher.fresh(key) === undefined, 5000, 'nothing fresh while the watch is down');
      await mergePatch<ConfigMap>(admin, cmRef('rw'), { data: { value: '3' } });
      proxy.heal();
      await eventually(() => watcher.fresh(key)?.data?.value === '3', 15_000, 'fresh again once the watch is back');

      // A write whose event arrived before it was recorded (response and watch race) counts as seen.
      const again = await mergePatch<ConfigMap>(admin, cmRef('rw'), { data: { value: '4' } });
      await eventually(() => watcher.get(key)?.metadata.resourceVersion === again.metadata.resourceVersion, 5000, 'the event of the write');
      watcher.wrote(again);
      assert.equal(watcher.fresh(key)?.data?.value, '4');
    } finally {
      watcher.stop();
      await proxy.stop();
    }
  });

  it('advances its resourceVersion from bookmarks and resumes a watch the server ended without relisting', async () => {
    const dc = (name: string, namespace: string): KubeObject => ({
      apiVersion: 'sluice.dev/v1alpha1',
      kind: 'DeployConfig',
      metadata: { name, namespace },
      spec: { team: 'payments', artifactSha: null, configSha: null, imageTag: null, specs: [] },
    });
    const elsewhere = await createTestNamespace(admin, 'watch-other');
    // A short server-side timeout: the watch cache sends a BOOKMARK 2 s before it ends a watch (8 s: room for a slow CI machine to see the probe first).
    const watcher = watchResources(admin, { apiVersion: 'sluice.dev/v1alpha1', kind: 'DeployConfig', namespace: ns, watchTimeoutSeconds: 8 });
    const events = collect(watcher);
    try {
      await watcher.waitForSync();
      // Seeing an event proves the watch is open; a change made before that would be replayed
      // (filtered) when the watch starts, and no bookmark would follow.
      await admin.create(dc('probe', ns));
      await eventually(() => seen(events, 'ADDED', 'probe'), 5000, 'ADDED probe');
      const before = BigInt(watcher.resourceVersion!);
      // A change this watch does not see (another namespace) moves the cache's resourceVersion;
      // only a bookmark can tell the watcher about it.
      const unseen = await admin.create(dc('unseen', elsewhere));
      await eventually(() => watcher.stats.bookmarks >= 1, 15_000, 'a bookmark');
      assert.ok(BigInt(watcher.resourceVersion!) >= BigInt(unseen.metadata.resourceVersion!), 'bookmark advanced the resourceVersion');
      assert.ok(BigInt(watcher.resourceVersion!) > before);

      await eventually(() => watcher.stats.watches >= 2, 20_000, 'the watch to be ended by the server and resumed');
      await admin.create(dc('seen', ns));
      await eventually(() => seen(events, 'ADDED', 'seen'), 5000, 'ADDED seen');
      assert.ok(!seen(events, 'ADDED', 'unseen'));
      assert.equal(watcher.stats.lists, 1, 'no relist');
      assert.equal(watcher.stats.gone, 0);
    } finally {
      watcher.stop();
      await deleteTestNamespace(admin, elsewhere);
    }
  });
});
