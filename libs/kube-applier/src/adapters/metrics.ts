import { Counter, Histogram } from 'prom-client';
import { metricsRegistry } from '@sluice/platform';

/** kube-applier's Prometheus metrics (served at /metrics with the process's registry). */

export const reconcileDuration = new Histogram({
  name: 'sluice_kube_applier_reconcile_duration_seconds',
  help: 'Duration of a DeployConfig reconcile (the pass: apply, prune, health; its outcomes reported; its status written), by result (applied, stalled, error)',
  labelNames: ['result'] as const,
  buckets: [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
  registers: [metricsRegistry],
});

export const outcomesReported = new Counter({
  name: 'sluice_kube_applier_outcomes_total',
  help: 'Deploy outcomes reported (once per deploy and slot), by type',
  labelNames: ['type'] as const,
  registers: [metricsRegistry],
});

export const driftReverted = new Counter({
  name: 'sluice_kube_applier_drift_reverted_total',
  help: 'Objects changed outside Sluice that a reconcile pass applied again, by kind',
  labelNames: ['kind'] as const,
  registers: [metricsRegistry],
});

export const objectsPruned = new Counter({
  name: 'sluice_kube_applier_pruned_total',
  help: 'Objects deleted because they left the specs (or the config was undeployed), by kind',
  labelNames: ['kind'] as const,
  registers: [metricsRegistry],
});
