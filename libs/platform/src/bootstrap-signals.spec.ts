import assert from 'node:assert/strict';
import { fork } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';

/**
 * A service closes on SIGTERM and SIGINT only: SIGUSR2, which an operator sends for a heap snapshot
 * (`node --heapsnapshot-signal=SIGUSR2`), leaves it serving. A real process, real signals.
 */
describe('the signals a service closes on (a service in its own process)', { timeout: 60_000 }, () => {
  let dir: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'sluice-signals-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  const start = async () => {
    const child = fork(join(__dirname, 'testing-signals.fixture.ts'), [], {
      execArgv: ['--require', 'reflect-metadata', '--require', '@swc-node/register', '--heapsnapshot-signal=SIGUSR2', `--diagnostic-dir=${dir}`],
      env: { ...process.env, SLUICE_DATA_DIR: dir },
      stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
    });
    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
    const closed = new Promise<string | null>((resolve) => child.on('message', (m: { closed?: string | null }) => m.closed !== undefined && resolve(m.closed)));
    const port = await Promise.race([
      new Promise<number>((resolve) => child.once('message', (m: { port: number }) => resolve(m.port))),
      exited.then((e) => Promise.reject(new Error(`the service exited before it listened: ${JSON.stringify(e)}`))),
    ]);
    return { child, exited, closed, url: `http://127.0.0.1:${port}` };
  };

  it('writes a heap snapshot on SIGUSR2 and goes on serving; SIGTERM then closes it', async () => {
    const service = await start();
    assert.equal((await fetch(`${service.url}/healthz`)).status, 200);
    service.child.kill('SIGUSR2');
    const snapshot = () => readdirSync(dir).find((f) => f.endsWith('.heapsnapshot'));
    const deadline = Date.now() + 30_000;
    let written: string | undefined;
    // Written in full once its size stops changing between two looks.
    for (let last = -1; Date.now() < deadline; await new Promise((r) => setTimeout(r, 200))) {
      written = snapshot();
      if (!written) continue;
      const size = statSync(join(dir, written)).size;
      if (size > 0 && size === last) break;
      last = size;
    }
    assert.ok(written, 'a heap snapshot was written');
    assert.equal((await fetch(`${service.url}/healthz`)).status, 200, 'still serving after SIGUSR2');
    assert.equal(service.child.exitCode, null);
    service.child.kill('SIGTERM');
    assert.equal(await service.closed, 'SIGTERM', 'closed its parts (shutdown hooks ran)');
    // Closed, Nest raises the signal again: the process ends by it, as its supervisor expects.
    assert.deepEqual(await service.exited, { code: null, signal: 'SIGTERM' });
  });

  it('SIGINT closes it too', async () => {
    const service = await start();
    service.child.kill('SIGINT');
    assert.equal(await service.closed, 'SIGINT');
    assert.deepEqual(await service.exited, { code: null, signal: 'SIGINT' });
  });
});
