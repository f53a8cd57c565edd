import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Client } from 'pg';
import { metricsRegistry } from '@sluice/platform';
import { createTestDatabase, uniqueName, waitUntil, type TestDatabase } from '@sluice/testing';
import type { EventEnvelope } from '@sluice/contracts';
import { OutboxRelay } from './outbox-relay';
import { openTestStore, testEvent } from './test-support';

/**
 * Readers of a log read only below the server's oldest open transaction (docs/architecture.md §4):
 * a transaction left open in ANY database of the server holds every relay back. Nothing announces
 * its end, so a held-back reader polls again soon instead of waiting its interval, and warns,
 * naming the oldest open transaction, when held back long.
 */
describe('a log reader held back by an older transaction open elsewhere on the server', () => {
  let ctx: Awaited<ReturnType<typeof openTestStore>>;
  let foreignDb: TestDatabase;
  let foreign: Client;
  before(async () => {
    ctx = await openTestStore('held_back');
    foreignDb = await createTestDatabase('foreign_app');
    foreign = new Client({ connectionString: foreignDb.url, application_name: 'someone-elses-report' });
    await foreign.connect();
  });
  after(async () => {
    await foreign?.end();
    await foreignDb?.drop();
    await ctx?.close();
  });

  it('publishes soon after that transaction ends, though its poll interval is 5 s, and warns naming an open transaction', { timeout: 60_000 }, async () => {
    const published: EventEnvelope[] = [];
    const warnings: Array<{ obj: Record<string, unknown>; msg: string }> = [];
    const name = uniqueName('held-back-relay');
    const relay = new OutboxRelay(
      ctx.store,
      { publish: async (_topic, envelopes) => void published.push(...envelopes) },
      {
        name,
        topicFor: () => 'sluice.test.v1',
        pollIntervalMs: 5_000,
        heldBackWarnMs: 300,
        logger: { warn: (obj, msg) => void warnings.push({ obj: obj as Record<string, unknown>, msg }), error: () => undefined },
      },
    );
    // The foreign transaction takes a transaction id (it wrote), then sits idle in transaction.
    await foreign.query('BEGIN');
    await foreign.query('SELECT pg_current_xact_id()');
    await ctx.store.append('s-1', 0, [testEvent(1)]);
    relay.start();
    try {
      await new Promise((resolve) => setTimeout(resolve, 700));
      assert.equal(published.length, 0, 'nothing is published while an older transaction is open');
      const polls = await heldBackPollCount(name);
      assert.ok(polls >= 4, `held back, it re-polled ${polls} times in 700 ms (its interval is 5 s)`);
      const warning = warnings.find((w) => w.msg.startsWith('log reader held back'));
      assert.ok(warning, `a warning once held back 300 ms; got ${JSON.stringify(warnings)}`);
      const oldest = warning.obj.oldestOpenTransaction as { pid: number; ageSeconds: number };
      assert.equal(typeof oldest.pid, 'number');
      assert.ok(oldest.ageSeconds >= 0.2, `the oldest open transaction is at least as old as the one held open (${oldest.ageSeconds} s)`);

      const ended = Date.now();
      await foreign.query('COMMIT');
      await waitUntil(async () => published.length === 1, { timeoutMs: 30_000, message: 'the event published once the foreign transaction ended' });
      const afterEnd = Date.now() - ended;
      // Other test files' transactions on the same server may hold it back a little longer; the
      // 5 s poll interval alone would take up to 5 s.
      assert.ok(afterEnd < 4_000, `published ${afterEnd} ms after the foreign transaction ended`);
      assert.equal(published[0].type, 'test.happened');
    } finally {
      await relay.stop();
    }
  });
});

async function heldBackPollCount(subscription: string): Promise<number> {
  const metric = metricsRegistry.getSingleMetric('sluice_log_reader_held_back_polls_total');
  const values = (await metric!.get()).values;
  return values.filter((v) => v.labels.subscription === subscription).reduce((sum, v) => sum + v.value, 0);
}
