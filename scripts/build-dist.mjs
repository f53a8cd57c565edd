#!/usr/bin/env node
// Compiles the services (apps/ and the libraries they use) from TypeScript to CommonJS in
// dist/ through the very pipeline the tests run under — @swc-node/register's reading of
// tsconfig.base.json and @swc-node/core's SWC options (decorator metadata for NestJS, class
// fields, interop) — with the `@sluice/*` path aliases rewritten to relative requires, so that
// the production image runs plain `node dist/apps/<service>/src/main.js` — no compiler, no
// dev dependencies at run time. Test files and test-only folders are left out. The web dashboard
// is built (scripts/build-dashboard.mjs) and copied beside them.
//
//   node scripts/build-dist.mjs [--out dist]
import { cpSync, readdirSync, readFileSync, mkdirSync, writeFileSync, rmSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { createRequire } from 'node:module';
import { buildDashboard } from './build-dashboard.mjs';

const require = createRequire(import.meta.url);
const { readDefaultTsConfig, tsCompilerOptionsToSwcConfig } = require('@swc-node/register/read-default-tsconfig');
const { transformSync } = require('@swc-node/core');

const root = resolve(new URL('..', import.meta.url).pathname);
const outArg = process.argv.indexOf('--out');
const outDir = resolve(root, outArg >= 0 ? process.argv[outArg + 1] : 'dist');

const compilerOptions = readDefaultTsConfig(join(root, 'tsconfig.base.json'));

/** Not part of a running service: tests, test helpers (testing/, test/, test-support.ts), fakes, fixtures. */
const SKIP_DIRS = new Set(['node_modules', 'testing', 'test', 'fixtures', 'scripts']);
const SKIP_LIBS = new Set(['testing', 'fake-scm']);
const isTest = (name) => /\.(spec|int-spec|e2e-spec)\.ts$/.test(name) || name === 'test-support.ts' || name.endsWith('.d.ts');

function walk(dir, out) {
  for (const name of readdirSync(dir)) {
    if (name.startsWith('.')) continue;
    const path = join(dir, name);
    if (statSync(path).isDirectory()) {
      if (!SKIP_DIRS.has(name)) walk(path, out);
    } else if (name.endsWith('.ts') && !isTest(name)) {
      out.push(path);
    }
  }
  return out;
}

const sources = [
  ...walk(join(root, 'apps'), []),
  ...readdirSync(join(root, 'libs'))
    .filter((lib) => !SKIP_LIBS.has(lib))
    .flatMap((lib) => walk(join(root, 'libs', lib, 'src'), [])),
];

rmSync(outDir, { recursive: true, force: true });
for (const file of sources) {
  const rel = relative(root, file);
  const target = join(outDir, rel.replace(/\.ts$/, '.js'));
  const options = tsCompilerOptionsToSwcConfig(compilerOptions, file);
  const { code, map } = transformSync(readFileSync(file, 'utf8'), file, {
    ...options,
    sourcemap: true,
    swc: { ...options.swc, outputPath: target },
  });
  mkdirSync(dirname(target), { recursive: true });
  writeFileSync(target, `${code}\n//# sourceMappingURL=${target.split('/').pop()}.map\n`);
  if (map) writeFileSync(`${target}.map`, map);
}
// The web dashboard, where the compiled all-in-one looks for it (libs/dashboard-server/src/dashboard.ts).
const dashboard = buildDashboard();
if (dashboard !== 'up to date' && dashboard !== 'built') throw new Error(`build-dist: the dashboard is ${dashboard}`);
cpSync(join(root, 'apps', 'dashboard', 'dist'), join(outDir, 'apps', 'dashboard', 'dist'), { recursive: true });
process.stdout.write(`build-dist: ${sources.length} files and the dashboard → ${relative(root, outDir) || '.'}\n`);
