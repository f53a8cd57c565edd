// Issues 16 and 18: the README's walkthroughs run by copy and paste. Each fenced sh block is
// taken from README.md as written and run with bash (-e: a command that fails stops it) at the
// checkout's root, in an environment of PATH and a fresh HOME plus the three variables the
// README names (SLUICE_PORT, DEMO_GITHUB_PORT, SLUICE_DATA_DIR: free ports and a fresh
// directory); then its output is checked for each step's outcome.
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

interface Walkthrough {
  /** Runs the section's block; its exit code, its output, and its data directory. */
  run(): Promise<{ code: number | null; out: string; dataDir: string; log: () => string }>;
}

/**
 * A README walkthrough run as a user runs it. It leaves its servers running in the background (its
 * own process group), stopped after the suite.
 */
function walkthrough(title: string, name: string): Walkthrough {
  const runDir = join(ROOT, '.sluice-test', 'e2e', uniqueName(name));
  let groupId: number | undefined;
  after(async () => {
    if (groupId === undefined) return;
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
  return {
    async run() {
      const home = join(runDir, 'home');
      mkdirSync(home, { recursive: true });
      const env = {
        PATH: process.env['PATH'] ?? '/usr/bin:/bin',
        HOME: home,
        SLUICE_PORT: String(await freePort()),
        DEMO_GITHUB_PORT: String(await freePort()),
        SLUICE_DATA_DIR: join(runDir, 'data'),
      };
      const child = spawn('bash', ['-e', '-c', readmeBlock(title)], { cwd: ROOT, env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
      groupId = child.pid;
      let out = '';
      child.stdout.on('data', (d: Buffer) => (out += d.toString()));
      child.stderr.on('data', (d: Buffer) => (out += d.toString()));
      const code = await new Promise<number | null>((resolve) => child.once('exit', (c) => resolve(c)));
      const log = () => `--- walkthrough output ---\n${out}\n--- sluice.log (tail) ---\n${tail(join(env.SLUICE_DATA_DIR, 'sluice.log'))}`;
      return { code, out, dataDir: env.SLUICE_DATA_DIR, log };
    },
  };
}

/** The 40-hex value of `name` in a demo's export lines. */
function exported(dataDir: string, file: string, name: string): string {
  const text = readFileSync(join(dataDir, file), 'utf8');
  return new RegExp(`${name}=([0-9a-f]{40})`).exec(text)?.[1] ?? assert.fail(`${name} in ${text}`);
}

describe('README: the five-minute walkthrough, run as written', { timeout: 600_000 }, () => {
  const five = walkthrough('Five-minute walkthrough', 'walkthrough');

  it('discovers the config, deploys, writes the commit status, rolls back with a pin, and shows the 403', async () => {
    const { code, out, dataDir, log } = await five.run();
    assert.equal(code, 0, log());
    const [configSha, s1] = [exported(dataDir, 'demo-github.env', 'CONFIG_SHA'), exported(dataDir, 'demo-github.env', 'S1')];
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
    assert.match(out, /<title>Sluice<\/title>/, 'step 8: npm start built and serves the dashboard');
  });

  it('send-webhook --help prints its usage', () => {
    const help = spawnSync(process.execPath, ['--require', '@swc-node/register', 'scripts/send-webhook.ts', '--help'], { cwd: ROOT, encoding: 'utf8' });
    assert.equal(help.status, 0, help.stderr);
    assert.match(help.stdout, /^usage: .*send-webhook\.ts <push\|build>/);
    assert.match(help.stdout, /--secret/);
  });
});

describe('README: the chat-ops and GitOps walkthrough with the fakes, run as written', { timeout: 600_000 }, () => {
  const chat = walkthrough('Walkthrough: chat-ops and GitOps with the fakes', 'walkthrough-gitops');

  it('/deploy from Slack commits the tag to the GitOps repository, its push syncs Argo CD, the one message ends healthy; status answers Alice alone; an unmapped user is refused', async () => {
    const { code, out, dataDir, log } = await chat.run();
    assert.equal(code, 0, log());
    const s2 = exported(dataDir, 'demo.env', 'S2');
    const tag = `main-${s2.slice(0, 7)}`;
    assert.match(out, /200 \{"response_type":"ephemeral","text":"Working on `\/deploy billing-api main`…"\}/, 'step 4: Slack has its answer at once');
    assert.match(out, new RegExp(`deploy billing-api: image\\.tag = ${tag}\\n(.*\\n)*?Sluice-Deploy-Id: \\S+`), 'step 4: the commit message, with the trailer');
    assert.ok(out.includes(`  tag: ${tag} # Sluice writes this`), 'step 4: only the tag changed, the comment kept');
    assert.match(out, /status: 'Synced'/, 'step 5: Argo CD synced');
    assert.match(out, /requestedBy: 'slack:T0SLUICE01\/U0ALICE01'/, 'step 5: the deploy is Alice’s');
    assert.match(out, /phase: 'succeeded'/, 'step 5: and it succeeded');
    assert.match(out, new RegExp(`#C0DEPLOYS1 message \\S+ \\(edited \\d+×\\):\\n  Deploy of billing-api \\(${tag}\\): healthy\\n  \\[Roll back\\]`), 'step 5: one message, healthy, with the button');
    assert.equal((readFileSync(join(dataDir, 'slack.txt'), 'utf8').match(/#C0DEPLOYS1 message/g) ?? []).length, 1, 'never two messages for one deploy');
    assert.match(out, new RegExp(`only U0ALICE01 sees, in #C0DEPLOYS1:\\n  \`billing-api\` \\(team payments\\): \`${tag}\` — healthy`), 'step 6: the status, to Alice alone');
    assert.match(out, /You are not mapped to a Sluice team/, 'step 6: the unmapped user is refused');
    assert.match(tail(join(dataDir, 'sluice.log'), 400), /GitOps push arrived: Argo CD syncs it/, 'the push webhook, not the wait, made Argo sync');
  });

  it('send-slack --help prints its usage', () => {
    const help = spawnSync(process.execPath, ['--require', '@swc-node/register', 'scripts/send-slack.ts', '--help'], { cwd: ROOT, encoding: 'utf8' });
    assert.equal(help.status, 0, help.stderr);
    assert.match(help.stdout, /^usage: .*send-slack\.ts "<text>" --user/);
  });
});

function tail(file: string, lines = 30): string {
  try {
    return readFileSync(file, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return '(none)';
  }
}
