// Summarises a V8 .cpuprofile (node --cpu-prof) by package and by function, self and inclusive
// time, to say where a benchmark's remaining time goes:
//   node --require @swc-node/register bench/support/cpu-profile-summary.ts <file.cpuprofile> [rows] [last-seconds]
// (last-seconds: only the profile's last seconds, e.g. an idle window after start-up)
import { readFileSync } from 'node:fs';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string };
  children?: number[];
}
interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

/** A frame's package (node_modules/<pkg>), Sluice library (libs/<lib>), Node module, or V8 pseudo-frame. */
function placeOf(node: ProfileNode): string {
  const url = node.callFrame.url;
  const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (pkg) return pkg[1]!;
  if (url.includes('/libs/')) return `libs/${url.split('/libs/')[1]!.split('/')[0]}`;
  if (url) return url.startsWith('node:') ? url : url.split('/').slice(-2).join('/');
  return node.callFrame.functionName || '(native)';
}

export function summariseCpuProfile(profile: CpuProfile, rows = 15, lastSeconds = Infinity): string {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const self = new Map<string, number>();
  const selfFn = new Map<string, number>();
  const inclusive = new Map<string, number>();
  let total = 0;
  let busy = 0;
  const span = profile.timeDeltas.reduce((sum, dt) => sum + dt, 0);
  let at = 0;
  const add = (m: Map<string, number>, k: string, v: number) => m.set(k, (m.get(k) ?? 0) + v);
  profile.samples.forEach((id, i) => {
    const dt = profile.timeDeltas[i] ?? 0;
    at += dt;
    if (span - at > lastSeconds * 1e6) return;
    total += dt;
    const leaf = byId.get(id)!;
    if (leaf.callFrame.functionName !== '(idle)') busy += dt;
    add(self, placeOf(leaf), dt);
    add(selfFn, `${leaf.callFrame.functionName || '(anonymous)'} [${placeOf(leaf)}]`, dt);
    const seen = new Set<string>();
    for (let at: number | undefined = id; at !== undefined; at = parent.get(at)) {
      const place = placeOf(byId.get(at)!);
      if (!seen.has(place)) add(inclusive, place, dt);
      seen.add(place);
    }
  });
  const top = (m: Map<string, number>) =>
    [...m]
      .sort((a, b) => b[1] - a[1])
      .slice(0, rows)
      .map(([k, v]) => `  ${((v / total) * 100).toFixed(1).padStart(5)}%  ${k}`);
  return [`${(total / 1e6).toFixed(1)} s sampled, ${(busy / 1e3).toFixed(0)} ms not idle`, 'self, by package:', ...top(self), 'inclusive, by package:', ...top(inclusive), 'self, by function:', ...top(selfFn)].join('\n');
}

if (require.main === module) {
  const [file, rows, last] = process.argv.slice(2);
  if (!file) throw new Error('usage: cpu-profile-summary.ts <file.cpuprofile> [rows] [last-seconds]');
  process.stdout.write(`${summariseCpuProfile(JSON.parse(readFileSync(file, 'utf8')) as CpuProfile, Number(rows) || 15, Number(last) || Infinity)}\n`);
}
