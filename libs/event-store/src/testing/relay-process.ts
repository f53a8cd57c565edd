// A relay in its own process, for the crash test: publishes the log of SCHEMA in
// DATABASE_URL to Kafka until killed. Test-only (run by relay-crash.int-spec.ts).
import { createMessageBus } from '@sluice/messaging';
import { openServiceDataSource } from '../data-source';
import { EventStore } from '../event-store';
import { OutboxRelay } from '../outbox-relay';

async function main(): Promise<void> {
  const env = (name: string) => {
    const value = process.env[name];
    if (!value) throw new Error(`${name} is not set`);
    return value;
  };
  const dataSource = await openServiceDataSource({ url: env('DATABASE_URL'), schema: env('SCHEMA'), poolSize: 3 });
  const bus = createMessageBus({ brokers: env('KAFKA_BROKERS').split(','), topicPrefix: env('TOPIC_PREFIX'), clientId: 'relay-crash' });
  // A slow broker round trip, so that the test's kills land mid-way on a fast machine too.
  const delayMs = Number(process.env.PUBLISH_DELAY_MS ?? 0);
  const publisher = {
    publish: async (topic: string, envelopes: Parameters<typeof bus.publish>[1]) => {
      await bus.publish(topic, envelopes);
      if (delayMs) await new Promise((r) => setTimeout(r, delayMs));
    },
  };
  const relay = new OutboxRelay(new EventStore(dataSource, env('SCHEMA')), publisher, {
    name: 'outbox-relay',
    // Small batches: more chances for a kill to land between publish and checkpoint.
    batchSize: Number(process.env.BATCH ?? 20),
    pollIntervalMs: 20,
    topicFor: () => env('TOPIC'),
  });
  relay.start();
  process.send?.('started');
}

main().catch((error) => {
  process.stderr.write(`relay-process failed: ${String(error)}\n`);
  process.exit(1);
});
