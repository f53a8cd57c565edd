// Builds the web dashboard (apps/dashboard → apps/dashboard/dist, served by the all-in-one at /)
// unless the build is newer than its sources, its build settings and the installed packages.
// `npm start` runs it first (prestart), so a first run serves the dashboard with no setup; the
// dashboard's e2e runs it too. Without the build tool (an install without dev dependencies) it
// says so and leaves / to explain how to build.
//   node scripts/build-dashboard.mjs [--force]
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const DASHBOARD = join(ROOT, 'apps', 'dashboard');
const VITE = join(ROOT, 'node_modules', 'vite', 'bin', 'vite.js');

/** Built after its last change. */
export function dashboardUpToDate() {
  const built = statSync(join(DASHBOARD, 'dist', 'index.html'), { throwIfNoEntry: false })?.mtimeMs;
  if (built === undefined) return false;
  const sources = [join(DASHBOARD, 'index.html'), join(DASHBOARD, 'vite.config.mts'), join(ROOT, 'package-lock.json')];
  for (const entry of readdirSync(join(DASHBOARD, 'src'), { recursive: true, withFileTypes: true })) {
    if (entry.isFile()) sources.push(join(entry.parentPath, entry.name));
  }
  return sources.every((f) => statSync(f).mtimeMs < built);
}

/** Builds unless up to date; returns what happened, or throws with the build's output. */
export function buildDashboard({ force = false } = {}) {
  if (!force && dashboardUpToDate()) return 'up to date';
  if (!existsSync(VITE)) return 'not built: vite is not installed (npm ci installs it)';
  const build = spawnSync(process.execPath, [VITE, 'build', '--config', 'apps/dashboard/vite.config.mts', '--logLevel', 'warn'], { cwd: ROOT, encoding: 'utf8' });
  if (build.status !== 0) throw new Error(`vite build failed:\n${build.stdout}\n${build.stderr}`);
  return 'built';
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  try {
    process.stderr.write(`dashboard: ${buildDashboard({ force: process.argv.includes('--force') })}\n`);
  } catch (error) {
    process.stderr.write(`${error.message}\n`);
    process.exit(1);
  }
}
