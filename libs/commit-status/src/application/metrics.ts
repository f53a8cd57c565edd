import { Counter, Histogram } from 'prom-client';
import { metricsRegistry } from '@sluice/platform';

/** commit-status's Prometheus metrics (served at /metrics with the process's registry). */

export const reconcileDuration = new Histogram({
  name: 'sluice_commit_status_reconcile_duration_seconds',
  help: 'Duration of CommitStatus reconciles, by result (done, requeued, error)',
  labelNames: ['result'] as const,
  buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
  registers: [metricsRegistry],
});

export const scmWrites = new Counter({
  name: 'sluice_commit_status_scm_writes_total',
  help: 'Commit statuses written to an SCM, by provider and reason (missing, spec-changed, cancel-previous, final-previous)',
  labelNames: ['provider', 'reason'] as const,
  registers: [metricsRegistry],
});

export const driftDetected = new Counter({
  name: 'sluice_commit_status_drift_total',
  help: 'Reconciles that found the SCM changed outside the CommitStatus (reported, not overwritten)',
  labelNames: ['provider'] as const,
  registers: [metricsRegistry],
});

export const rateLimited = new Counter({
  name: 'sluice_commit_status_rate_limited_total',
  help: 'Reconciles put off because the credentials were rate limited (retry-after, exhausted budget)',
  labelNames: ['status'] as const,
  registers: [metricsRegistry],
});
