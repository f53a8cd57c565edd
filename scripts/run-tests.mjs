#!/usr/bin/env node
// Finds the test files and runs them with node's test runner through SWC (decorator
// metadata for NestJS; require(esm) for ESM-only dependencies). The infrastructure
// (PostgreSQL, Kafka, kube-apiserver) is started by infra/test.sh before this runs.
import { spawnSync } from 'node:child_process';
import { mkdirSync, readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { testRunnerArgs } from './test-runner-args.cjs';

const root = new URL('..', import.meta.url).pathname;
const args = process.argv.slice(2);
const unitOnly = args.includes('--unit');
// `npm run drills`: also the long drills (`*.drill-spec.ts`: they restart a Kafka node of their own, too slow and load-sensitive for `npm test`).
const drills = args.includes('--drills');
const filters = args.filter((a) => !a.startsWith('--'));
const roots = ['apps', 'libs', 'e2e', 'scripts'];

function walk(dir, out) {
  let entries;
  try { entries = readdirSync(dir); } catch { return out; }
  for (const name of entries) {
    if (name === 'node_modules' || name.startsWith('.')) continue;
    const path = join(dir, name);
    if (statSync(path).isDirectory()) walk(path, out);
    else if (/\.(spec|int-spec|e2e-spec)\.ts$/.test(name) || (drills && name.endsWith('.drill-spec.ts'))) out.push(relative(root, path));
  }
  return out;
}

let files = roots.flatMap((r) => walk(join(root, r), [])).sort();
if (unitOnly) files = files.filter((f) => f.endsWith('.spec.ts') && !f.endsWith('.int-spec.ts') && !f.endsWith('.e2e-spec.ts'));
if (filters.length) files = files.filter((f) => filters.some((x) => f.includes(x)));
if (files.length === 0) {
  console.error('run-tests: no test files matched');
  process.exit(1);
}

const runDir = process.env.SLUICE_TEST_RUN_DIR ?? join(root, '.sluice-test', 'run');
mkdirSync(runDir, { recursive: true });
const concurrency = process.env.SLUICE_TEST_CONCURRENCY ?? '3';
// A run must end on its own (CI has no one to press ctrl-c): a file whose tests are done but that
// leaks a handle (an open pool, a consumer, a timer) is ended, and a single test that hangs fails
// after this long instead of holding the whole run.
const testTimeoutMs = process.env.SLUICE_TEST_TIMEOUT_MS ?? '600000';
const result = spawnSync(
  process.execPath,
  [
    ...testRunnerArgs({ concurrency, testTimeoutMs }),
    '--test-reporter=spec', '--test-reporter-destination=stdout',
    ...files,
  ],
  {
    stdio: 'inherit',
    cwd: root,
    // LOG_LEVEL warn unless set: a test file's stdout is the channel its results travel to the runner on, and a flood
    // of info lines (1,000 webhook deliveries) once ended a CI run without its summary (nodejs/node#66164: the parent
    // parses child stdout as frames). Services started as processes by the e2e tests log to their own files.
    env: { ...process.env, NODE_ENV: 'test', LOG_LEVEL: process.env.LOG_LEVEL ?? 'warn', SWC_NODE_PROJECT: join(root, 'tsconfig.base.json') },
  },
);
process.exit(result.status ?? 1);
