import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createTestDatabase, waitUntil, type TestDatabase } from '@sluice/testing';
import type { DataSource, EntityManager } from 'typeorm';
import { openServiceDataSource } from './data-source';
import { EventStore } from './event-store';
import { Projection } from './log-subscription';
import type { StoredEvent } from './stored-event';
import { ViewRebuild } from './view-rebuild';

// ViewRebuild on its own, with a toy view: per stream, the number of events and the last n
// (a table with a serial column and a secondary index), on a pool of one connection (as the
// all-in-one's embedded database) and of several.

const SCHEMA = 'rebuild_test';

/** Projects into `schema` (the live one or the copy); every value from the events. */
async function project(events: readonly StoredEvent[], m: EntityManager, schema: string): Promise<void> {
  for (const e of events) {
    await m.query(
      `INSERT INTO "${schema}".totals (stream, events, last_n, updated_at) VALUES ($1, 1, $2, $3)
       ON CONFLICT (stream) DO UPDATE SET events = totals.events + 1, last_n = EXCLUDED.last_n, updated_at = EXCLUDED.updated_at`,
      [e.stream, (e.data as { n: number }).n, e.occurredAt],
    );
  }
}

async function setUp(ds: DataSource): Promise<void> {
  await ds.query(`CREATE TABLE ${SCHEMA}.totals (stream text PRIMARY KEY, events int NOT NULL, last_n int NOT NULL, updated_at timestamptz NOT NULL, note_id bigserial)`);
  await ds.query(`CREATE INDEX totals_by_events ON ${SCHEMA}.totals (events DESC, stream)`);
  await ds.query(`CREATE TABLE ${SCHEMA}.pinned (stream text PRIMARY KEY)`);
  await ds.query(`CREATE TABLE ${SCHEMA}.pin_notes (stream text REFERENCES ${SCHEMA}.pinned (stream))`);
}

const dump = async (ds: DataSource) =>
  ((await ds.query(`SELECT to_jsonb(t) - 'note_id' AS r FROM ${SCHEMA}.totals t ORDER BY stream`)) as Array<{ r: unknown }>).map((x) => JSON.stringify(x.r));

const indexNames = async (ds: DataSource) =>
  ((await ds.query(`SELECT indexname FROM pg_indexes WHERE schemaname = $1 AND tablename = 'totals' ORDER BY 1`, [SCHEMA])) as Array<{ indexname: string }>).map((r) => r.indexname);

for (const poolSize of [1, 4]) {
  describe(`ViewRebuild (pool of ${poolSize})`, () => {
    let database: TestDatabase;
    let ds: DataSource;
    let store: EventStore;
    let live: Projection;

    before(async () => {
      database = await createTestDatabase('view_rebuild');
      ds = await openServiceDataSource({ url: database.url, schema: SCHEMA, poolSize });
      store = new EventStore(ds, SCHEMA);
      await setUp(ds);
      for (let i = 0; i < 60; i++) await store.append(`s-${i % 7}`, 'any', [{ type: 'test.happened', version: 1, data: { n: i } }]);
      live = new Projection(store, (events, m) => project(events, m, SCHEMA), { name: 'totals', batchSize: 9 });
      await live.catchUp();
    });

    after(async () => {
      await ds?.destroy();
      await database?.drop();
    });

    it('rebuilds the view row for row, keeps index names and the serial column working, and records progress', async () => {
      const before = await dump(ds);
      assert.equal(before.length, 7);
      const names = await indexNames(ds);
      const rebuild = new ViewRebuild(ds, { schema: SCHEMA, checkpoint: 'totals', tables: ['totals'], project, batchSize: 8 });
      const { status, finished } = await rebuild.start('test');
      assert.equal(status.total, 60);
      await finished;
      const done = await rebuild.status(status.rebuildId);
      assert.deepEqual([done?.status, done?.processed, done?.total], ['done', 60, 60]);
      assert.deepEqual(await dump(ds), before);
      assert.deepEqual(await indexNames(ds), names);
      // The serial's sequence moved with the new table (the old one was dropped with its schema).
      await store.append('s-new', 'any', [{ type: 'test.happened', version: 1, data: { n: 60 } }]);
      // The log reads below the server's oldest open transaction: another test's may hold it a moment.
      let row: { note_id: string } | undefined;
      await waitUntil(async () => {
        await live.catchUp();
        [row] = await ds.query(`SELECT note_id FROM ${SCHEMA}.totals WHERE stream = 's-new'`);
        return row !== undefined;
      }, { timeoutMs: 10_000, message: 'the new event projected' });
      assert.ok(Number(row?.note_id) > 0);
      const schemas: Array<{ n: string }> = await ds.query(`SELECT nspname AS n FROM pg_namespace WHERE nspname LIKE '${SCHEMA}\\_%'`);
      assert.deepEqual(schemas, []);
    });

    it('refuses a view table that a foreign key references, leaving it as it was', async () => {
      await ds.query(`INSERT INTO ${SCHEMA}.pinned VALUES ('s-1')`);
      const rebuild = new ViewRebuild(ds, { schema: SCHEMA, checkpoint: 'pinned', tables: ['pinned'], project: async () => undefined });
      const { status, finished } = await rebuild.start('test');
      await assert.rejects(finished, /referenced by foreign key pin_notes_stream_fkey/);
      assert.equal((await rebuild.status(status.rebuildId))?.status, 'failed');
      assert.deepEqual(await ds.query(`SELECT stream FROM ${SCHEMA}.pinned`), [{ stream: 's-1' }]);
    });
  });
}
