// A hand-drawn SVG line chart of the e2e curve: p50 and p99 (build webhook → DeployConfig applied)
// against the build rate, one colour per pipeline, the 1 s line that defines the knee. Output of a
// bench run (no dependency), not product UI.

export interface CurvePoint {
  readonly rate: number;
  readonly p50: number;
  readonly p99: number;
}

export interface Curve {
  readonly name: string;
  readonly points: readonly CurvePoint[];
  readonly knee?: number;
}

const COLOURS = ['#1f6feb', '#d1242f', '#1a7f37', '#9a6700'];
const W = 760;
const H = 420;
const M = { left: 70, right: 190, top: 40, bottom: 50 };

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

/** Latency on a log scale (a pipeline past its knee is orders slower); ∞ (never applied) is drawn at the top. */
export function kneeChartSvg(title: string, curves: readonly Curve[], thresholdMs = 1000): string {
  const rates = curves.flatMap((c) => c.points.map((p) => p.rate));
  const finite = curves.flatMap((c) => c.points.flatMap((p) => [p.p50, p.p99])).filter((v) => Number.isFinite(v) && v > 0);
  const maxRate = Math.max(1, ...rates);
  const lo = Math.pow(10, Math.floor(Math.log10(Math.min(thresholdMs / 10, ...finite))));
  const hi = Math.pow(10, Math.ceil(Math.log10(Math.max(thresholdMs * 2, ...finite))));
  const pw = W - M.left - M.right;
  const ph = H - M.top - M.bottom;
  const x = (rate: number) => M.left + (rate / maxRate) * pw;
  const y = (ms: number) => (Number.isFinite(ms) ? M.top + ph - ((Math.log10(Math.max(ms, lo)) - Math.log10(lo)) / (Math.log10(hi) - Math.log10(lo))) * ph : M.top);
  const out: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="sans-serif" font-size="12">`,
    `<rect width="${W}" height="${H}" fill="#fff"/>`,
    `<text x="${M.left}" y="22" font-size="14" font-weight="bold">${esc(title)}</text>`,
  ];
  for (let v = lo; v <= hi; v *= 10) {
    out.push(`<line x1="${M.left}" x2="${M.left + pw}" y1="${y(v)}" y2="${y(v)}" stroke="#eee"/>`);
    out.push(`<text x="${M.left - 6}" y="${y(v) + 4}" text-anchor="end">${v >= 1000 ? `${v / 1000} s` : `${v} ms`}</text>`);
  }
  const step = maxRate <= 12 ? 1 : Math.ceil(maxRate / 12);
  for (let r = 0; r <= maxRate; r += step) {
    out.push(`<line x1="${x(r)}" x2="${x(r)}" y1="${M.top + ph}" y2="${M.top + ph + 4}" stroke="#333"/>`);
    out.push(`<text x="${x(r)}" y="${M.top + ph + 18}" text-anchor="middle">${r}</text>`);
  }
  out.push(`<line x1="${M.left}" x2="${M.left}" y1="${M.top}" y2="${M.top + ph}" stroke="#333"/>`);
  out.push(`<line x1="${M.left}" x2="${M.left + pw}" y1="${M.top + ph}" y2="${M.top + ph}" stroke="#333"/>`);
  out.push(`<text x="${M.left + pw / 2}" y="${H - 10}" text-anchor="middle">builds per second</text>`);
  out.push(`<text x="16" y="${M.top + ph / 2}" text-anchor="middle" transform="rotate(-90 16 ${M.top + ph / 2})">webhook → DeployConfig applied</text>`);
  out.push(`<line x1="${M.left}" x2="${M.left + pw}" y1="${y(thresholdMs)}" y2="${y(thresholdMs)}" stroke="#888" stroke-dasharray="6 4"/>`);
  out.push(`<text x="${M.left + pw - 4}" y="${y(thresholdMs) - 4}" text-anchor="end" fill="#666">p99 ≤ ${thresholdMs} ms (knee)</text>`);
  curves.forEach((c, i) => {
    const colour = COLOURS[i % COLOURS.length];
    for (const [key, dash] of [['p99', ''], ['p50', ' stroke-dasharray="3 3"']] as const) {
      const pts = c.points.map((p) => `${x(p.rate).toFixed(1)},${y(p[key]).toFixed(1)}`).join(' ');
      out.push(`<polyline points="${pts}" fill="none" stroke="${colour}" stroke-width="2"${dash}/>`);
      for (const p of c.points) out.push(`<circle cx="${x(p.rate).toFixed(1)}" cy="${y(p[key]).toFixed(1)}" r="3" fill="${Number.isFinite(p[key]) ? colour : '#fff'}" stroke="${colour}"/>`);
    }
    const ly = M.top + 10 + i * 44;
    const lx = M.left + pw + 16;
    out.push(`<line x1="${lx}" x2="${lx + 24}" y1="${ly}" y2="${ly}" stroke="${colour}" stroke-width="2"/><text x="${lx + 30}" y="${ly + 4}">${esc(c.name)} p99</text>`);
    out.push(`<line x1="${lx}" x2="${lx + 24}" y1="${ly + 16}" y2="${ly + 16}" stroke="${colour}" stroke-width="2" stroke-dasharray="3 3"/><text x="${lx + 30}" y="${ly + 20}">p50${c.knee !== undefined ? ` · knee ${c.knee}/s` : ' · no knee'}</text>`);
  });
  out.push(`<text x="${M.left + pw + 16}" y="${M.top + ph}" fill="#666">∞ = not applied, drawn at the top</text>`);
  out.push('</svg>');
  return `${out.join('\n')}\n`;
}
