// The `sluice` CLI as a user runs it: `apps/cli/src/main.ts` (the package's bin) started
// through its shebang, from the checkout's root, with a HOME of the test's own.
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { join } from 'node:path';
import { ROOT } from './process';

export interface CliRun {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

export interface CliOptions {
  readonly home: string;
  readonly url: string;
  readonly stdin?: string;
  readonly env?: Record<string, string>;
}

/** A running CLI process: its output so far, and its end. */
export interface CliProcess {
  readonly child: ChildProcessWithoutNullStreams;
  stderrSoFar(): string;
  readonly done: Promise<CliRun>;
}

export function startCli(args: readonly string[], options: CliOptions): CliProcess {
  const child = spawn(join(ROOT, 'apps/cli/src/main.ts'), args, {
    cwd: ROOT,
    env: { PATH: process.env['PATH'] ?? '/usr/bin:/bin', HOME: options.home, SLUICE_URL: options.url, SWC_NODE_PROJECT: join(ROOT, 'tsconfig.base.json'), ...options.env },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const done = new Promise<CliRun>((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (code) => resolve({ code, stdout, stderr }));
  });
  child.stdin.end(options.stdin ?? '');
  return { child, stderrSoFar: () => stderr, done };
}

export function runCli(args: readonly string[], options: CliOptions): Promise<CliRun> {
  return startCli(args, options).done;
}
