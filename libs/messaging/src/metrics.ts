import { Histogram } from 'prom-client';
import { metricsRegistry } from '@sluice/platform';

/** How long a consumer's handler took per message (all attempts and backoffs), by outcome. */
export const messageHandleDuration = new Histogram({
  name: 'sluice_message_handle_duration_seconds',
  help: 'Time from a message reaching its handler to its outcome (handled, exhausted, abandoned), all attempts included',
  labelNames: ['topic', 'group', 'outcome'] as const,
  buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
  registers: [metricsRegistry],
});

/** Time from a message's append to the broker (its timestamp) until its handler started: queueing in the consumer. */
export const messageWaitDuration = new Histogram({
  name: 'sluice_message_wait_duration_seconds',
  help: 'Time from the broker timestamp of a message until its handler started',
  labelNames: ['topic', 'group'] as const,
  buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
  registers: [metricsRegistry],
});
