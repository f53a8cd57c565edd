import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Kafka, logLevel } from 'kafkajs';
import { createMessageBus, type MessageBus } from '@sluice/messaging';
import { kafkaBrokers, uniqueName, waitUntil } from '@sluice/testing';
import { OutboxRelay } from './outbox-relay';
import { openTestStore, testEvent } from './test-support';

describe('outbox relay on Kafka', () => {
  let ctx: Awaited<ReturnType<typeof openTestStore>>;
  let bus: MessageBus;
  const prefix = uniqueName('relay-topics');
  before(async () => {
    ctx = await openTestStore('relay_topics');
    bus = createMessageBus({ brokers: kafkaBrokers(), topicPrefix: `${prefix}.`, clientId: 'relay-topics' });
  });
  after(async () => {
    await bus?.close();
    await ctx?.close();
  });

  // The test broker, like many production ones, runs with auto.create.topics.enable=false: a
  // topic no consumer has subscribed to yet (commit-status's sluice.status.v1) must still take the relay's events
  // (the Kafka bus creates a topic before its first publish to it).
  it('creates a topic nobody has created yet before its first publish to it', async () => {
    await ctx.store.append('s-1', 0, [testEvent(1), testEvent(2)]);
    const relay = new OutboxRelay(ctx.store, bus, { name: 'relay', topicFor: () => 'sluice.status.v1' });
    // Readers see a transaction only once every older one on the server ended (other test files run beside this one).
    let published = 0;
    await waitUntil(async () => (published += await relay.catchUp()) >= 2, { timeoutMs: 30_000, message: 'the two events published' });
    assert.equal(published, 2);

    const admin = new Kafka({ brokers: kafkaBrokers(), clientId: 'relay-topics-check', logLevel: logLevel.NOTHING }).admin();
    await admin.connect();
    try {
      // Right after the topic's creation the broker may still answer NOT_LEADER_FOR_PARTITION
      // (retriable) to a new client's ListOffsets, as it did on a loaded machine: asked again.
      let messages = -1;
      await waitUntil(async () => {
        messages = (await admin.fetchTopicOffsets(`${prefix}.sluice.status.v1`)).reduce((sum, p) => sum + Number(p.high), 0);
        return true;
      }, { timeoutMs: 30_000, message: 'the topic offsets' });
      assert.equal(messages, 2);
    } finally {
      await admin.disconnect();
    }
  });
});
