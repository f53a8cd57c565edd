import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { Topics, type EventEnvelope } from '@sluice/contracts';
import { kafkaBrokers, uniqueName, waitUntil } from '@sluice/testing';
import { KafkaMessageBus } from './kafka-bus';
import { envelope } from './test-support';

describe('KafkaMessageBus with batches larger than the broker accepts in one request', () => {
  const bus = new KafkaMessageBus({
    brokers: kafkaBrokers(),
    topicPrefix: `${uniqueName('msg-large')}.`,
    kafkaLogLevel: 'warn',
    shutdownGraceMs: 200,
    consumer: { sessionTimeoutMs: 6000, heartbeatIntervalMs: 1000, rebalanceTimeoutMs: 10_000, maxWaitTimeMs: 100 },
  });
  after(() => bus.close());

  it('publishes 3 MB of 30 KB events (over message.max.bytes) in order, split into requests', { timeout: 90_000 }, async () => {
    await bus.ensureTopics([Topics.scm]);
    const sent = Array.from({ length: 100 }, (_, i) => envelope('repo-acme/big', i + 1, { i, padding: 'x'.repeat(30 * 1024) }));
    await bus.publish(Topics.scm, sent);
    const got: EventEnvelope[] = [];
    await bus.subscribe({ group: uniqueName('large'), topics: [Topics.scm], handler: async (e) => void got.push(e) });
    await waitUntil(() => got.length === sent.length, { timeoutMs: 60_000 });
    assert.deepEqual(got.map((e) => e.streamVersion), sent.map((e) => e.streamVersion));
  });
});
