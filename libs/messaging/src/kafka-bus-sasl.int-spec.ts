import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Topics } from '@sluice/contracts';
import { kafkaSecurityOf, loadServiceConfig } from '@sluice/platform';
import { startPrivateKafka, uniqueName, type KafkaNode } from '@sluice/testing';
import { createMessageBus } from './create-message-bus';
import type { MessageBus } from './port';
import { deferred, envelope, recordingLogger } from './test-support';

/*
 * Kafka SASL on a real broker: a private node (infra/kafka.sh) with a SASL_PLAINTEXT listener
 * and one user. The bus is built the way a service builds it, from KAFKA_* settings through
 * kafkaSecurityOf, and must round-trip an event with the right password and be refused with
 * a wrong one.
 */

const USER = 'sluice';
const PASSWORD = 'right-password';
const TOPIC = Topics.deploy;

describe('KafkaMessageBus with SASL (real broker with a SASL_PLAINTEXT listener)', { timeout: 180_000 }, () => {
  let node: KafkaNode;
  const buses: MessageBus[] = [];

  before(async () => {
    node = await startPrivateKafka({ sasl: { username: USER, password: PASSWORD } });
  });

  after(async () => {
    await Promise.allSettled(buses.map((b) => b.close()));
    await node?.down();
  });

  function busFromSettings(mechanism: string, password: string): MessageBus {
    const config = loadServiceConfig({}, {
      KAFKA_BROKERS: node.saslBrokers!.join(','),
      KAFKA_SASL_MECHANISM: mechanism,
      KAFKA_SASL_USERNAME: USER,
      KAFKA_SASL_PASSWORD: password,
    });
    const bus = createMessageBus({
      brokers: config.KAFKA_BROKERS,
      security: kafkaSecurityOf(config),
      topicPrefix: `${uniqueName('sasl')}.`,
      logger: recordingLogger(),
      kafkaLogLevel: 'error',
      clientRetry: { retries: 1, initialRetryTime: 100, maxRetryTime: 300 },
      connectionTimeoutMs: 3000,
      consumer: { sessionTimeoutMs: 6000, heartbeatIntervalMs: 1000, rebalanceTimeoutMs: 10_000, maxWaitTimeMs: 100 },
    });
    buses.push(bus);
    return bus;
  }

  for (const mechanism of ['plain', 'scram-sha-256', 'scram-sha-512']) {
    it(`${mechanism}: the right credentials publish and consume`, async () => {
      const bus = busFromSettings(mechanism, PASSWORD);
      await bus.ensureTopics([TOPIC]);
      const sent = envelope(`config-${mechanism}`, 1, { mechanism });
      const got = deferred<string>();
      await bus.subscribe({ group: uniqueName('sasl-group'), topics: [TOPIC], handler: async (e) => got.resolve(e.id) });
      await bus.publish(TOPIC, [sent]);
      assert.equal(await got.promise, sent.id);
      await bus.close();
    });
  }

  for (const mechanism of ['plain', 'scram-sha-256']) {
    it(`${mechanism}: a wrong password is refused by the broker`, async () => {
      const bus = busFromSettings(mechanism, 'wrong-password');
      await assert.rejects(
        bus.publish(TOPIC, [envelope('config-refused', 1)]),
        (err: Error) => /SASL|authentication/i.test(`${err.name} ${err.message} ${String((err as { cause?: unknown }).cause ?? '')}`),
      );
      assert.equal(bus.isReady(), false);
      await bus.close();
    });
  }
});
