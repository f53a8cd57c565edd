import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Topics } from '@sluice/contracts';
import { metricsRegistry } from '@sluice/platform';
import { kafkaBrokers, uniqueName, waitUntil } from '@sluice/testing';
import { PermanentDeliveryError } from './errors';
import { KafkaMessageBus } from './kafka-bus';
import { envelope, recordingLogger } from './test-support';

const TOPIC = Topics.deploy;
const buses: KafkaMessageBus[] = [];

function newBus(): KafkaMessageBus {
  const bus = new KafkaMessageBus({
    brokers: kafkaBrokers(),
    topicPrefix: `${uniqueName('outage')}.`,
    logger: recordingLogger(),
    kafkaLogLevel: 'warn',
    partitions: 2,
    retry: { maxAttempts: 2, baseDelayMs: 50, maxDelayMs: 400 },
    shutdownGraceMs: 200,
    consumer: { sessionTimeoutMs: 6000, heartbeatIntervalMs: 1000, rebalanceTimeoutMs: 10_000, maxWaitTimeMs: 100 },
  });
  buses.push(bus);
  return bus;
}

after(async () => {
  await Promise.all(buses.map((bus) => bus.close()));
});

const outage = () => Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' });

describe('KafkaMessageBus through outages (real Kafka)', () => {
  it('retries a transient failure for longer than a session timeout, holding the key, dead-lettering nothing, and reports it', { timeout: 90_000 }, async () => {
    const bus = newBus();
    const group = uniqueName('waits');
    let downUntil = Number.POSITIVE_INFINITY;
    const handled: string[] = [];
    await bus.subscribe({
      group,
      topics: [TOPIC],
      handler: async (e) => {
        if (Date.now() < downUntil) throw outage();
        handled.push(`${e.stream}:${e.streamVersion}`);
      },
    });
    let deadLettered = 0;
    await bus.subscribe({ group: uniqueName('dlq'), topics: [`${TOPIC}.dlq`], handler: async () => void deadLettered++ });
    await bus.publish(TOPIC, [envelope('a', 1), envelope('a', 2), envelope('b', 1)]);

    await waitUntil(() => bus.retrying().some((r) => r.group === group && r.failing > 0), { timeoutMs: 30_000, message: 'the group reports it is retrying' });
    const metrics = await metricsRegistry.metrics();
    assert.match(metrics, new RegExp(`sluice_consumer_retrying_since_seconds\\{group="${group}",topic="${TOPIC}"\\} [1-9]`));
    // Longer than the session timeout (6 s): the heartbeat between attempts keeps the membership.
    await new Promise((r) => setTimeout(r, 8000));
    assert.equal(handled.length, 0, 'nothing handled while down');
    downUntil = 0;
    await waitUntil(() => handled.length === 3, { timeoutMs: 30_000, message: 'everything handled once the outage ends' });
    assert.deepEqual(handled.filter((h) => h.startsWith('a:')), ['a:1', 'a:2'], 'order per key kept');
    assert.equal(deadLettered, 0, 'nothing dead-lettered, although far more than maxAttempts (2) attempts failed');
    assert.ok(bus.isReady());
  });

  it('redrives <topic>.dlq to <topic>: reports how many, sends each once, then only what was dead-lettered since', { timeout: 120_000 }, async () => {
    const bus = newBus();
    let broken = true;
    const handled: string[] = [];
    await bus.subscribe({
      group: uniqueName('redrive'),
      topics: [TOPIC],
      handler: async (e) => {
        if (broken) throw new PermanentDeliveryError('refused for now');
        handled.push(`${e.stream}:${e.streamVersion}`);
      },
    });
    const dlq: string[] = [];
    await bus.subscribe({ group: uniqueName('dlq'), topics: [`${TOPIC}.dlq`], handler: async (e) => void dlq.push(e.stream) });
    await bus.publish(TOPIC, [envelope('a', 1), envelope('b', 1), envelope('c', 1)]);
    await waitUntil(() => dlq.length === 3, { timeoutMs: 30_000, message: 'three dead letters' });

    broken = false;
    assert.equal(await bus.redrive(TOPIC), 3);
    await waitUntil(() => handled.length === 3, { timeoutMs: 30_000, message: 'the redriven messages handled' });
    assert.deepEqual(handled.sort(), ['a:1', 'b:1', 'c:1']);
    assert.equal(await bus.redrive(TOPIC), 0, 'a second redrive sends nothing again');

    broken = true;
    await bus.publish(TOPIC, [envelope('d', 1)]);
    await waitUntil(() => dlq.length === 4, { timeoutMs: 30_000, message: 'a fourth dead letter' });
    broken = false;
    assert.equal(await bus.redrive(TOPIC), 1);
    await waitUntil(() => handled.includes('d:1'), { timeoutMs: 30_000, message: 'the new dead letter redriven' });
    await assert.rejects(bus.redrive(`${TOPIC}.dlq`), RangeError);
  });
});
