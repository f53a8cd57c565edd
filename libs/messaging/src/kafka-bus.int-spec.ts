import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { Topics, type EventEnvelope } from '@sluice/contracts';
import { metricsRegistry } from '@sluice/platform';
import { kafkaBrokers, uniqueName, waitUntil } from '@sluice/testing';
import { ConfigResourceTypes, Kafka, logLevel } from 'kafkajs';
import { KafkaMessageBus, type KafkaMessageBusOptions } from './kafka-bus';
import type { DeliveryContext, MessageBus } from './port';
import { deferred, envelope, interleaved, recordingLogger, versionsByStream } from './test-support';

const run = promisify(execFile);
const KAFKA_SH = resolve(__dirname, '../../../infra/kafka.sh');
const TOPIC = Topics.deploy;

const buses: MessageBus[] = [];
const logger = recordingLogger();

/** A bus on its own topic prefix, tuned so groups join and retries happen quickly. */
function newBus(overrides: Partial<KafkaMessageBusOptions> = {}): { bus: KafkaMessageBus; prefix: string } {
  const prefix = `${uniqueName('msg')}.`;
  const bus = new KafkaMessageBus({
    brokers: kafkaBrokers(),
    topicPrefix: prefix,
    logger,
    kafkaLogLevel: 'warn',
    retry: { baseDelayMs: 20, maxDelayMs: 100 },
    shutdownGraceMs: 200,
    consumer: { sessionTimeoutMs: 6000, heartbeatIntervalMs: 1000, rebalanceTimeoutMs: 10_000, maxWaitTimeMs: 100 },
    ...overrides,
  });
  buses.push(bus);
  return { bus, prefix };
}

/** A raw kafkajs client on the same broker, to look at (or forge) physical messages. */
function rawKafka(brokers = kafkaBrokers()): Kafka {
  return new Kafka({ clientId: 'messaging-int-spec', brokers, logLevel: logLevel.NOTHING });
}

after(async () => {
  await Promise.all(buses.map((bus) => bus.close()));
});

describe('KafkaMessageBus (real Kafka)', () => {
  it('publishes key = messageKey(stream) (a config’s decisions and outcomes under its name, on one partition), the envelope as JSON value, type/version/correlationId headers', { timeout: 60_000 }, async () => {
    const { bus, prefix } = newBus();
    await bus.ensureTopics([TOPIC]);
    const sent = envelope('config-billing-api', 1, { image: 'billing:1.2.3' });
    const outcomes = ['billing-api', 'ledger', 'web', 'docs', 'shop', 'search'].flatMap((config, i) => [envelope(`config-${config}`, i + 2), envelope(`applier-${config}`, 1)]);
    await bus.publish(TOPIC, [sent, ...outcomes]);
    assert.equal(bus.isReady(), true);

    const consumer = rawKafka().consumer({ groupId: uniqueName('raw'), sessionTimeout: 6000, heartbeatInterval: 1000, maxWaitTimeInMs: 100 });
    const got = deferred<{ key: string; value: unknown; headers: Record<string, string> }>();
    const partitions = new Map<string, Set<number>>();
    try {
      await consumer.connect();
      await consumer.subscribe({ topics: [`${prefix}${TOPIC}`], fromBeginning: true });
      await consumer.run({
        eachMessage: async ({ message, partition }) => {
          const key = message.key!.toString();
          partitions.set(key, new Set([...(partitions.get(key) ?? []), partition]));
          const value = JSON.parse(message.value!.toString()) as EventEnvelope;
          if (value.id !== sent.id) return;
          const headers = Object.fromEntries(Object.entries(message.headers ?? {}).map(([k, v]) => [k, String(v)]));
          got.resolve({ key, value, headers });
        },
      });
      const message = await got.promise;
      assert.equal(message.key, 'billing-api');
      assert.deepEqual(message.value, sent);
      assert.deepEqual(message.headers, { type: 'test.happened', version: '1', correlationId: sent.correlationId });
      await waitUntil(() => [...partitions.keys()].length === 6, { message: 'every config key seen' });
      for (const [key, seen] of partitions) assert.equal(seen.size, 1, `${key}: decisions and outcomes on one partition`);
      assert.ok(new Set([...partitions.values()].map((p) => [...p][0])).size > 1, 'configs spread over partitions');
    } finally {
      await consumer.disconnect();
    }
  });

  it('consumes every stream in publish order, across partitions and batches', { timeout: 60_000 }, async () => {
    const { bus } = newBus();
    const received: EventEnvelope[] = [];
    const published = interleaved(['repo-a', 'repo-b', 'repo-c', 'repo-d'], 25);
    await bus.ensureTopics([TOPIC]);
    await bus.publish(TOPIC, published.slice(0, 40));
    const group = uniqueName('order');
    await bus.subscribe({
      group,
      topics: [TOPIC],
      handler: async (e) => {
        await new Promise((r) => setTimeout(r, Math.random() * 2));
        received.push(e);
      },
    });
    await bus.publish(TOPIC, published.slice(40, 70));
    await bus.publish(TOPIC, published.slice(70));
    await waitUntil(() => received.length >= published.length, { timeoutMs: 30_000, message: 'all 100 envelopes consumed' });

    const byStream = versionsByStream(received);
    const expected = Array.from({ length: 25 }, (_, i) => i + 1);
    for (const stream of ['repo-a', 'repo-b', 'repo-c', 'repo-d']) assert.deepEqual(byStream.get(stream), expected, stream);
    assert.equal(received.length, published.length, 'no duplicates without failures');
    assert.equal(bus.isReady(), true);

    // Each message's wait and handling are measured for /metrics, per topic and group.
    const count = async (metric: string, label = '') => {
      const text = await metricsRegistry.getSingleMetricAsString(metric);
      const line = text.split('\n').find((l) => l.startsWith(`${metric}_count{`) && l.includes(`group="${group}"`) && l.includes(label));
      return Number(line?.split(' ').at(-1));
    };
    assert.equal(await count('sluice_message_handle_duration_seconds', 'outcome="handled"'), published.length);
    assert.equal(await count('sluice_message_wait_duration_seconds'), published.length);
  });

  it('handles different keys of one partition in parallel, each key in order, within maxInFlight', { timeout: 60_000 }, async () => {
    const { bus } = newBus({ partitions: 1, consumer: { sessionTimeoutMs: 6000, heartbeatIntervalMs: 1000, rebalanceTimeoutMs: 10_000, maxWaitTimeMs: 100, maxInFlight: 4 } });
    const streams = ['config-a', 'config-b', 'config-c', 'config-d', 'config-e', 'config-f'];
    const published = interleaved(streams, 10);
    await bus.ensureTopics([TOPIC]);
    await bus.publish(TOPIC, published);
    const received: EventEnvelope[] = [];
    const running = new Set<string>();
    let peak = 0;
    let sameStreamAtOnce = false;
    await bus.subscribe({
      group: uniqueName('keyed'),
      topics: [TOPIC],
      handler: async (e) => {
        if (running.has(e.stream)) sameStreamAtOnce = true;
        running.add(e.stream);
        peak = Math.max(peak, running.size);
        await new Promise((r) => setTimeout(r, 20));
        running.delete(e.stream);
        received.push(e);
      },
    });
    await waitUntil(() => received.length >= published.length, { timeoutMs: 30_000, message: 'all 60 envelopes consumed' });

    const byStream = versionsByStream(received);
    for (const stream of streams) assert.deepEqual(byStream.get(stream), Array.from({ length: 10 }, (_, i) => i + 1), stream);
    assert.equal(sameStreamAtOnce, false, 'one stream is never handled twice at once');
    assert.equal(peak, 4, 'six keys on one partition ran four at a time (maxInFlight)');
    assert.equal(received.length, published.length);
  });

  it('dead-letters a poison message after maxAttempts and keeps consuming the partition', { timeout: 60_000 }, async () => {
    const { bus } = newBus();
    const handled: number[] = [];
    let poisonAttempts = 0;
    await bus.subscribe({
      group: uniqueName('poison'),
      topics: [TOPIC],
      maxAttempts: 3,
      handler: async (e) => {
        if (e.streamVersion === 2) {
          poisonAttempts++;
          throw new Error('cannot deploy this');
        }
        handled.push(e.streamVersion);
      },
    });
    const deadLetters: Array<{ envelope: EventEnvelope; context: DeliveryContext }> = [];
    await bus.subscribe({ group: uniqueName('dlq'), topics: [`${TOPIC}.dlq`], handler: async (e, context) => void deadLetters.push({ envelope: e, context }) });

    const poison = envelope('config-x', 2);
    // Same key: same partition, so 3 and 4 really sit behind the poison message.
    await bus.publish(TOPIC, [envelope('config-x', 1), poison, envelope('config-x', 3), envelope('config-x', 4)]);
    await waitUntil(() => handled.length === 3 && deadLetters.length === 1, { timeoutMs: 30_000, message: 'later messages handled and the poison one dead-lettered' });

    assert.deepEqual(handled, [1, 3, 4]);
    assert.equal(poisonAttempts, 3);
    const [dead] = deadLetters;
    assert.deepEqual(dead!.envelope, poison);
    assert.equal(dead!.context.topic, `${TOPIC}.dlq`);
    assert.equal(dead!.context.deadLetter?.attempts, 3);
    assert.equal(dead!.context.deadLetter?.error, 'Error: cannot deploy this');
    assert.equal(dead!.context.deadLetter?.originalTopic, TOPIC);
    assert.equal(dead!.context.deadLetter?.originalOffset, '1');
  });

  it('sends malformed JSON and non-envelopes straight to the dead-letter topic', { timeout: 60_000 }, async () => {
    const { bus, prefix } = newBus();
    const handled: EventEnvelope[] = [];
    await bus.subscribe({ group: uniqueName('malformed'), topics: [TOPIC], handler: async (e) => void handled.push(e) });
    const dead: DeliveryContext[] = [];
    await bus.subscribe({ group: uniqueName('dlq'), topics: [`${TOPIC}.dlq`], handler: async (_e, context) => void dead.push(context) });
    const deadValues: string[] = [];
    // The dead-letter topic keeps the original bytes; read them raw as the handler never sees non-envelopes.
    const raw = rawKafka();
    const producer = raw.producer();
    const dlqReader = raw.consumer({ groupId: uniqueName('raw-dlq'), sessionTimeout: 6000, heartbeatInterval: 1000, maxWaitTimeInMs: 100 });
    try {
      await producer.connect();
      await producer.send({ topic: `${prefix}${TOPIC}`, messages: [{ key: 'k', value: '{not json' }, { key: 'k', value: JSON.stringify({ hello: 'world' }) }] });
      await dlqReader.connect();
      await dlqReader.subscribe({ topics: [`${prefix}${TOPIC}.dlq`], fromBeginning: true });
      await dlqReader.run({ eachMessage: async ({ message }) => void deadValues.push(message.value!.toString()) });
      await bus.publish(TOPIC, [envelope('k', 1)]);
      await waitUntil(() => handled.length === 1 && deadValues.length === 2, { timeoutMs: 30_000, message: 'valid envelope handled, two bad values dead-lettered' });
      assert.deepEqual(deadValues, ['{not json', '{"hello":"world"}']);
      assert.equal(handled[0]!.streamVersion, 1);
      assert.equal(dead.length, 0, 'a dead-letter subscriber is not handed non-envelopes either');
    } finally {
      await Promise.all([producer.disconnect(), dlqReader.disconnect()]);
    }
  });

  it('commits an offset only after its handler resolved: a message in flight at stop is redelivered to the group', { timeout: 60_000 }, async () => {
    const { bus } = newBus();
    const group = uniqueName('commit');
    const firstConsumer: number[] = [];
    const inFlight = deferred();
    const first = await bus.subscribe({
      group,
      topics: [TOPIC],
      handler: async (e) => {
        if (e.streamVersion === 2) {
          inFlight.resolve();
          await new Promise(() => undefined); // never finishes: its effects never committed
        }
        firstConsumer.push(e.streamVersion);
      },
    });
    await bus.publish(TOPIC, [envelope('config-y', 1), envelope('config-y', 2), envelope('config-y', 3)]);
    await inFlight.promise;
    await first.stop();

    const secondConsumer: Array<[number, number]> = [];
    await bus.subscribe({ group, topics: [TOPIC], handler: async (e, c) => void secondConsumer.push([e.streamVersion, c.attempt]) });
    await waitUntil(() => secondConsumer.length >= 2, { timeoutMs: 30_000, message: 'the new consumer of the group got the uncommitted messages' });
    await new Promise((r) => setTimeout(r, 300)); // anything else would arrive now
    assert.deepEqual(firstConsumer, [1]);
    assert.deepEqual(secondConsumer, [[2, 1], [3, 1]], 'version 1 was committed, version 2 was not');
  });

  it('commits a handler that finishes within the shutdown grace period: not redelivered', { timeout: 60_000 }, async () => {
    const { bus } = newBus({ shutdownGraceMs: 5000 });
    const group = uniqueName('grace');
    const started = deferred();
    const release = deferred();
    const first = await bus.subscribe({
      group,
      topics: [TOPIC],
      handler: async () => {
        started.resolve();
        await release.promise;
      },
    });
    await bus.publish(TOPIC, [envelope('config-z', 1)]);
    await started.promise;
    const stopping = first.stop();
    setTimeout(() => release.resolve(), 100);
    await stopping;

    const again: number[] = [];
    await bus.subscribe({ group, topics: [TOPIC], handler: async (e) => void again.push(e.streamVersion) });
    await bus.publish(TOPIC, [envelope('config-z', 2)]);
    await waitUntil(() => again.length >= 1, { timeoutMs: 30_000, message: 'the next message reached the new consumer' });
    await new Promise((r) => setTimeout(r, 300));
    assert.deepEqual(again, [2]);
  });

  it('recovers producer and consumer when the broker stops and comes back, losing nothing', { timeout: 480_000 }, async () => {
    // A private node: stopping the shared broker would break the test files running beside this one.
    step('starting a private broker');
    const node = await startPrivateBroker();
    step('private broker up');
    const { bus } = newBus({ brokers: [node.broker] });
    try {
      const received: EventEnvelope[] = [];
      await bus.subscribe({ group: uniqueName('bounce'), topics: [TOPIC], handler: async (e) => void received.push(e) });

      const streams = ['svc-a', 'svc-b', 'svc-c'];
      const total = 60;
      let published = 0;
      let publishFailures = 0;
      // Publishes like the outbox relay: one envelope after the other, retrying the same one until acknowledged.
      const producing = (async () => {
        for (let i = 0; i < total; i++) {
          const next = envelope(streams[i % streams.length]!, Math.floor(i / streams.length) + 1);
          for (;;) {
            try {
              await bus.publish(TOPIC, [next]);
              break;
            } catch {
              publishFailures++;
              await new Promise((r) => setTimeout(r, 200));
            }
          }
          published++;
          await new Promise((r) => setTimeout(r, 50));
        }
      })();

      await waitUntil(() => published >= 15 && received.length >= 5, { timeoutMs: 30_000, message: 'traffic flowing before the outage' });
      step('stopping the broker');
      await run('bash', [KAFKA_SH, 'stop-broker', node.dir, 'kill']); // a crash, not a controlled shutdown
      await waitUntil(() => !bus.isReady(), { timeoutMs: 30_000, message: 'the bus notices the broker is gone' });
      await new Promise((r) => setTimeout(r, 2000));
      step('starting the broker');
      await run('bash', [KAFKA_SH, 'start-broker', node.dir], { timeout: 120_000 });
      step('broker started');

      await producing;
      step(`all published (${publishFailures} failed publish calls retried)`);
      await waitUntil(() => new Set(received.map((e) => e.id)).size === total, { timeoutMs: 90_000, message: `all ${total} envelopes consumed after the restart` });
      step('all consumed');
      await waitUntil(() => bus.isReady(), { timeoutMs: 30_000, message: 'the bus is ready again' });
      step('ready again');

      // At-least-once: duplicates are allowed, but each stream's first deliveries are in order.
      for (const [stream, versions] of versionsByStream(received)) {
        const firstSeen = versions.filter((v, i) => versions.indexOf(v) === i);
        assert.deepEqual(firstSeen, Array.from({ length: total / streams.length }, (_, i) => i + 1), stream);
      }
    } finally {
      await bus.close(); // while the broker is up, so the group is left cleanly
      step('bus closed');
      await node.down();
      step('private broker down');
    }
  });
});

/** Progress of the slow test, visible with SLUICE_TEST_LOG=1. */
function step(message: string): void {
  logger.info({ test: 'broker-loss' }, message);
}

async function startPrivateBroker(): Promise<{ dir: string; broker: string; down: () => Promise<void> }> {
  const dir = await mkdtemp(join(process.env.SLUICE_TEST_RUN_DIR ?? tmpdir(), 'messaging-broker-'));
  const [port, controllerPort] = [await freePort(), await freePort()];
  const env = { ...process.env, SLUICE_KAFKA_PORT: String(port), SLUICE_KAFKA_CONTROLLER_PORT: String(controllerPort) };
  await run('bash', [KAFKA_SH, 'up', dir], { env, timeout: 180_000 });
  return {
    dir,
    broker: `127.0.0.1:${port}`,
    down: async () => {
      await run('bash', [KAFKA_SH, 'down', dir]).catch(() => undefined);
      await rm(dir, { recursive: true, force: true });
    },
  };
}

function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolvePort(address.port) : reject(new Error('no port'))));
    });
  });
}

describe('KafkaMessageBus topic settings', () => {
  it('creates sluice.auth.v1 compacted (token events outlive retention) and other topics with the broker defaults', { timeout: 60_000 }, async () => {
    const { bus, prefix } = newBus();
    await bus.ensureTopics([Topics.auth, Topics.deploy]);
    const admin = rawKafka().admin();
    await admin.connect();
    try {
      const { resources } = await admin.describeConfigs({
        includeSynonyms: false,
        resources: [Topics.auth, `${Topics.auth}.dlq`, Topics.deploy].map((topic) => ({ type: ConfigResourceTypes.TOPIC, name: `${prefix}${topic}`, configNames: ['cleanup.policy'] })),
      });
      assert.deepEqual(
        resources.map((r) => [r.resourceName.slice(prefix.length), r.configEntries[0]!.configValue]),
        [
          [Topics.auth, 'compact'],
          [`${Topics.auth}.dlq`, 'delete'],
          [Topics.deploy, 'delete'],
        ],
      );
    } finally {
      await admin.disconnect();
    }
  });
});
