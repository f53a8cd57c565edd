import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { metricsRegistry } from '@sluice/platform';
import { openServiceDataSource } from './data-source';
import { LeaderElection } from './leader-election';
import { openTestStore } from './test-support';

const SCHEMA = 'leader_election';
const POLL_MS = 300;

async function until(predicate: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** Two replicas (two pools, as two processes would have) elect one leader; its loss hands over within a poll. */
describe('LeaderElection on PostgreSQL advisory locks', () => {
  let ctx: Awaited<ReturnType<typeof openTestStore>>;
  let other: Awaited<ReturnType<typeof openServiceDataSource>>;

  before(async () => {
    ctx = await openTestStore(SCHEMA, 4);
    other = await openServiceDataSource({ url: ctx.database.url, schema: SCHEMA, poolSize: 4 });
  });
  after(async () => {
    await other?.destroy();
    await ctx?.close();
  });

  function elector(dataSource: typeof other, name: string, log: string[], role = 'controllers') {
    return new LeaderElection(dataSource, role, {
      pollMs: POLL_MS,
      scope: SCHEMA,
      onLeading: () => void log.push(`${name} leads`),
      onStopped: () => void log.push(`${name} stops`),
    });
  }

  it('one leads, the other follows; the leader’s session killed → the follower leads within a poll, the old one steps down', async () => {
    const log: string[] = [];
    const a = elector(ctx.dataSource, 'a', log);
    const b = elector(other, 'b', log);
    await a.start();
    await b.start();
    try {
      assert.deepEqual([a.isLeader, b.isLeader], [true, false]);
      assert.deepEqual(log, ['a leads']);
      assert.match(a.readiness().detail, /^leader of controllers since /);
      assert.equal(b.readiness().detail, 'follower of controllers');
      assert.match(await metricsRegistry.metrics(), /sluice_leader\{role="controllers"\} 1/);
      await new Promise((r) => setTimeout(r, 3 * POLL_MS));
      assert.deepEqual([a.isLeader, b.isLeader], [true, false], 'the follower does not take a held lock');

      // The leader's lock session ends (an administrator, a network failure): the server releases the lock.
      const killed = Date.now();
      const [{ n }] = await other.query(
        `SELECT count(pg_terminate_backend(pid))::int AS n FROM pg_locks WHERE locktype = 'advisory' AND granted
           AND objid = (hashtext($1)::bigint & 4294967295)::oid AND classid = ((hashtext($1)::bigint >> 32) & 4294967295)::oid`,
        [`sluice-leader-${SCHEMA}-controllers`],
      );
      assert.equal(n, 1);
      await until(() => b.isLeader);
      const handoverMs = Date.now() - killed;
      await until(() => !a.isLeader);
      console.log(`handover after the leader's session was killed: ${handoverMs} ms (poll ${POLL_MS} ms)`);
      assert.ok(handoverMs <= POLL_MS + 500, `handover within a poll (+ margin): ${handoverMs} ms`);
      assert.deepEqual(log.slice(1).sort(), ['a stops', 'b leads']);
      await new Promise((r) => setTimeout(r, 3 * POLL_MS));
      assert.deepEqual([a.isLeader, b.isLeader], [false, true], 'the old leader follows now');
    } finally {
      await a.stop();
      await b.stop();
    }
  });

  it('a leader that stops (a shutdown) releases the lock: the other leads at its next poll', async () => {
    const log: string[] = [];
    const a = elector(ctx.dataSource, 'a', log, 'shutdown');
    const b = elector(other, 'b', log, 'shutdown');
    await a.start();
    await b.start();
    try {
      const stopped = Date.now();
      await a.stop();
      assert.deepEqual(log, ['a leads', 'a stops']);
      await until(() => b.isLeader);
      const handoverMs = Date.now() - stopped;
      console.log(`handover after the leader stopped: ${handoverMs} ms (poll ${POLL_MS} ms)`);
      assert.ok(handoverMs <= POLL_MS + 500, `${handoverMs} ms`);
    } finally {
      await b.stop();
    }
  });

  it('on a single-connection database (the embedded one) it simply leads, and queries still pass', async () => {
    const single = await openServiceDataSource({ url: ctx.database.url, schema: SCHEMA, poolSize: 1 });
    const log: string[] = [];
    const a = elector(single, 'a', log, 'embedded');
    try {
      await a.start();
      assert.equal(a.isLeader, true);
      assert.deepEqual(await single.query('SELECT 1 AS one'), [{ one: 1 }]);
      await new Promise((r) => setTimeout(r, 2 * POLL_MS));
      assert.equal(a.isLeader, true);
    } finally {
      await a.stop();
      await single.destroy();
    }
    assert.deepEqual(log, ['a leads', 'a stops']);
  });
});
