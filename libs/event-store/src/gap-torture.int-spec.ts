import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { EventEnvelope } from '@sluice/contracts';
import { waitUntil } from '@sluice/testing';
import { ConcurrencyError } from './errors';
import { Projection } from './log-subscription';
import { OutboxRelay } from './outbox-relay';
import { openTestStore, testEvent } from './test-support';

const STREAMS = 20;
const TRANSACTIONS = 2000;
const ROLLBACK_RATE = 0.05;

class Rollback extends Error {}

/**
 * Many small transactions commit while one stays open for seconds and 5% roll back:
 * positions are allocated out of commit order and leave gaps. A projection and the
 * relay must still see every committed event exactly once, in stream order, and keep
 * going past the rollback gaps.
 */
describe('log readers under concurrent, long-running and rolled-back transactions', () => {
  let ctx: Awaited<ReturnType<typeof openTestStore>>;
  before(async () => {
    ctx = await openTestStore('gap_torture', 30);
    await ctx.dataSource.query('CREATE TABLE gap_torture.seen (event_id uuid PRIMARY KEY, stream text NOT NULL, stream_version int NOT NULL, seq bigserial)');
  });
  after(async () => ctx?.close());

  it('sees every committed event exactly once, in stream order, without stalling on gaps', { timeout: 600_000 }, async () => {
    const errors: unknown[] = [];
    const logger = { warn: () => undefined, error: (obj: object) => errors.push(obj) };
    const projection = new Projection(
      ctx.store,
      async (events, manager) => {
        for (const e of events) {
          await manager.query('INSERT INTO gap_torture.seen (event_id, stream, stream_version) VALUES ($1, $2, $3)', [e.id, e.stream, e.streamVersion]);
        }
      },
      { name: 'torture-projection', pollIntervalMs: 20, batchSize: 200, logger },
    );
    const published: EventEnvelope[] = [];
    const relay = new OutboxRelay(
      ctx.store,
      { publish: async (_topic, envelopes) => void published.push(...envelopes) },
      { name: 'torture-relay', pollIntervalMs: 20, batchSize: 300, topicFor: () => 'test.topic', exclusive: true, logger },
    );
    projection.start();
    relay.start();

    const committed = new Set<string>();
    // The long transaction: takes its xid first, then stays open while everything else commits.
    const longRunning = ctx.dataSource.transaction(async (manager) => {
      const [e] = await ctx.store.append('long-stream', 0, [testEvent(-1)], { manager });
      await new Promise((r) => setTimeout(r, 3000));
      committed.add(e.id);
    });

    let next = 0;
    const writer = async () => {
      while (next < TRANSACTIONS) {
        const i = next++;
        const stream = `stream-${i % STREAMS}`;
        const rollback = Math.random() < ROLLBACK_RATE;
        for (;;) {
          try {
            const ids = await ctx.dataSource.transaction(async (manager) => {
              const appended = await ctx.store.append(stream, 'any', [testEvent(i), testEvent(i)], { manager });
              if (rollback) throw new Rollback();
              return appended.map((e) => e.id);
            });
            ids.forEach((id) => committed.add(id));
            break;
          } catch (error) {
            if (error instanceof Rollback) break;
            if (error instanceof ConcurrencyError) continue;
            throw error;
          }
        }
      }
    };
    await Promise.all(Array.from({ length: 16 }, writer));
    await longRunning;

    await waitUntil(async () => {
      const [{ n }] = await ctx.dataSource.query('SELECT count(*)::int AS n FROM gap_torture.seen');
      return n >= committed.size && published.length >= committed.size;
    }, { timeoutMs: 240_000, intervalMs: 100, message: `readers did not catch up (committed ${committed.size}, published ${published.length}, errors ${JSON.stringify(errors.slice(0, 2))})` });
    await projection.stop();
    await relay.stop();

    assert.deepEqual(errors, [], 'no batch failed (a duplicate would violate the primary key)');
    const seen: Array<{ event_id: string; stream: string; stream_version: number }> = await ctx.dataSource.query(
      'SELECT event_id, stream, stream_version FROM gap_torture.seen ORDER BY seq',
    );
    assert.equal(seen.length, committed.size, 'projection saw each committed event once');
    assert.deepEqual(new Set(seen.map((r) => r.event_id)), committed, 'and nothing rolled back');
    assert.equal(published.length, committed.size, 'relay published each committed event once');
    assert.deepEqual(new Set(published.map((e) => e.id)), committed);
    const inStreamOrder = (rows: Array<{ stream: string; version: number }>) => {
      const last = new Map<string, number>();
      for (const r of rows) {
        assert.ok((last.get(r.stream) ?? 0) < r.version, `${r.stream} v${r.version} out of order`);
        last.set(r.stream, r.version);
      }
    };
    inStreamOrder(seen.map((r) => ({ stream: r.stream, version: r.stream_version })));
    inStreamOrder(published.map((e) => ({ stream: e.stream, version: e.streamVersion })));
  });
});
