import { metricsRegistry } from '@sluice/platform';
import { Counter } from 'prom-client';

/** Events appended to config streams, by type: decisions and recorded outcomes. */
export const recordedEvents = new Counter({
  name: 'sluice_autodeploy_events_recorded_total',
  help: 'Events autodeploy appended to config streams, by type',
  labelNames: ['type'] as const,
  registers: [metricsRegistry],
});

/** Decisions taken again because another writer advanced the config's stream first. */
export const concurrencyRetries = new Counter({
  name: 'sluice_autodeploy_concurrency_retries_total',
  help: 'Load-decide-append cycles retried after a ConcurrencyError',
  registers: [metricsRegistry],
});

/** Successful builds autodeploy did not deploy because the tracked branch had moved on. */
export const staleBuildsSkipped = new Counter({
  name: 'sluice_autodeploy_stale_builds_skipped_total',
  help: 'Successful builds of commits that were no longer the head of the tracked branch',
  registers: [metricsRegistry],
});
