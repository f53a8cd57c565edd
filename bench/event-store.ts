// bench/event-store: append and replay throughput of @sluice/event-store on the real
// PostgreSQL, each against a raw SQL baseline on an identical table in the same run.
import { EventStore, openServiceDataSource, START } from '@sluice/event-store';
import { createTestDatabase } from '@sluice/testing';
import { perSecond, report } from './report';

const SINGLE_APPENDS = Number(process.env.BENCH_SINGLE_APPENDS ?? 20_000);
const BATCHES = Number(process.env.BENCH_BATCHES ?? 500);
const REPLAY_EVENTS = Number(process.env.BENCH_REPLAY_EVENTS ?? 1_000_000);
const CONCURRENCY = 32;
const data = { repo: 'acme/billing', branch: 'main', sha: 'a'.repeat(40), note: 'x'.repeat(200) };

/** `total` tasks over `concurrency` workers; a task gets its worker's index, so each worker owns one stream. */
async function parallel(concurrency: number, total: number, task: (worker: number) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async (_, worker) => {
      while (next++ < total) await task(worker);
    }),
  );
}

export async function benchEventStore(): Promise<boolean> {
  const database = await createTestDatabase('bench_event_store');
  const dataSource = await openServiceDataSource({ url: database.url, schema: 'bench', poolSize: CONCURRENCY + 4 });
  const store = new EventStore(dataSource, 'bench');
  await dataSource.query('CREATE TABLE bench.raw_events (LIKE bench.events INCLUDING ALL)');
  const rawInsert = `INSERT INTO bench.raw_events (id, stream, stream_version, type, version, data, correlation_id, occurred_at)
    SELECT gen_random_uuid(), $1, v, 'bench.happened', 1, $2::jsonb, 'c', now() FROM unnest($3::int[]) AS v`;
  try {
    // Single appends at concurrency 32: one stream per writer, expected version tracked.
    const versions = new Array<number>(CONCURRENCY).fill(0);
    let t = process.hrtime.bigint();
    await parallel(CONCURRENCY, SINGLE_APPENDS, async (w) => {
      await store.append(`single-${w}`, versions[w], [{ type: 'bench.happened', version: 1, data }]);
      versions[w]++;
    });
    const single = perSecond(SINGLE_APPENDS, t);
    const rawVersions = new Array<number>(CONCURRENCY).fill(0);
    t = process.hrtime.bigint();
    await parallel(CONCURRENCY, SINGLE_APPENDS, async (w) => {
      await dataSource.query(rawInsert, [`raw-single-${w}`, JSON.stringify(data), [++rawVersions[w]]]);
    });
    const rawSingle = perSecond(SINGLE_APPENDS, t);

    // Batched appends of 100 events.
    const batch = Array.from({ length: 100 }, () => ({ type: 'bench.happened', version: 1, data }));
    const batchVersions = new Array<number>(CONCURRENCY).fill(0);
    t = process.hrtime.bigint();
    await parallel(8, BATCHES, async (w) => {
      await store.append(`batch-${w}`, batchVersions[w], batch);
      batchVersions[w] += 100;
    });
    const batched = perSecond(BATCHES * 100, t);
    const rawBatchVersions = new Array<number>(8).fill(0);
    t = process.hrtime.bigint();
    await parallel(8, BATCHES, async (w) => {
      const vs = Array.from({ length: 100 }, (_, k) => rawBatchVersions[w] + k + 1);
      rawBatchVersions[w] += 100;
      await dataSource.query(rawInsert, [`raw-batch-${w}`, JSON.stringify(data), vs]);
    });
    const rawBatched = perSecond(BATCHES * 100, t);

    // Replay: read the whole log (topped up to REPLAY_EVENTS) with readAll vs a raw keyset SELECT.
    const [{ n }] = await dataSource.query('SELECT count(*)::int AS n FROM bench.events');
    if (n < REPLAY_EVENTS) {
      await dataSource.query(
        `INSERT INTO bench.events (id, stream, stream_version, type, version, data, correlation_id, occurred_at)
         SELECT gen_random_uuid(), 'fill-' || (g % 1000), g / 1000 + 1, 'bench.happened', 1, $1::jsonb, 'c', now()
           FROM generate_series(0, $2 - 1) AS g`,
        [JSON.stringify(data), REPLAY_EVENTS - n],
      );
      await dataSource.query('ANALYZE bench.events');
    }
    const [{ total }] = await dataSource.query('SELECT count(*)::int AS total FROM bench.events');
    t = process.hrtime.bigint();
    let read = 0;
    for (let after = START, page = await store.readAll(after, { limit: 5000 }); page.length; page = await store.readAll(after, { limit: 5000 })) {
      read += page.length;
      after = page[page.length - 1].position;
    }
    const replay = perSecond(read, t);
    t = process.hrtime.bigint();
    let rawRead = 0;
    for (let after = '0'; ; ) {
      const rows: Array<{ global_position: string }> = await dataSource.query(
        'SELECT global_position, id, stream, stream_version, type, version, data FROM bench.events WHERE global_position > $1 ORDER BY global_position LIMIT 5000',
        [after],
      );
      if (rows.length === 0) break;
      rawRead += rows.length;
      after = rows[rows.length - 1].global_position;
    }
    const rawReplay = perSecond(rawRead, t);
    if (read !== total) throw new Error(`readAll returned ${read} of ${total} events`);

    return report('event-store', [
      { name: `single appends/s (concurrency ${CONCURRENCY})`, value: single, unit: 'events/s', baseline: { name: 'raw single-row INSERT', value: rawSingle }, target: { op: '>=', value: 1000 } },
      { name: 'batched appends/s (100-event batches)', value: batched, unit: 'events/s', baseline: { name: 'raw multi-row INSERT', value: rawBatched }, target: { op: '>=', value: 10_000 } },
      { name: `replay (readAll over ${total.toLocaleString('en-US')} events)`, value: replay, unit: 'events/s', baseline: { name: 'raw keyset SELECT', value: rawReplay }, target: { op: '>=', value: 20_000 } },
    ]);
  } finally {
    await dataSource.destroy();
    await database.drop();
  }
}
