// CPU accounting for benches, from Linux's /proc (ticks of 10 ms).
import { readdirSync, readFileSync } from 'node:fs';

function statFields(path: string): string[] {
  return readFileSync(path, 'utf8').split(') ')[1]!.split(' ');
}

/**
 * CPU seconds (user + system) a process has used so far; with `children`, also that of
 * its children that have exited (PostgreSQL's ended backends).
 */
export function cpuSeconds(pid: number | undefined, children = false): number {
  if (!pid) return 0;
  try {
    const fields = statFields(`/proc/${pid}/stat`);
    const own = Number(fields[11]) + Number(fields[12]);
    return (children ? own + Number(fields[13]) + Number(fields[14]) : own) / 100;
  } catch {
    return 0;
  }
}

/** CPU seconds of this process's main thread (its event loop), without worker and helper threads. */
export function mainThreadCpuSeconds(): number {
  const fields = statFields(`/proc/self/task/${process.pid}/stat`);
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

/** The infrastructure's processes by their command name (every PostgreSQL backend summed). */
const INFRA: Record<string, string> = { postgres: 'postgres', java: 'kafka', 'kube-apiserver': 'kube-apiserver', etcd: 'etcd' };

export function infraCpu(): Record<string, number> {
  const out: Record<string, number> = Object.fromEntries(Object.values(INFRA).map((name) => [name, 0]));
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    let comm: string;
    try {
      comm = readFileSync(`/proc/${entry}/comm`, 'utf8').trim();
    } catch {
      continue;
    }
    const name = INFRA[comm];
    if (name) out[name]! += cpuSeconds(Number(entry), true);
  }
  return out;
}

/** Busy CPU seconds of the whole machine (all cores), from /proc/stat. */
export function machineBusySeconds(): number {
  const [, ...ticks] = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).map(Number);
  const idle = ticks[3]! + ticks[4]!;
  return (ticks.reduce((a, b) => a + b, 0) - idle) / 100;
}
