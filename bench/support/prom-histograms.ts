// Reads Prometheus histograms from the services' /metrics, so a bench can say how long each
// consumer's messages waited and how long their handlers took over its measured phase only
// (the difference of two snapshots).

/** Cumulative bucket counts by `le`, plus sum and count, per series (the labels other than `le`). */
export type HistogramSnapshot = Map<string, { buckets: Map<number, number>; sum: number; count: number }>;

export async function scrapeHistograms(url: string, names: readonly string[]): Promise<HistogramSnapshot> {
  const text = await fetch(`${url}/metrics`).then((r) => r.text());
  const out: HistogramSnapshot = new Map();
  for (const line of text.split('\n')) {
    const m = /^(\w+?)_(bucket|sum|count)\{(.*)\} (\S+)$/.exec(line);
    if (!m || !names.includes(m[1]!)) continue;
    const labels = [...m[3]!.matchAll(/(\w+)="([^"]*)"/g)];
    const le = labels.find(([, k]) => k === 'le')?.[2];
    const series = `${m[1]}{${labels.filter(([, k]) => k !== 'le').map(([, k, v]) => `${k}=${v}`).join(',')}}`;
    const entry = out.get(series) ?? { buckets: new Map<number, number>(), sum: 0, count: 0 };
    if (m[2] === 'bucket') entry.buckets.set(le === '+Inf' ? Infinity : Number(le), Number(m[4]));
    else if (m[2] === 'sum') entry.sum = Number(m[4]);
    else entry.count = Number(m[4]);
    out.set(series, entry);
  }
  return out;
}

/** One line per series that saw observations between the snapshots: n, mean, p50 and p99 (bucket upper bounds). */
export function describeHistogramChange(before: HistogramSnapshot, after: HistogramSnapshot): string[] {
  const lines: string[] = [];
  for (const [series, now] of after) {
    const was = before.get(series);
    const count = now.count - (was?.count ?? 0);
    if (count <= 0) continue;
    const mean = (now.sum - (was?.sum ?? 0)) / count;
    const bounds = [...now.buckets.keys()].sort((a, b) => a - b);
    const quantile = (q: number) => bounds.find((le) => now.buckets.get(le)! - (was?.buckets.get(le) ?? 0) >= q * count) ?? Infinity;
    const ms = (s: number) => (s === Infinity ? '∞' : `${Math.round(s * 1000)}`);
    lines.push(`  ${series.padEnd(100)} n=${String(count).padStart(5)}  mean ${ms(mean).padStart(6)} ms  p50 ≤${ms(quantile(0.5)).padStart(6)} ms  p99 ≤${ms(quantile(0.99)).padStart(6)} ms`);
  }
  return lines;
}

/** Counter values per series (name and labels). */
export type CounterSnapshot = Map<string, number>;

export async function scrapeCounters(url: string, names: readonly string[]): Promise<CounterSnapshot> {
  const text = await fetch(`${url}/metrics`).then((r) => r.text());
  const out: CounterSnapshot = new Map();
  for (const line of text.split('\n')) {
    const m = /^(\w+)\{(.*)\} (\S+)$/.exec(line);
    if (m && names.includes(m[1]!)) out.set(`${m[1]}{${[...m[2]!.matchAll(/(\w+)="([^"]*)"/g)].map(([, k, v]) => `${k}=${v}`).join(',')}}`, Number(m[3]));
  }
  return out;
}

/** One line per series that grew between the snapshots: by how much. */
export function describeCounterChange(before: CounterSnapshot, after: CounterSnapshot): string[] {
  return [...after].filter(([series, v]) => v > (before.get(series) ?? 0)).map(([series, v]) => `  ${series.padEnd(100)} +${v - (before.get(series) ?? 0)}`);
}
