import { deadLetterTopic } from '@sluice/contracts';
import type { Admin, Kafka, Message } from 'kafkajs';
import { withoutDeadLetterHeaders } from './kafka-headers';
import type { MessagingLogger } from './logger';
import type { TopicNames } from './topic-names';

export interface KafkaRedriveDeps {
  readonly kafka: Kafka;
  readonly admin: Admin;
  readonly names: TopicNames;
  readonly logger: MessagingLogger;
  /** Consumer group that remembers how far each `.dlq` was redriven. */
  readonly groupId: string;
  readonly send: (physicalTopic: string, messages: Message[]) => Promise<void>;
  readonly timeoutMs: number;
}

/**
 * Re-publishes `<topic>.dlq` to `<topic>` up to the end it had when called. Progress is the
 * committed offset of a dedicated consumer group, so a second redrive only sends what was
 * dead-lettered since; a message is committed only after the broker acknowledged its copy
 * (a crash in between sends it again, which consumers' inboxes absorb).
 */
export async function redriveDeadLetters(topic: string, deps: KafkaRedriveDeps): Promise<number> {
  const { admin, names, groupId } = deps;
  const dlq = names.physical(deadLetterTopic(topic));
  const target = names.physical(topic);
  const ends = new Map((await admin.fetchTopicOffsets(dlq)).map((p) => [p.partition, { low: BigInt(p.low), high: BigInt(p.high) }]));
  const [committed] = await admin.fetchOffsets({ groupId, topics: [dlq] });
  const pending = new Map<number, bigint>();
  for (const [partition, { low, high }] of ends) {
    const at = BigInt(committed?.partitions.find((p) => p.partition === partition)?.offset ?? '-1');
    const from = at < low ? low : at;
    if (from < high) pending.set(partition, high);
  }
  if (pending.size === 0) return 0;

  const consumer = deps.kafka.consumer({ groupId, allowAutoTopicCreation: false });
  let count = 0;
  let finish!: () => void;
  let fail!: (error: unknown) => void;
  const finished = new Promise<void>((resolve, reject) => {
    finish = resolve;
    fail = reject;
  });
  const timer = setTimeout(() => fail(new Error(`redrive of ${topic} did not finish within ${deps.timeoutMs} ms`)), deps.timeoutMs);
  try {
    await consumer.connect();
    await consumer.subscribe({ topics: [dlq], fromBeginning: true });
    await consumer.run({
      autoCommit: false,
      eachBatch: async ({ batch }) => {
        const end = pending.get(batch.partition);
        if (end === undefined) return;
        const wanted = batch.messages.filter((m) => BigInt(m.offset) < end);
        if (wanted.length > 0) {
          await deps.send(target, wanted.map((m) => ({ key: m.key, value: m.value, headers: withoutDeadLetterHeaders(m.headers) })));
          const next = BigInt(wanted[wanted.length - 1]!.offset) + 1n;
          await consumer.commitOffsets([{ topic: dlq, partition: batch.partition, offset: next.toString() }]);
          count += wanted.length;
          if (next < end) return;
        }
        pending.delete(batch.partition);
        if (pending.size === 0) finish();
      },
    });
    await finished;
  } finally {
    clearTimeout(timer);
    await consumer.disconnect().catch(() => undefined);
  }
  deps.logger.info({ topic, redriven: count }, 'dead letters redriven');
  return count;
}
