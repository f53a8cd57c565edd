// Benchmark output: each figure with its ratio against a baseline measured in the same run.

export interface Figure {
  name: string;
  value: number;
  unit: string;
  baseline?: { name: string; value: number };
  target?: { op: '>=' | '<='; value: number };
  /** A goal on the ratio value / baseline.value (issue #24: figures against a floor). */
  ratioTarget?: { op: '>=' | '<='; value: number };
}

export function report(bench: string, figures: Figure[]): boolean {
  let allMet = true;
  process.stdout.write(`\n== ${bench}\n`);
  for (const f of figures) {
    const ratio = f.baseline ? ` | ${fmtRatio(f.value / f.baseline.value)} of ${f.baseline.name} (${fmt(f.baseline.value)} ${f.unit})` : '';
    let target = '';
    if (f.target) {
      const met = f.target.op === '>=' ? f.value >= f.target.value : f.value <= f.target.value;
      allMet &&= met;
      target = ` | target ${f.target.op} ${fmt(f.target.value)}: ${met ? 'met' : 'MISSED'}`;
    }
    if (f.ratioTarget && f.baseline) {
      const r = f.value / f.baseline.value;
      const met = f.ratioTarget.op === '>=' ? r >= f.ratioTarget.value : r <= f.ratioTarget.value;
      allMet &&= met;
      target += ` | goal ratio ${f.ratioTarget.op} ${f.ratioTarget.value.toFixed(2)}x: ${met ? 'met' : 'MISSED'}`;
    }
    process.stdout.write(`${f.name}: ${fmt(f.value)} ${f.unit}${ratio}${target}\n`);
  }
  return allMet;
}

const fmt = (n: number) => (!Number.isFinite(n) ? '∞' : n >= 100 ? Math.round(n).toLocaleString('en-US') : n.toFixed(2));
const fmtRatio = (r: number) => (Number.isFinite(r) ? `${r.toFixed(2)}x` : '∞ times');

export function perSecond(count: number, startedAt: bigint): number {
  return count / (Number(process.hrtime.bigint() - startedAt) / 1e9);
}

export function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}
