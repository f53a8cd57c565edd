// An outbox relay in its own process, as a service runs it: publishes the log of SCHEMA in
// DATABASE_URL to sluice.deploy.v1 under the relay's advisory-lock leadership, until killed.
import { Topics } from '@sluice/contracts';
import { EventStore, OutboxRelay, openServiceDataSource } from '@sluice/event-store';
import { createMessageBus } from '@sluice/messaging';
import { childLogger, env } from './child-logger';

async function main(): Promise<void> {
  const schema = env('SCHEMA');
  const dataSource = await openServiceDataSource({ url: env('DATABASE_URL'), schema, poolSize: 3, applicationName: 'drill-relay' });
  const bus = createMessageBus({
    brokers: env('KAFKA_BROKERS').split(','),
    topicPrefix: env('TOPIC_PREFIX'),
    clientId: 'drill-relay',
    logger: childLogger,
    kafkaLogLevel: 'warn',
  });
  // PUBLISH_DELAY_MS: a slow broker round trip after each acknowledged send, so that kills land
  // between a publish and its checkpoint (the relay then sends that batch again) on a fast machine too.
  const delayMs = Number(process.env.PUBLISH_DELAY_MS ?? 0);
  const publisher = {
    publish: async (topic: string, envelopes: Parameters<typeof bus.publish>[1]) => {
      await bus.publish(topic, envelopes);
      if (delayMs) await new Promise((r) => setTimeout(r, delayMs));
    },
  };
  const relay = new OutboxRelay(new EventStore(dataSource, schema), publisher, {
    name: 'outbox-relay',
    batchSize: Number(process.env.BATCH ?? 200),
    pollIntervalMs: 50,
    exclusive: true,
    logger: childLogger,
    topicFor: () => Topics.deploy,
  });
  relay.start();
  process.send?.('started');
}

main().catch((error) => {
  process.stderr.write(`relay-process failed: ${String(error)}\n`);
  process.exit(1);
});
