import { logLevel, type logCreator } from 'kafkajs';
import type { MessagingLogger } from './logger';

export type KafkaLogLevel = 'error' | 'warn' | 'info' | 'debug';

export const KAFKAJS_LOG_LEVELS: Record<KafkaLogLevel, logLevel> = {
  error: logLevel.ERROR,
  warn: logLevel.WARN,
  info: logLevel.INFO,
  debug: logLevel.DEBUG,
};

/** Routes kafkajs's own logs (connections, rebalances, crashes) to the injected logger instead of the console. */
export function kafkaLogCreator(logger: MessagingLogger): logCreator {
  return () =>
    ({ namespace, level, log }) => {
      // kafkajs puts the message and a timestamp inside the entry; the logger adds its own time.
      const { message, timestamp: _timestamp, ...fields } = log;
      const entry = { component: 'kafkajs', namespace, ...fields };
      switch (level) {
        case logLevel.ERROR:
        case logLevel.NOTHING:
          return logger.error(entry, message);
        case logLevel.WARN:
          return logger.warn(entry, message);
        case logLevel.INFO:
          return logger.info(entry, message);
        default:
          return logger.debug(entry, message);
      }
    };
}
