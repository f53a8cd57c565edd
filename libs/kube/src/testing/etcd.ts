/*
 * Compacts the test etcd through its JSON gateway, so that every resourceVersion before "now"
 * is gone (what happens in a real cluster every few minutes). Test-only.
 */
export async function compactEtcd(etcdUrl: string): Promise<number> {
  // Any range request reports the store's current revision in its header.
  const range = await fetch(`${etcdUrl}/v3/kv/range`, {
    method: 'POST',
    body: JSON.stringify({ key: Buffer.from('/sluice-compaction-probe').toString('base64') }),
  });
  if (!range.ok) throw new Error(`etcd range: HTTP ${range.status} ${await range.text()}`);
  const revision = Number(((await range.json()) as { header: { revision: string } }).header.revision);
  const compact = await fetch(`${etcdUrl}/v3/kv/compaction`, {
    method: 'POST',
    body: JSON.stringify({ revision: String(revision), physical: true }),
  });
  if (!compact.ok) throw new Error(`etcd compaction at ${revision}: HTTP ${compact.status} ${await compact.text()}`);
  return revision;
}
