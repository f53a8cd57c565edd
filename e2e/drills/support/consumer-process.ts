// A consumer in its own process, as a service consumes: `consumeEvents` with the inbox of its own
// schema (SCHEMA); each event's effect is one row INSERTed into EFFECTS (a table without a unique
// key, so a second application would show) inside the inbox transaction. POISON=`<stream>:<version>`
// names an event whose handler fails for good (dead-lettered).
import { Topics } from '@sluice/contracts';
import { Inbox, consumeEvents, openServiceDataSource } from '@sluice/event-store';
import { createMessageBus, PermanentDeliveryError, type MessageBus } from '@sluice/messaging';
import { childLogger, DRILL_CONSUMER, env } from './child-logger';

async function main(): Promise<void> {
  const schema = env('SCHEMA');
  const consumer = env('CONSUMER');
  const effects = env('EFFECTS');
  const poison = process.env.POISON ?? '';
  const dataSource = await openServiceDataSource({ url: env('DATABASE_URL'), schema, poolSize: 10, applicationName: `drill-${consumer}` });
  const bus = createMessageBus({
    brokers: env('KAFKA_BROKERS').split(','),
    topicPrefix: env('TOPIC_PREFIX'),
    groupPrefix: env('TOPIC_PREFIX'),
    clientId: `drill-${consumer}`,
    logger: childLogger,
    kafkaLogLevel: 'warn',
    shutdownGraceMs: 200,
    retry: { maxAttempts: 3, baseDelayMs: 50, maxDelayMs: 1000 },
    consumer: DRILL_CONSUMER,
  });
  // Every delivery is counted (outside the inbox transaction, before it): deliveries beyond the
  // events are the redeliveries (relay re-sends, uncommitted offsets of a killed consumer) the inbox absorbed.
  const counting: MessageBus = Object.assign(Object.create(bus) as MessageBus, {
    subscribe: (options: Parameters<MessageBus['subscribe']>[0]) =>
      bus.subscribe({
        ...options,
        handler: async (envelope, context) => {
          await dataSource.query(`INSERT INTO ${env('DELIVERIES')} (consumer, event_id) VALUES ($1, $2)`, [consumer, envelope.id]);
          return options.handler(envelope, context);
        },
      }),
  });
  await consumeEvents(counting, new Inbox(dataSource, schema), {
    consumer,
    topics: [Topics.deploy],
    handle: async (event, manager) => {
      if (`${event.stream}:${event.streamVersion}` === poison) throw new PermanentDeliveryError(`poison event ${poison}`);
      await manager.query(`INSERT INTO ${effects} (consumer, stream, seq, event_id) VALUES ($1, $2, $3, $4)`, [consumer, event.stream, event.streamVersion, event.id]);
    },
  });
  process.send?.('started');
}

main().catch((error) => {
  process.stderr.write(`consumer-process failed: ${String(error)}\n`);
  process.exit(1);
});
