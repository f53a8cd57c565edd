import { InProcessMessageBus, type InProcessMessageBusOptions } from './in-process-bus';
import { KafkaMessageBus, type KafkaMessageBusOptions } from './kafka-bus';
import type { MessageBus } from './port';

/** Options of either adapter; `brokers` decides which one runs. */
export type MessageBusOptions = Omit<KafkaMessageBusOptions, 'brokers'> &
  InProcessMessageBusOptions & {
    /** Kafka bootstrap brokers (`host:port`); empty or absent selects the in-process bus (all-in-one mode). */
    readonly brokers?: readonly string[];
  };

export function createMessageBus(options: MessageBusOptions = {}): MessageBus {
  const { brokers, ...rest } = options;
  if (brokers && brokers.length > 0) return new KafkaMessageBus({ ...rest, brokers });
  return new InProcessMessageBus(rest);
}
