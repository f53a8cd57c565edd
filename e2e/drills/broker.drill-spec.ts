// Issue #23, drill "Broker": events flow from a service's log through the outbox relay (a process
// of its own) to a consumer process (`consumeEvents` with its inbox, as a service consumes) while
// the Kafka node is restarted twice — a controlled shutdown, then a SIGKILL — on a node of this
// drill's own (`startPrivateKafka()`), so that the broker the other test files share is never
// touched. Each effect is a row INSERTed into a table WITHOUT a unique key inside the inbox
// transaction: a double application would show. One event, appended after the restarts, is a
// poison (its handler fails for good): it must be in `<topic>.dlq` within 60 s of reaching the head
// of its partition, and the events after it in the same stream (same key, same partition) applied.
// SLUICE_DRILL_SCALE=ci (npm test): 5,000 events; full (npm run drills): 100,000.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { deadLetterTopic, Topics } from '@sluice/contracts';
import { createMessageBus, type MessageBus } from '@sluice/messaging';
import { startPrivateKafka, uniqueName, waitUntil, type KafkaNode } from '@sluice/testing';
import {
  drillScale,
  DrillProcesses,
  EFFECTS,
  effectFigures,
  leastApplied,
  LOG_SCHEMA,
  messagesIn,
  openDrillDatabase,
  printFigures,
  produce,
  sleep,
  streamName,
  type DrillDatabase,
} from './support/drill';

const SCALE = {
  ci: { events: 5_000, streams: 25, perSecond: 250 },
  full: { events: 100_000, streams: 100, perSecond: 1_500 },
}[drillScale()];
const CONSUMER = 'autodeploy';
const CONSUMER_SCHEMA = 'drill_autodeploy';
/** The poison: this version of the first stream, appended after both restarts (the producer is held at 80 % until then). */
const POISON_STREAM = streamName(0);
const POISON_SEQ = Math.ceil((SCALE.events / SCALE.streams) * 0.9);
const POISON_INDEX = (POISON_SEQ - 1) * SCALE.streams;
const DEAD_LETTER_WITHIN_MS = 60_000;

describe(`broker drill: ${SCALE.events} events through the outbox relay while Kafka is restarted twice, and a poison message`, { timeout: 3_000_000 }, () => {
  let node: KafkaNode;
  let db: DrillDatabase;
  let bus: MessageBus;
  let processes: DrillProcesses;
  const prefix = `${uniqueName('drill-broker')}.`;

  before(async () => {
    node = await startPrivateKafka();
    db = await openDrillDatabase('drill_broker', [CONSUMER_SCHEMA]);
    bus = createMessageBus({ brokers: node.brokers, topicPrefix: prefix, clientId: 'drill-broker' });
    await bus.ensureTopics([Topics.deploy]);
    await bus.close();
    processes = new DrillProcesses('broker', db, node.brokers, prefix);
    processes.relay({ BATCH: '500' });
    processes.consumer(CONSUMER, CONSUMER_SCHEMA, { POISON: `${POISON_STREAM}:${POISON_SEQ}` });
  });

  after(async () => {
    await processes?.endAll();
    await db?.close();
    await node?.down();
  });

  it('loses nothing, applies nothing twice, and dead-letters the poison within 60 s while its partition moves on', async () => {
    const started = Date.now();
    await processes.startAll();

    let appended = 0;
    let restartsDone = false;
    let poisonAppendedAt = 0;
    const producing = produce(db.store, {
      events: SCALE.events,
      streams: SCALE.streams,
      perSecond: SCALE.perSecond,
      beforeRound: async (n) => {
        appended = n;
        if (!poisonAppendedAt && n > POISON_INDEX) poisonAppendedAt = Date.now();
        while (!restartsDone && n >= SCALE.events * 0.8) await sleep(200);
      },
    });
    producing.catch(() => undefined);

    // Two restarts of the broker mid-flow: once a fifth of the events are appended, a controlled
    // shutdown; once 45 % are, a crash (SIGKILL). Each is down until `start()` saw it answer again.
    const restarts: Array<{ how: string; atEvents: number; downMs: number }> = [];
    const restart = async (how: 'SIGTERM' | 'SIGKILL', atShare: number) => {
      await waitUntil(() => appended >= SCALE.events * atShare, { timeoutMs: 600_000, intervalMs: 100, message: `${atShare * 100} % appended` });
      const down = Date.now();
      const atEvents = appended;
      await node.stop({ kill: how === 'SIGKILL' });
      await node.start();
      restarts.push({ how, atEvents, downMs: Date.now() - down });
    };
    try {
      await restart('SIGTERM', 0.2);
      await restart('SIGKILL', 0.45);
    } finally {
      restartsDone = true;
    }

    // The poison reaches the dead-letter topic (watched from now on, while the rest is produced).
    const dlqTopic = `${prefix}${deadLetterTopic(Topics.deploy)}`;
    let deadLetteredAt = 0;
    const watching = waitUntil(async () => (await messagesIn(node.brokers, dlqTopic)) >= 1, {
      timeoutMs: 900_000,
      intervalMs: 250,
      message: 'the poison dead-lettered',
    }).then(() => (deadLetteredAt = Date.now()));
    await producing;
    await watching;
    await waitUntil(async () => (await leastApplied(db.dataSource, [CONSUMER])) >= SCALE.events - 1, {
      timeoutMs: 1_200_000,
      intervalMs: 1_000,
      message: `the consumer applied all ${SCALE.events - 1} events but the poison`,
    }).catch((error: Error) => {
      throw new Error(`${error.message}\n${processes.tails(15)}`);
    });
    const wallMs = Date.now() - started;
    await sleep(3_000);

    const [poison] = await db.dataSource.query(`SELECT id FROM ${LOG_SCHEMA}.events WHERE stream = $1 AND stream_version = $2`, [POISON_STREAM, POISON_SEQ]);
    const around: Array<{ seq: number; at: number }> = await db.dataSource.query(
      `SELECT seq, (extract(epoch FROM applied_at) * 1000)::float8 AS at FROM ${EFFECTS} WHERE stream = $1 AND seq IN ($2, $3) ORDER BY seq`,
      [POISON_STREAM, POISON_SEQ - 1, POISON_SEQ + 1],
    );
    const before = around.find((r) => r.seq === POISON_SEQ - 1);
    const behind = around.find((r) => r.seq === POISON_SEQ + 1);
    const figures = await effectFigures(db.dataSource, [CONSUMER], [poison.id]);
    const deadLettered = await messagesIn(node.brokers, dlqTopic);
    const published = await messagesIn(node.brokers, `${prefix}${Topics.deploy}`);
    const [poisonApplied] = await db.dataSource.query(`SELECT count(*)::int AS n FROM ${EFFECTS} WHERE event_id = $1`, [poison.id]);
    // From the moment the event before the poison was applied (the poison at the head of its partition).
    const deadLetterMs = before ? deadLetteredAt - before.at : Number.NaN;

    printFigures('broker', {
      events: SCALE.events,
      streams: SCALE.streams,
      'broker restarts': restarts.map((r) => `${r.how} at ${r.atEvents.toLocaleString('en-US')} appended, down ${(r.downMs / 1000).toFixed(1)} s`).join('; '),
      'messages published (relay re-sends included)': published,
      'deliveries to the consumer': figures.deliveries,
      'redeliveries skipped by the inbox': figures.redeliveries,
      'effect rows': figures.rows,
      lost: figures.missing,
      'applied twice': figures.duplicates,
      'out of stream order': figures.outOfOrder,
      'dead-lettered': deadLettered,
      'poison dead-lettered after reaching its partition head ms (≤ 60,000)': Math.round(deadLetterMs),
      'poison dead-lettered after its append ms': deadLetteredAt - poisonAppendedAt,
      'next event of its stream applied after the one before the poison ms': behind && before ? Math.round(behind.at - before.at) : 'never',
      'wall time s': Number((wallMs / 1000).toFixed(1)),
      'events/s (end to end)': Math.round(SCALE.events / (wallMs / 1000)),
    });

    assert.equal(restarts.length, 2, 'the broker was restarted twice');
    assert.equal(figures.missing, 0, '0 lost');
    assert.equal(figures.duplicates, 0, '0 applied twice');
    assert.equal(figures.rows, SCALE.events - 1, 'one effect row per event but the poison');
    assert.equal(figures.outOfOrder, 0, 'each stream applied in its order');
    assert.equal(poisonApplied.n, 0, 'the poison had no effect');
    assert.equal(deadLettered, 1, 'the poison, and only it, dead-lettered');
    assert.ok(deadLetterMs <= DEAD_LETTER_WITHIN_MS, `dead-lettered within 60 s of reaching its partition's head (${deadLetterMs} ms)`);
    assert.ok(behind, 'the events behind the poison in its partition were applied');
  });
});
