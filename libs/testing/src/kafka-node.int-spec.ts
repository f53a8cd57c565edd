import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Kafka, logLevel } from 'kafkajs';
import { startPrivateKafka, type KafkaNode } from './kafka-node';
import { uniqueName } from './names';

// The helper a broker-loss test uses: a node of its own that it may crash and start again,
// keeping its topics and messages, without disturbing the broker other test files share.
describe('a private Kafka node', () => {
  let node: KafkaNode;
  before(async () => {
    node = await startPrivateKafka();
  });
  after(async () => node?.down());

  it('keeps its topics and committed messages across a crash and a restart', async () => {
    const kafka = new Kafka({ clientId: 'kafka-node-check', brokers: node.brokers, logLevel: logLevel.NOTHING, retry: { retries: 2 } });
    const topic = uniqueName('restart');
    const admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic, numPartitions: 1 }], waitForLeaders: true });
    const producer = kafka.producer({ allowAutoTopicCreation: false });
    await producer.connect();
    await producer.send({ topic, acks: -1, messages: [{ key: 'k', value: 'before the crash' }] });
    await producer.disconnect();
    await admin.disconnect();

    await node.stop({ kill: true });
    await assert.rejects(
      new Kafka({ clientId: 'down-check', brokers: node.brokers, logLevel: logLevel.NOTHING, retry: { retries: 0 }, connectionTimeout: 500 })
        .admin()
        .connect(),
      'the broker is down between stop and start',
    );
    await node.start();

    const reconnected = kafka.admin();
    await reconnected.connect();
    try {
      assert.ok((await reconnected.listTopics()).includes(topic));
      const [offsets] = await reconnected.fetchTopicOffsets(topic);
      assert.equal(offsets.high, '1');
    } finally {
      await reconnected.disconnect();
    }
  });
});
