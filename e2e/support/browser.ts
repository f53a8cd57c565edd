// The dashboard built unless it is up to date (scripts/build-dashboard.mjs, as `npm start` does)
// and Debian's Chromium (infra/chromium.sh), for the end-to-end files that drive the dashboard.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { chromium, type Browser } from 'playwright-core';
import { ROOT } from './process';

/** Builds the dashboard if its sources changed and launches headless Chromium. */
export async function dashboardBrowser(): Promise<Browser> {
  const build = spawnSync(process.execPath, [join(ROOT, 'scripts', 'build-dashboard.mjs')], { cwd: ROOT, encoding: 'utf8' });
  assert.equal(build.status, 0, `scripts/build-dashboard.mjs failed:\n${build.stderr}`);
  assert.match(build.stderr, /^dashboard: (built|up to date)$/m, 'the dashboard is built');
  const install = spawnSync('bash', [join(ROOT, 'infra', 'chromium.sh'), 'install'], { cwd: ROOT, encoding: 'utf8' });
  assert.equal(install.status, 0, `infra/chromium.sh install failed:\n${install.stderr}`);
  const executablePath = spawnSync('bash', [join(ROOT, 'infra', 'chromium.sh'), 'path'], { encoding: 'utf8' }).stdout.trim();
  // Chromium's sandbox cannot start as root (a container); elsewhere it stays on.
  const root = process.getuid?.() === 0;
  return chromium.launch({ executablePath, headless: true, args: [...(root ? ['--no-sandbox'] : []), '--disable-dev-shm-usage'] });
}
