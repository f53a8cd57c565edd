// A Sluice app started as a child process, as an operator would: `node … apps/<app>/src/main.ts`
// with its settings in the environment. Its log lines go to a file (printed on failure).
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, mkdirSync, openSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

export const ROOT = join(__dirname, '..', '..');


/**
 * V8 flags the image gives every service (the Dockerfile's NODE_OPTIONS; e2e/packaging/image.spec keeps the
 * two in step), given here to a compiled app so it runs as the image runs it. The young generation's
 * semi-spaces at 8 MB instead of the 16 MB V8 picks on a host with this much memory: the services'
 * peak RSS at the e2e knee 211 and 176 MB → 169 and 164 MB over two pairs of runs, own CPU per build
 * unchanged (128, 128 → 127, 131 ms).
 */
export const SERVICE_V8_FLAGS = ['--max-semi-space-size=8'] as const;

/** The runner's own variables that must not leak into the apps (node:test would take them over). */
const STRIPPED = ['NODE_TEST_CONTEXT', 'NODE_OPTIONS', 'NODE_ENV'];

export interface ServiceProcessOptions {
  readonly name: string;
  /**
   * Path of the entry point, relative to the repository root: a `.ts` file runs through
   * @swc-node/register; a `.js` file (compiled by scripts/build-dist.mjs) runs as the image runs it.
   */
  readonly main: string;
  readonly port: number;
  readonly env: Record<string, string>;
  readonly logFile: string;
}

export class ServiceProcess {
  private child: ChildProcess | null = null;
  private exited: Promise<number | null> = Promise.resolve(null);
  private starts = 0;

  constructor(readonly options: ServiceProcessOptions) {}

  get name(): string {
    return this.options.name;
  }

  get url(): string {
    return `http://127.0.0.1:${this.options.port}`;
  }

  get pid(): number | undefined {
    return this.child?.pid;
  }

  start(): void {
    if (this.child) throw new Error(`${this.name} is already running`);
    mkdirSync(dirname(this.options.logFile), { recursive: true });
    const fd = openSync(this.options.logFile, 'a');
    const env: Record<string, string> = {};
    for (const [k, v] of Object.entries(process.env)) if (v !== undefined && !STRIPPED.includes(k)) env[k] = v;
    Object.assign(env, { SWC_NODE_PROJECT: join(ROOT, 'tsconfig.base.json'), SLUICE_HOST: '127.0.0.1' }, this.options.env);
    this.starts += 1;
    // Compiled, it runs with the image's V8 flags; TypeScript, through the compiler.
    const runAs = this.options.main.endsWith('.js') ? [...SERVICE_V8_FLAGS] : ['--require', '@swc-node/register'];
    // Extra node flags for the services only, e.g. SLUICE_SERVICE_NODE_ARGS="--cpu-prof --cpu-prof-dir=/tmp/prof" to profile a run.
    const extra = (process.env.SLUICE_SERVICE_NODE_ARGS ?? '').split(' ').filter(Boolean);
    const child = spawn(process.execPath, [...extra, '--require', 'reflect-metadata', ...runAs, this.options.main], {
      cwd: ROOT,
      env,
      stdio: ['ignore', fd, fd],
    });
    closeSync(fd);
    this.child = child;
    this.exited = new Promise((resolve) => child.once('exit', (code, signal) => resolve(code ?? (signal ? -1 : null))));
    void this.exited.then(() => {
      if (this.child === child) this.child = null;
    });
  }

  /** Polls `/readyz` until it answers 200; fails early if the process exits. */
  async waitReady(timeoutMs = 120_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    let last = 'no answer';
    for (;;) {
      if (!this.child) throw new Error(`${this.name} exited before it was ready\n${this.logTail()}`);
      try {
        const res = await fetch(`${this.url}/readyz`, { signal: AbortSignal.timeout(5_000) });
        if (res.status === 200) return;
        last = `${res.status} ${await res.text()}`;
      } catch (error) {
        last = (error as Error).message;
      }
      if (Date.now() > deadline) throw new Error(`${this.name} not ready within ${timeoutMs} ms (last: ${last})\n${this.logTail()}`);
      await new Promise((r) => setTimeout(r, 250));
    }
  }

  /** SIGKILL: no shutdown hook runs, in-flight work is lost mid-way. */
  async kill9(): Promise<void> {
    const child = this.child;
    if (!child) return;
    child.kill('SIGKILL');
    await this.exited;
  }

  /** SIGTERM (graceful), SIGKILL after `graceMs`. */
  async stop(graceMs = 10_000): Promise<void> {
    const child = this.child;
    if (!child) return;
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
    await this.exited;
    clearTimeout(timer);
  }

  /** Resident set size in bytes (Linux /proc), or null when not running. */
  rssBytes(): number | null {
    if (!this.child?.pid) return null;
    try {
      const status = readFileSync(`/proc/${this.child.pid}/status`, 'utf8');
      const kb = /VmRSS:\s+(\d+)\s+kB/.exec(status)?.[1];
      return kb ? Number(kb) * 1024 : null;
    } catch {
      return null;
    }
  }

  logTail(lines = 40): string {
    try {
      const all = readFileSync(this.options.logFile, 'utf8').trimEnd().split('\n');
      return `--- last ${Math.min(lines, all.length)} lines of ${this.options.logFile} ---\n${all.slice(-lines).join('\n')}`;
    } catch {
      return `(no log at ${this.options.logFile})`;
    }
  }

  get startCount(): number {
    return this.starts;
  }
}
