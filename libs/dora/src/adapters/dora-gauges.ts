import { metricsRegistry } from '@sluice/platform';
import { Gauge, type Registry } from 'prom-client';
import type { DoraRecords } from '../application/dora-records';
import { doraMetrics } from '../domain/dora';

const WINDOW_DAYS = 30;

/**
 * Prometheus gauges of the DORA measures per team over the last 30 days, computed when
 * scraped (the measures are a view of the history, not counters to keep).
 */
export function registerDoraGauges(records: DoraRecords, registry: Registry = metricsRegistry): () => void {
  const names = ['sluice_dora_deployments_per_day', 'sluice_dora_lead_time_seconds', 'sluice_dora_change_failure_rate', 'sluice_dora_time_to_restore_seconds'];
  // One set per registry: a second host in the same process (tests) keeps the first one's.
  if (registry.getSingleMetric(names[0]!)) return () => undefined;
  let measured: Promise<Map<string, ReturnType<typeof doraMetrics>>> | null = null;
  // One read of the history per scrape, shared by the four gauges.
  const perTeam = () => {
    measured ??= (async () => {
      const to = new Date();
      const from = new Date(to.getTime() - WINDOW_DAYS * 86_400_000);
      const all = await records.recordsSince({ config: null, team: null }, from);
      const teams = [...new Set(all.map((r) => r.team))];
      return new Map(teams.map((team) => [team, doraMetrics(all.filter((r) => r.team === team), { from, to })]));
    })().finally(() => setTimeout(() => (measured = null), 1000).unref());
    return measured;
  };
  const gauge = (name: string, help: string, labelNames: string[], read: (g: Gauge, m: Map<string, ReturnType<typeof doraMetrics>>) => void) =>
    new Gauge({
      name,
      help,
      labelNames,
      registers: [registry],
      async collect() {
        this.reset();
        read(this, await perTeam());
      },
    });
  gauge('sluice_dora_deployments_per_day', `Successful deploys per day over the last ${WINDOW_DAYS} days`, ['team'], (g, m) => m.forEach((v, team) => g.set({ team }, v.deployments.perDay)));
  gauge('sluice_dora_lead_time_seconds', `Commit → applied over the last ${WINDOW_DAYS} days`, ['team', 'quantile'], (g, m) =>
    m.forEach((v, team) => {
      if (v.leadTimeSeconds.p50 !== null) g.set({ team, quantile: '0.5' }, v.leadTimeSeconds.p50);
      if (v.leadTimeSeconds.p90 !== null) g.set({ team, quantile: '0.9' }, v.leadTimeSeconds.p90);
    }),
  );
  gauge('sluice_dora_change_failure_rate', `Failed or rolled-back share of the deploys of the last ${WINDOW_DAYS} days`, ['team'], (g, m) =>
    m.forEach((v, team) => v.changeFailureRate !== null && g.set({ team }, v.changeFailureRate)),
  );
  gauge('sluice_dora_time_to_restore_seconds', `Failure → next successful deploy, median, over the last ${WINDOW_DAYS} days`, ['team'], (g, m) =>
    m.forEach((v, team) => v.timeToRestoreSeconds.p50 !== null && g.set({ team }, v.timeToRestoreSeconds.p50)),
  );
  return () => names.forEach((name) => registry.removeSingleMetric(name));
}
