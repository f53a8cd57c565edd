import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { EventEnvelope } from '@sluice/contracts';
import { InProcessMessageBus } from '@sluice/messaging';
import { Checkpoints } from './checkpoints';
import { OutboxRelay } from './outbox-relay';
import { START, type LogPosition } from './stored-event';
import { openTestStore, testEvent } from './test-support';

const SCHEMA = 'relay_fencing';
const TOPIC = 'sluice.test.v1';

function isBehind(a: LogPosition, b: LogPosition): boolean {
  const [ta, tb] = [BigInt(a.transactionId), BigInt(b.transactionId)];
  return ta < tb || (ta === tb && BigInt(a.globalPosition) < BigInt(b.globalPosition));
}

/**
 * Fault 9 of issue #16: the first relay's lock session is killed under it; a second relay
 * takes over. The first must notice before it publishes or writes its checkpoint again.
 */
describe('outbox relay leadership', () => {
  let ctx: Awaited<ReturnType<typeof openTestStore>>;
  const bus = new InProcessMessageBus();
  const published: Array<{ relay: string; id: string }> = [];
  const publisherFor = (relay: string) => ({
    publish: async (topic: string, envelopes: readonly EventEnvelope[]) => {
      for (const envelope of envelopes) published.push({ relay, id: envelope.id });
      await bus.publish(topic, envelopes);
    },
  });
  const checkpoints = new Checkpoints(SCHEMA);
  /**
   * Polls until the relay has published `n` events. A relay reads only below the oldest open
   * transaction of the whole server, so another test file's transaction can hold it back for a
   * while: a single catchUp may legitimately publish nothing yet.
   */
  async function drain(relay: OutboxRelay, n: number): Promise<number> {
    let total = 0;
    const deadline = Date.now() + 30_000;
    while (total < n && Date.now() < deadline) {
      total += await relay.pollOnce();
      if (total < n) await new Promise((resolve) => setTimeout(resolve, 50));
    }
    return total;
  }
  const checkpoint = () => checkpoints.read(ctx.dataSource.manager, 'outbox-relay');

  before(async () => {
    ctx = await openTestStore(SCHEMA, 6);
  });
  after(async () => {
    await bus.close();
    await ctx?.close();
  });

  it('hands over when the leader lock session dies: the old leader stops publishing and the checkpoint never moves back', { timeout: 60_000 }, async () => {
    const first = new OutboxRelay(ctx.store, publisherFor('first'), { name: 'outbox-relay', topicFor: () => TOPIC, exclusive: true });
    const second = new OutboxRelay(ctx.store, publisherFor('second'), { name: 'outbox-relay', topicFor: () => TOPIC, exclusive: true });
    await ctx.store.append('s-1', 0, [testEvent(1), testEvent(2), testEvent(3)]);
    assert.equal(await drain(first, 3), 3);
    assert.equal(await second.pollOnce(), 0, 'the second relay does not lead while the first holds the lock');
    const afterFirst = await checkpoint();

    const [lock]: Array<{ pid: number }> = await ctx.dataSource.query(
      `SELECT pid FROM pg_locks WHERE locktype = 'advisory' AND granted
         AND objid = (hashtext($1)::bigint & 4294967295)::oid AND classid = ((hashtext($1)::bigint >> 32) & 4294967295)::oid`,
      [`sluice-relay-${SCHEMA}-outbox-relay`],
    );
    assert.ok(lock, 'the first relay holds the advisory lock');
    await ctx.dataSource.query('SELECT pg_terminate_backend($1)', [lock.pid]);

    await ctx.store.append('s-1', 3, [testEvent(4), testEvent(5)]);
    assert.equal(await drain(second, 2), 2, 'the second relay takes over from the checkpoint');
    const afterSecond = await checkpoint();
    assert.ok(isBehind(afterFirst, afterSecond));

    const publishedBefore = published.length;
    await ctx.store.append('s-1', 5, [testEvent(6)]);
    assert.equal(await first.pollOnce(), 0, 'the first relay noticed it no longer leads');
    assert.equal(published.length, publishedBefore, 'and published nothing');
    assert.equal(await drain(second, 1), 1);
    assert.deepEqual(published.filter((p) => p.relay === 'first').length, 3);
    assert.ok(!isBehind(await checkpoint(), afterSecond), 'the checkpoint never moved back');
    await first.stop();
    await second.stop();
  });

  it('refuses a checkpoint write behind the stored one', async () => {
    const current = await checkpoint();
    assert.notDeepEqual(current, START);
    assert.equal(await checkpoints.put(ctx.dataSource.manager, 'outbox-relay', START), false);
    assert.deepEqual(await checkpoint(), current);
    assert.equal(await checkpoints.put(ctx.dataSource.manager, 'outbox-relay', current), true, 'rewriting the same position is fine');
  });
});
