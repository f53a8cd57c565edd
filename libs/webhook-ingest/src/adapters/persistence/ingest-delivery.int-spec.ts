import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { EventStore, openServiceDataSource } from '@sluice/event-store';
import { createTestDatabase, type TestDatabase } from '@sluice/testing';
import type { DataSource } from 'typeorm';
import { WEBHOOK_INGEST_SCHEMA, webhookIngestMigrations } from './migrations';
import { IngestDelivery, type VerifiedDelivery } from './ingest-delivery';

const delivery = (id: string, repo: string, eventVersion = 1): VerifiedDelivery => ({
  deliveryId: id,
  event: 'push',
  signature: 'sha256=x',
  raw: Buffer.from(JSON.stringify({ id, repo })),
  normalised: {
    kind: 'events',
    repo,
    action: null,
    stream: `repo-${repo}`,
    events: [{ type: 'scm.push.received', version: eventVersion, data: { deliveryId: id, repo } }],
  } as unknown as VerifiedDelivery['normalised'],
});

describe('IngestDelivery (group commit) on PostgreSQL', () => {
  let db: TestDatabase;
  let dataSource: DataSource;
  let store: EventStore;
  before(async () => {
    db = await createTestDatabase('ingest_delivery');
    dataSource = await openServiceDataSource({ url: db.url, schema: WEBHOOK_INGEST_SCHEMA, migrations: webhookIngestMigrations, poolSize: 4 });
    store = new EventStore(dataSource, WEBHOOK_INGEST_SCHEMA);
  });
  after(async () => {
    await dataSource?.destroy();
    await db?.drop();
  });

  it('300 deliveries of 5 repositories at once, with copies: each stored once, streams contiguous in arrival order', async () => {
    const ingest = new IngestDelivery(dataSource, store, { maxBatch: 40 });
    const sent = Array.from({ length: 300 }, (_, i) => delivery(`d-${i}`, `acme/r${i % 5}`));
    const copies = sent.filter((_, i) => i % 10 === 0).map((d) => ({ ...d }));
    const results = await Promise.all([...sent, ...copies].map((d) => ingest.execute(d)));
    assert.equal(results.filter((r) => r === 'accepted').length, 300);
    assert.equal(results.filter((r) => r === 'duplicate').length, copies.length);
    const [{ n }] = await dataSource.query(`SELECT count(*)::int AS n FROM webhook_ingest.deliveries`);
    assert.equal(n, 300);
    for (let r = 0; r < 5; r++) {
      const events = await store.readStream(`repo-acme/r${r}`);
      assert.deepEqual(events.map((e) => e.streamVersion), Array.from({ length: 60 }, (_, k) => k + 1));
      assert.deepEqual(events.map((e) => e.correlationId), sent.filter((_, i) => i % 5 === r).map((d) => d.deliveryId), 'arrival order');
    }
    assert.equal(await ingest.execute(delivery('d-7', 'acme/r2')), 'duplicate', 'a later redelivery');
  });

  it('a delivery the database refuses fails alone; the rest of its batch is stored', async () => {
    const ingest = new IngestDelivery(dataSource, store);
    const batch = [delivery('ok-1', 'acme/x'), delivery('bad', 'acme/x', 0), delivery('ok-2', 'acme/y')];
    const settled = await Promise.allSettled(batch.map((d) => ingest.execute(d)));
    assert.deepEqual(settled.map((s) => s.status), ['fulfilled', 'rejected', 'fulfilled']);
    const rows: Array<{ delivery_id: string }> = await dataSource.query(`SELECT delivery_id FROM webhook_ingest.deliveries WHERE delivery_id IN ('ok-1', 'bad', 'ok-2') ORDER BY 1`);
    assert.deepEqual(rows.map((r) => r.delivery_id), ['ok-1', 'ok-2'], "the refused delivery's row is rolled back with its events");
  });
});
