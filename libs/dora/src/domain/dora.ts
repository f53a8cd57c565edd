/**
 * The four DORA measures of a set of deploys (docs/architecture.md §7, GET /api/metrics/dora),
 * computed from what the event log recorded of each deploy. Pure: the projection supplies the
 * records, this decides what they mean.
 *
 * - Deployment frequency: deploys that succeeded in the window, per day.
 * - Lead time for changes: the deployed commit's time → the deploy applied, per succeeded
 *   deploy of a commit whose time is known (median and 90th percentile).
 * - Change failure rate: of the deploys that ended in the window, the share that failed or
 *   were rolled back (a later re-apply of an earlier deploy of the same config replaced them).
 * - Time to restore: from a failure (the failed deploy's end, or the rolled-back deploy's
 *   replacement request) to the next deploy of that config that succeeded (median).
 *
 * `daily` splits the window into days from its start (the dashboard's charts): each day's
 * succeeded and failed deploys and the median lead time of its succeeded ones.
 */
export interface DeployRecord {
  readonly id: string;
  readonly config: string;
  readonly team: string;
  readonly kind: 'deploy' | 'undeploy';
  readonly cause: string;
  readonly reappliedFrom: string | null;
  /** When the deployed commit was made (the artifact commit, else the config commit); null if unknown. */
  readonly commitAt: Date | null;
  readonly requestedAt: Date;
  readonly appliedAt: Date | null;
  readonly succeededAt: Date | null;
  readonly failedAt: Date | null;
}

export interface Window {
  readonly from: Date;
  readonly to: Date;
}

export interface DoraMetrics {
  readonly window: { readonly from: string; readonly to: string; readonly days: number };
  readonly deployments: { readonly succeeded: number; readonly failed: number; readonly rolledBack: number; readonly perDay: number };
  /** Seconds; null when no succeeded deploy of a commit with a known time is in the window. */
  readonly leadTimeSeconds: { readonly p50: number | null; readonly p90: number | null; readonly samples: number };
  /** 0..1; null when no deploy ended in the window. */
  readonly changeFailureRate: number | null;
  /** Seconds; null when no failure in the window was restored. */
  readonly timeToRestoreSeconds: { readonly p50: number | null; readonly samples: number; readonly unrestored: number };
  /** The window in 24 h steps from its start (the last one may be shorter); lead time in seconds, null for a day without one. */
  readonly daily: readonly DoraDay[];
}

export interface DoraDay {
  readonly from: string;
  readonly succeeded: number;
  readonly failed: number;
  readonly leadTimeP50: number | null;
}

const DAY_MS = 86_400_000;

const within = (at: Date | null, w: Window): at is Date => at !== null && at >= w.from && at < w.to;

/** Nearest-rank percentile of seconds, rounded to the second. */
function percentile(values: readonly number[], p: number): number | null {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  return Math.round(sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!);
}

const seconds = (from: Date, to: Date): number => Math.max(0, (to.getTime() - from.getTime()) / 1000);

export function doraMetrics(records: readonly DeployRecord[], window: Window): DoraMetrics {
  const deploys = records.filter((r) => r.kind === 'deploy');
  const byConfig = new Map<string, DeployRecord[]>();
  for (const r of [...deploys].sort((a, b) => a.requestedAt.getTime() - b.requestedAt.getTime())) {
    byConfig.set(r.config, [...(byConfig.get(r.config) ?? []), r]);
  }

  // A succeeded deploy is rolled back when the next deploy of its config re-applies an earlier one.
  const rolledBackAt = new Map<string, Date>();
  for (const list of byConfig.values()) {
    list.forEach((r, i) => {
      const next = list[i + 1];
      if (r.succeededAt && next?.reappliedFrom && next.reappliedFrom !== r.id) rolledBackAt.set(r.id, next.requestedAt);
    });
  }

  const succeeded = deploys.filter((r) => within(r.succeededAt, window));
  const failed = deploys.filter((r) => within(r.failedAt, window));
  const rolledBack = succeeded.filter((r) => rolledBackAt.has(r.id));

  const leadTime = (r: DeployRecord): number | null => (r.commitAt ? seconds(r.commitAt, r.appliedAt ?? r.succeededAt!) : null);
  const leadTimes = succeeded.map(leadTime).filter((s) => s !== null);

  const restores: number[] = [];
  let unrestored = 0;
  for (const r of [...failed, ...rolledBack]) {
    const brokenAt = r.failedAt ?? rolledBackAt.get(r.id)!;
    const restored = byConfig
      .get(r.config)!
      .filter((n) => n.succeededAt && n.succeededAt > brokenAt && n.id !== r.id)
      .map((n) => n.succeededAt!)
      .sort((a, b) => a.getTime() - b.getTime())[0];
    if (restored) restores.push(seconds(brokenAt, restored));
    else unrestored += 1;
  }

  const ended = succeeded.length + failed.length;
  const days = (window.to.getTime() - window.from.getTime()) / DAY_MS;
  return {
    window: { from: window.from.toISOString(), to: window.to.toISOString(), days: Math.round(days * 1000) / 1000 },
    deployments: { succeeded: succeeded.length, failed: failed.length, rolledBack: rolledBack.length, perDay: days > 0 ? Math.round((succeeded.length / days) * 1000) / 1000 : 0 },
    leadTimeSeconds: { p50: percentile(leadTimes, 50), p90: percentile(leadTimes, 90), samples: leadTimes.length },
    changeFailureRate: ended ? Math.round(((failed.length + rolledBack.length) / ended) * 1000) / 1000 : null,
    timeToRestoreSeconds: { p50: percentile(restores, 50), samples: restores.length, unrestored },
    daily: dailyOf(succeeded, failed, window, leadTime),
  };
}

function dailyOf(succeeded: readonly DeployRecord[], failed: readonly DeployRecord[], window: Window, leadTime: (r: DeployRecord) => number | null): DoraDay[] {
  const days: DoraDay[] = [];
  for (let start = window.from.getTime(); start < window.to.getTime(); start += DAY_MS) {
    const day = { from: new Date(start), to: new Date(Math.min(start + DAY_MS, window.to.getTime())) };
    const ok = succeeded.filter((r) => within(r.succeededAt, day));
    days.push({
      from: day.from.toISOString(),
      succeeded: ok.length,
      failed: failed.filter((r) => within(r.failedAt, day)).length,
      leadTimeP50: percentile(ok.map(leadTime).filter((s) => s !== null), 50),
    });
  }
  return days;
}
