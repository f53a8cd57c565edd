// Issue #23, drill "kill -9 soak": events flow from a service's log through the outbox relay
// (a process of its own, under its advisory-lock leadership) to four consumer processes — one
// consumer group each, named after the services that consume (autodeploy, kube-applier,
// commit-status, repo-sync), each with its own schema and inbox, consuming through
// `consumeEvents` as a service does — while the relay and the consumers are SIGKILLed at random
// and started again. Each consumer applies an event's effect by INSERTing a row into a table
// WITHOUT a unique key, inside its inbox transaction, so an event applied twice would show as two
// rows. At the end every (consumer, event) has exactly one row, each stream's rows are in its
// order, and nothing was dead-lettered. SLUICE_DRILL_SCALE=ci (npm test): 1,000 events, 10 kills;
// full (npm run drills): 10,000 events, 100 kills.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { deadLetterTopic, Topics } from '@sluice/contracts';
import { createMessageBus, type MessageBus } from '@sluice/messaging';
import { kafkaBrokers, uniqueName, waitUntil } from '@sluice/testing';
import {
  drillScale,
  DrillProcesses,
  EFFECTS,
  effectFigures,
  leastApplied,
  messagesIn,
  openDrillDatabase,
  printFigures,
  produce,
  sleep,
  type DrillDatabase,
} from './support/drill';

const SCALE = {
  ci: { events: 1_000, kills: 10, streams: 20 },
  full: { events: 10_000, kills: 100, streams: 50 },
}[drillScale()];
/** Between two kills: 0.5–2.5 s. The producer is paced to last about as long as the kills. */
const GAP_MS = [500, 2_500] as const;
const CONSUMERS = ['autodeploy', 'kube-applier', 'commit-status', 'repo-sync'];
const schemaOf = (consumer: string) => `drill_${consumer.replace(/-/g, '_')}`;

describe(`kill -9 soak: ${SCALE.events} events, relay and ${CONSUMERS.length} consumer processes SIGKILLed ${SCALE.kills} times`, { timeout: 3_000_000 }, () => {
  let db: DrillDatabase;
  let bus: MessageBus;
  let processes: DrillProcesses;
  const prefix = `${uniqueName('drill-kill')}.`;

  before(async () => {
    db = await openDrillDatabase('drill_kill', CONSUMERS.map(schemaOf));
    bus = createMessageBus({ brokers: kafkaBrokers(), topicPrefix: prefix, clientId: 'drill-kill' });
    await bus.ensureTopics([Topics.deploy]);
    processes = new DrillProcesses('kill-soak', db, kafkaBrokers(), prefix);
    processes.relay({ PUBLISH_DELAY_MS: '40', BATCH: '50' });
    for (const consumer of CONSUMERS) processes.consumer(consumer, schemaOf(consumer));
  });

  after(async () => {
    await processes?.endAll();
    await bus?.close();
    await db?.close();
  });

  it('applies every event exactly once per consumer, in each stream\'s order, and dead-letters nothing', async () => {
    const started = Date.now();
    const children = processes.all;
    await processes.startAll();

    const meanGap = (GAP_MS[0] + GAP_MS[1]) / 2;
    const perSecond = Math.max(10, Math.round(SCALE.events / ((SCALE.kills * meanGap) / 1000)));
    const producing = produce(db.store, { events: SCALE.events, streams: SCALE.streams, perSecond });
    let produced = false;
    void producing.then(() => (produced = true), () => undefined);

    // The killer: a random process that has started, after a random gap; restarted at once (not awaited:
    // the next kill may land on another process while this one is still starting).
    const restarts: Promise<void>[] = [];
    const startFailures: Error[] = [];
    let kills = 0;
    let killsWhileProducing = 0;
    while (kills < SCALE.kills) {
      await sleep(GAP_MS[0] + Math.random() * (GAP_MS[1] - GAP_MS[0]));
      // Among the processes that are up, one of those killed least so far: every process gets its share.
      const up = children.filter((c) => c.ready);
      if (up.length === 0) continue;
      const fewest = Math.min(...up.map((c) => c.kills));
      const candidates = up.filter((c) => c.kills === fewest);
      const victim = candidates[Math.floor(Math.random() * candidates.length)];
      await victim.kill9();
      kills++;
      if (!produced) killsWhileProducing++;
      restarts.push(victim.start().catch((error: Error) => void startFailures.push(error)));
    }
    await producing;
    const producedAt = Date.now();
    await Promise.all(restarts);
    assert.deepEqual(startFailures.map((e) => e.message), [], 'every restart started');
    await Promise.all(children.filter((c) => !c.running).map((c) => c.start()));

    await waitUntil(async () => (await leastApplied(db.dataSource, CONSUMERS)) >= SCALE.events, {
      timeoutMs: 600_000,
      intervalMs: 500,
      message: `every consumer applied all ${SCALE.events} events`,
    }).catch((error: Error) => {
      throw new Error(`${error.message}\n${processes.tails(10)}`);
    });
    const wallMs = Date.now() - started;
    // Late duplicates would land now, if any were on their way.
    await sleep(3_000);
    const figures = await effectFigures(db.dataSource, CONSUMERS);
    const deadLettered = await messagesIn(kafkaBrokers(), `${prefix}${deadLetterTopic(Topics.deploy)}`);
    const published = await messagesIn(kafkaBrokers(), `${prefix}${Topics.deploy}`);

    printFigures('kill-soak', {
      events: SCALE.events,
      streams: SCALE.streams,
      consumers: CONSUMERS.length,
      kills,
      'kills while producing': killsWhileProducing,
      'kills by process': children.map((c) => `${c.name} ${c.kills}`).join(', '),
      'messages published (relay re-sends included)': published,
      'deliveries to the consumers': figures.deliveries,
      'redeliveries skipped by the inboxes': figures.redeliveries,
      'effect rows': figures.rows,
      'applied twice': figures.duplicates,
      missing: figures.missing,
      'out of stream order': figures.outOfOrder,
      'dead-lettered': deadLettered,
      'wall time s': Number((wallMs / 1000).toFixed(1)),
      'caught up after the producer s': Number(((Date.now() - producedAt) / 1000).toFixed(1)),
      'events/s (per consumer, end to end)': Math.round(SCALE.events / (wallMs / 1000)),
    });

    assert.equal(kills, SCALE.kills);
    assert.ok(children.every((c) => c.kills > 0), `every process was killed at least once: ${children.map((c) => `${c.name} ${c.kills}`).join(', ')}`);
    assert.equal(figures.duplicates, 0, 'no event applied twice');
    assert.equal(figures.missing, 0, 'no event missing');
    assert.equal(figures.rows, SCALE.events * CONSUMERS.length, 'one effect row per event and consumer');
    assert.equal(figures.outOfOrder, 0, 'each stream applied in its order');
    assert.equal(deadLettered, 0, 'nothing dead-lettered');
    assert.ok(published >= SCALE.events);

    // Negative control: the checks see an event applied twice, one missing and one out of order.
    // Delete first: copied first, the duplicate could be repo-sync's last row and the delete would take it back.
    await db.dataSource.query(`DELETE FROM ${EFFECTS} WHERE id = (SELECT max(id) FROM ${EFFECTS} WHERE consumer = 'repo-sync')`);
    await db.dataSource.query(`INSERT INTO ${EFFECTS} (consumer, stream, seq, event_id) SELECT consumer, stream, seq, event_id FROM ${EFFECTS} ORDER BY id LIMIT 1`);
    const broken = await effectFigures(db.dataSource, CONSUMERS);
    assert.deepEqual([broken.duplicates, broken.missing, broken.outOfOrder >= 1], [1, 1, true], 'the checks can fail');
  });
});
