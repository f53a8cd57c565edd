// Issue 16: the README's "Five-minute walkthrough" runs by copy and paste. Its fenced sh
// block is taken from README.md as written and run with bash (-e: a command that fails
// stops it) at the checkout's root, in an environment of PATH and a fresh HOME plus the
// three variables the README names (SLUICE_PORT, DEMO_GITHUB_PORT, SLUICE_DATA_DIR: free
// ports and a fresh directory); then its output is checked for each step's outcome.
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { freePort, uniqueName } from '@sluice/testing';
import { ROOT } from './support/process';

/** The first ```sh block of the README section `title`, exactly as written. */
function readmeBlock(title: string): string {
  const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
  const section = readme.slice(readme.indexOf(`## ${title}\n`));
  const body = section.slice(section.indexOf('\n') + 1).split(/\n## /)[0];
  const block = /```sh\n([\s\S]*?)\n```/.exec(body)?.[1];
  if (!block) throw new Error(`README.md: no sh block in "${title}"`);
  return block;
}

describe('README: the five-minute walkthrough, run as written', { timeout: 600_000 }, () => {
  const runDir = join(ROOT, '.sluice-test', 'e2e', uniqueName('walkthrough'));
  let groupId: number | undefined;

  after(async () => {
    if (groupId === undefined) return;
    // The block leaves the fake GitHub and Sluice running in the background (its own process group).
    try {
      process.kill(-groupId, 'SIGTERM');
    } catch {
      return;
    }
    await new Promise((r) => setTimeout(r, 10_000));
    try {
      process.kill(-groupId, 'SIGKILL');
    } catch {
      // already gone
    }
  });

  it('discovers the config, deploys, writes the commit status, rolls back with a pin, and shows the 403', async () => {
    const script = readmeBlock('Five-minute walkthrough');
    const home = join(runDir, 'home');
    mkdirSync(home, { recursive: true });
    const env = {
      PATH: process.env['PATH'] ?? '/usr/bin:/bin',
      HOME: home,
      SLUICE_PORT: String(await freePort()),
      DEMO_GITHUB_PORT: String(await freePort()),
      SLUICE_DATA_DIR: join(runDir, 'data'),
    };
    const child = spawn('bash', ['-e', '-c', script], { cwd: ROOT, env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
    groupId = child.pid;
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    const code = await new Promise<number | null>((resolve) => child.once('exit', (c) => resolve(c)));
    const log = () => `--- walkthrough output ---\n${out}\n--- sluice.log (tail) ---\n${tail(join(env.SLUICE_DATA_DIR, 'sluice.log'))}`;
    assert.equal(code, 0, log());

    const demo = readFileSync(join(env.SLUICE_DATA_DIR, 'demo-github.env'), 'utf8');
    const sha = (name: string) => new RegExp(`${name}=([0-9a-f]{40})`).exec(demo)?.[1] ?? assert.fail(`${name} in ${demo}`);
    const [configSha, s1] = [sha('CONFIG_SHA'), sha('S1')];
    assert.match(out, new RegExp(`"name":"billing-api"`), 'step 3: the config is discovered');
    assert.ok(out.includes(configSha), 'step 3: at the config commit');
    assert.ok(out.includes(`ghcr.io/acme/billing:main-${s1.slice(0, 7)}`), `step 4: the rendered manifests carry the image of S1\n${log()}`);
    assert.match(out, /sluice\/billing-api: success/, 'step 4: the commit status on S1');
    assert.match(out, new RegExp(`"current":\\{"artifactSha":"${s1}"`), 'step 5: back on S1');
    assert.match(out, /"pin":\{"by"/, 'step 5: and pinned');
    assert.match(out, /payments reads billing-api: 200/, 'step 6: its own team reads it');
    assert.match(out, /shipping reads billing-api: 403/, "step 6: another team's token gets 403");
    assert.match(out, /logged in to http:\/\/127\.0\.0\.1:\d+: 1 configs visible/, 'step 7: the CLI logs in');
    assert.match(out, /NAME\s+TEAM\s+NAMESPACE\s+PHASE[^\n]*\n\s*billing-api\s+payments/, 'step 7: the CLI lists the config');
    assert.match(out, new RegExp(`billing-api at artifact ${s1.slice(0, 7)}, config [0-9a-f]{7}: deploy \\S+\\n(.*\\n)*?\\S+: succeeded`), 'step 7: the CLI deploys S1 and waits for it');
    assert.match(out, /WHEN\s+EVENT\s+DEPLOY\s+BY\s+WHY/, 'step 7: the CLI shows the history');
  });

  it('send-webhook --help prints its usage', () => {
    const help = spawnSync(process.execPath, ['--require', '@swc-node/register', 'scripts/send-webhook.ts', '--help'], { cwd: ROOT, encoding: 'utf8' });
    assert.equal(help.status, 0, help.stderr);
    assert.match(help.stdout, /^usage: .*send-webhook\.ts <push\|build>/);
    assert.match(help.stdout, /--secret/);
  });
});

function tail(file: string, lines = 30): string {
  try {
    return readFileSync(file, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return '(none)';
  }
}
