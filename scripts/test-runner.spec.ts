import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const { testRunnerArgs } = require('./test-runner-args.cjs') as { testRunnerArgs: (o: { concurrency: string; testTimeoutMs: string }) => string[] };

/**
 * `npm test` counts every test that ran. Node's runner with `--test-force-exit` and files in parallel
 * loses the last results of a file when the file's process exits with them still buffered on its stdout
 * pipe, and still exits 0 (nodejs/node#64833); the runner's arguments preload blocking stdout writes.
 * Many files of many long-named tests make that loss likely on every run without the preload.
 */
const FILES = 8;
const TESTS = 200;

describe("the test runner's arguments (scripts/run-tests.mjs)", { timeout: 120_000 }, () => {
  let dir: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'sluice-runner-'));
    for (let f = 0; f < FILES; f++) {
      writeFileSync(join(dir, `f${f}.test.js`), `const { test } = require('node:test');\nfor (let i = 0; i < ${TESTS}; i++) test('t' + i + ' ' + 'x'.repeat(2000), () => {});\n`);
    }
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('report every test of every file, three runs out of three, with files run in parallel and force-exit on', () => {
    const files = Array.from({ length: FILES }, (_, f) => join(dir, `f${f}.test.js`));
    for (let run = 1; run <= 3; run++) {
      const result = spawnSync(process.execPath, [...testRunnerArgs({ concurrency: '3', testTimeoutMs: '60000' }), '--test-reporter=tap', ...files], {
        cwd: join(__dirname, '..'),
        encoding: 'utf8',
        // Not NODE_TEST_CONTEXT: with it, the runner inside this test file would report to this one as a child.
        env: { ...Object.fromEntries(Object.entries(process.env).filter(([k]) => k !== 'NODE_TEST_CONTEXT')), NODE_OPTIONS: '' },
        maxBuffer: 64 * 1024 * 1024,
      });
      assert.equal(result.status, 0, result.stderr);
      assert.match(result.stdout, new RegExp(`^# tests ${FILES * TESTS}$`, 'm'), `run ${run}: ${/^# tests \d+$/m.exec(result.stdout)?.[0] ?? 'no summary'}`);
      assert.match(result.stdout, new RegExp(`^# pass ${FILES * TESTS}$`, 'm'));
    }
  });
});
