// Issue 16, "first run with nothing to configure": the command `npm start` runs (the
// `start` script of package.json), in an environment holding only PATH and HOME — plus
// SLUICE_DATA_DIR and SLUICE_PORT, so that the run uses a fresh directory and a free port
// instead of the checkout's .sluice and 8080 — serves, with the admin token and the webhook
// secret generated before it answers, and stops on SIGTERM with one log line.
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { examplePayload, githubWebhookRequest } from '@sluice/fake-scm';
import { freePort, uniqueName } from '@sluice/testing';
import { ROOT } from './support/process';

const START_SCRIPT = (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { scripts: { start: string } }).scripts.start;

interface Run {
  readonly child: ChildProcess;
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  output(): string;
}

function npmStart(dataDir: string, port: number): Run {
  const child = spawn('sh', ['-c', `exec ${START_SCRIPT}`], {
    cwd: ROOT,
    env: { PATH: process.env['PATH'] ?? '/usr/bin:/bin', HOME: process.env['HOME'] ?? '/root', SLUICE_DATA_DIR: dataDir, SLUICE_PORT: String(port) },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
  return { child, exited, output: () => out };
}

/** Waits for the first HTTP answer of any status: the moment a user's next command could run. */
async function firstAnswer(url: string, run: Run, timeoutMs = 180_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (run.child.exitCode !== null) throw new Error(`npm start exited (${run.child.exitCode})\n${run.output()}`);
    try {
      await fetch(`${url}/healthz`, { signal: AbortSignal.timeout(2_000) });
      return;
    } catch {
      if (Date.now() > deadline) throw new Error(`npm start did not answer within ${timeoutMs} ms\n${run.output()}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }
}

async function waitReady(url: string, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while ((await fetch(`${url}/readyz`).then((r) => r.status, () => 0)) !== 200) {
    if (Date.now() > deadline) throw new Error('not ready');
    await new Promise((r) => setTimeout(r, 200));
  }
}

describe('npm start with nothing configured', { timeout: 420_000 }, () => {
  const dataDir = join(ROOT, '.sluice-test', 'e2e', uniqueName('first-run'), 'data');
  let url: string;
  let run: Run;

  before(async () => {
    mkdirSync(join(dataDir, '..'), { recursive: true });
    const port = await freePort();
    url = `http://127.0.0.1:${port}`;
    run = npmStart(dataDir, port);
    await firstAnswer(url, run);
  });

  after(async () => {
    if (run?.child.exitCode === null) {
      run.child.kill('SIGKILL');
      await run.exited;
    }
  });

  it('has written the admin token and a webhook secret (0600, strong) before it answers, and logged where', () => {
    for (const [file, minLength] of [['admin-token', 32], ['webhook-secret', 20]] as const) {
      const path = join(dataDir, file);
      assert.ok(existsSync(path), `${file} exists when the server first answers`);
      assert.equal(statSync(path).mode & 0o777, 0o600, `${file} is readable by its owner only`);
      const value = readFileSync(path, 'utf8').trim();
      assert.ok(value.length >= minLength && !/^(.)\1*$/.test(value), `${file} meets the minimum strength`);
      assert.ok(run.output().includes(path), `the log names ${path}`);
      assert.ok(!run.output().includes(value), `the log never carries the ${file} itself`);
    }
  });

  it('serves: the admin token is accepted, and webhooks signed with the generated secret (only) are', async () => {
    await waitReady(url);
    const token = readFileSync(join(dataDir, 'admin-token'), 'utf8').trim();
    const configs = await fetch(`${url}/api/configs`, { headers: { authorization: `Bearer ${token}` } });
    assert.equal(configs.status, 200);
    const secret = readFileSync(join(dataDir, 'webhook-secret'), 'utf8').trim();
    const post = (withSecret: string) => {
      const req = githubWebhookRequest({ event: 'ping', payload: examplePayload('ping'), secret: withSecret });
      return fetch(`${url}/webhooks/github`, { method: 'POST', headers: req.headers, body: req.body });
    };
    assert.equal((await post(secret)).status, 202);
    assert.equal((await post('some-other-webhook-secret-0123456789')).status, 401);
  });

  it('stops on SIGTERM with exit 0 and exactly one log line, and a second start keeps both secrets', async () => {
    const token = readFileSync(join(dataDir, 'admin-token'), 'utf8');
    const secret = readFileSync(join(dataDir, 'webhook-secret'), 'utf8');
    const signalled = Date.now();
    run.child.kill('SIGTERM');
    const { code } = await run.exited;
    assert.equal(code, 0);
    assert.ok(Date.now() - signalled < 10_000);
    const stopped = run.output().split('\n').filter((line) => line.includes('"msg":"Sluice stopped"'));
    assert.equal(stopped.length, 1, run.output().split('\n').slice(-5).join('\n'));

    const port = await freePort();
    url = `http://127.0.0.1:${port}`;
    run = npmStart(dataDir, port);
    await firstAnswer(url, run);
    assert.equal(readFileSync(join(dataDir, 'admin-token'), 'utf8'), token);
    assert.equal(readFileSync(join(dataDir, 'webhook-secret'), 'utf8'), secret);
    run.child.kill('SIGTERM');
    assert.equal((await run.exited).code, 0);
  });
});
