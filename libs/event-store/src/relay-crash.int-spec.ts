import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { fork, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { createMessageBus, type MessageBus, type Subscription } from '@sluice/messaging';
import { kafkaBrokers, uniqueName, waitUntil } from '@sluice/testing';
import { Checkpoints } from './checkpoints';
import { Inbox } from './inbox';
import { openTestStore, testEvent } from './test-support';

const SCHEMA = 'relay_crash';
const EVENTS = 1000;
const TOPIC = 'sluice.test.v1';

function startRelay(env: Record<string, string>): Promise<ChildProcess> {
  const child = fork(join(__dirname, 'testing/relay-process.ts'), [], {
    env: { ...process.env, ...env },
    execArgv: ['--require', 'reflect-metadata', '--require', '@swc-node/register'],
    stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
  });
  return new Promise((resolve, reject) => {
    child.once('message', () => resolve(child));
    child.once('exit', (code) => reject(new Error(`relay exited with ${code} before starting`)));
  });
}

/**
 * The relay is a real child process, SIGKILLed mid-batch again and again and restarted:
 * no event may be lost; duplicates may reach the consumer, and its inbox applies each once.
 */
describe('outbox relay killed with SIGKILL and restarted', () => {
  let ctx: Awaited<ReturnType<typeof openTestStore>>;
  let bus: MessageBus;
  let subscription: Subscription | undefined;
  const prefix = uniqueName('crash') + '.';
  before(async () => {
    ctx = await openTestStore(SCHEMA, 10);
    await ctx.dataSource.query(`CREATE TABLE ${SCHEMA}.applied (event_id uuid PRIMARY KEY, stream text, stream_version int)`);
    bus = createMessageBus({ brokers: kafkaBrokers(), topicPrefix: prefix, clientId: 'relay-crash-consumer' });
    await bus.ensureTopics([TOPIC]);
  });
  after(async () => {
    await subscription?.stop();
    await bus?.close();
    await ctx?.close();
  });

  it('loses nothing and applies each event once', { timeout: 600_000 }, async () => {
    for (let i = 0; i < EVENTS; i += 100) {
      await ctx.store.append(`stream-${(i / 100) % 10}`, 'any', Array.from({ length: 100 }, (_, k) => testEvent(i + k)));
    }
    const inbox = new Inbox(ctx.dataSource, SCHEMA);
    let deliveries = 0;
    subscription = await bus.subscribe({
      group: uniqueName('crash-consumer'),
      topics: [TOPIC],
      handler: async (envelope) => {
        deliveries++;
        await inbox.handleOnce('crash-consumer', envelope.id, async (manager) => {
          await manager.query(`INSERT INTO ${SCHEMA}.applied VALUES ($1, $2, $3)`, [envelope.id, envelope.stream, envelope.streamVersion]);
        });
      },
    });

    const env = { DATABASE_URL: ctx.database.url, SCHEMA, KAFKA_BROKERS: kafkaBrokers().join(','), TOPIC_PREFIX: prefix, TOPIC, PUBLISH_DELAY_MS: '25' };
    const [last] = await ctx.dataSource.query(`SELECT max(global_position)::text AS p FROM ${SCHEMA}.events`);
    const checkpoints = new Checkpoints(SCHEMA);
    const relayedTo = async () => (await checkpoints.read(ctx.dataSource.manager, 'outbox-relay')).globalPosition;
    let kills = 0;
    while (BigInt(await relayedTo()) < BigInt(last.p) && kills < 8) {
      const child = await startRelay(env);
      await new Promise((r) => setTimeout(r, 150 + Math.random() * 350));
      child.kill('SIGKILL');
      await new Promise((r) => child.once('exit', r));
      kills++;
    }
    const finisher = await startRelay(env);
    try {
      await waitUntil(async () => BigInt(await relayedTo()) >= BigInt(last.p), { timeoutMs: 240_000, message: 'relay did not finish' });
      await waitUntil(
        async () => (await ctx.dataSource.query(`SELECT count(*)::int AS n FROM ${SCHEMA}.applied`))[0].n === EVENTS,
        { timeoutMs: 240_000, message: 'consumer did not apply every event' },
      );
    } finally {
      finisher.kill('SIGKILL');
    }
    assert.ok(kills >= 3, `the relay was killed mid-way several times (${kills})`);
    const [{ n }] = await ctx.dataSource.query(`SELECT count(DISTINCT event_id)::int AS n FROM ${SCHEMA}.applied`);
    assert.equal(n, EVENTS, 'every event applied exactly once');
    assert.ok(deliveries >= EVENTS, `at-least-once: ${deliveries} deliveries for ${EVENTS} events`);
    const perStream: Array<{ stream: string; ok: boolean }> = await ctx.dataSource.query(
      `SELECT stream, bool_and(stream_version > 0) AS ok FROM ${SCHEMA}.applied GROUP BY stream`,
    );
    assert.equal(perStream.length, 10);
  });
});
