// Issue 21, CLI: the `sluice` command as a user runs it — the real process, started through
// its shebang (package.json `bin`) — against the all-in-one app on real data (the real
// kube-apiserver, the fake GitHub), plus the check that docs/openapi.json, from which the
// CLI's client is generated, is the document the app serves.
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { freePort } from '@sluice/testing';
import { runCli, type CliRun } from './support/cli';
import { ROOT } from './support/process';
import { ARTIFACT_REPO, CONFIG_NAME, Scenario, waitFor } from './support/scenario';
import { startAllInOneApp, type AllInOneApp } from './support/sluice';
import { startWorld, type World } from './support/world';

describe('the sluice CLI against the all-in-one app', { timeout: 420_000 }, () => {
  let world: World;
  let sluice: AllInOneApp;
  let scenario: Scenario;
  let home: string;
  let firstArtifact: string;

  const cli = (args: readonly string[], options: { stdin?: string; env?: Record<string, string> } = {}): Promise<CliRun> =>
    runCli(args, { home, url: sluice.process.url, ...options });
  const json = <T>(run: CliRun): T => {
    assert.equal(run.code, 0, run.stderr);
    return JSON.parse(run.stdout) as T;
  };

  before(async () => {
    world = await startWorld('cli');
    sluice = await startAllInOneApp(world);
    scenario = new Scenario(world, sluice);
    home = join(world.runDir, 'home');
    mkdirSync(home, { recursive: true });
    await scenario.pushConfigRepo();
    await scenario.waitForVirtualConfig();
    firstArtifact = await scenario.pushArtifact('first');
    await scenario.deployBuild(firstArtifact);
  });

  after(async () => {
    await sluice?.stop();
    await world?.stop();
  });

  it('serves the OpenAPI document committed in docs/openapi.json (npm run openapi regenerates it and the client types)', async () => {
    const served = (await (await fetch(`${sluice.process.url}/api/docs-json`)).json()) as unknown;
    const committed = JSON.parse(readFileSync(join(ROOT, 'docs', 'openapi.json'), 'utf8')) as unknown;
    assert.deepEqual(served, committed, 'docs/openapi.json is out of date: run `npm run openapi`');
  });

  it('prints its usage, and exits 2 on bad usage and without a token', async () => {
    const help = await cli(['--help']);
    assert.equal(help.code, 0);
    for (const command of ['login', 'configs', 'config', 'deploy', 'history', 'logs', 'reapply', 'pin', 'unpin', 'undeploy', 'events', 'sync', 'tokens']) {
      assert.match(help.stdout, new RegExp(`\\n  ${command}\\b`), `--help lists ${command}`);
    }
    const missing = await cli(['deploy']);
    assert.equal(missing.code, 2);
    assert.match(missing.stderr, /missing required argument 'config'/);
    const badLimit = await cli(['history', CONFIG_NAME, '--limit', 'many'], { env: { SLUICE_TOKEN: sluice.adminToken } });
    assert.equal(badLimit.code, 2);
    assert.match(badLimit.stderr, /--limit: expected a positive whole number, got "many"/);
    const noToken = await cli(['configs']);
    assert.equal(noToken.code, 2);
    assert.match(noToken.stderr, /no token: run `sluice login/);
  });

  it('logs in with a token from standard input, saved readable by the owner only', async () => {
    const refused = await cli(['login', '--token', '-'], { stdin: 'not-a-token\n' });
    assert.equal(refused.code, 1);
    assert.match(refused.stderr, /\(401 /);
    const login = await cli(['login', '--token', '-'], { stdin: `${sluice.adminToken}\n` });
    assert.equal(login.code, 0, login.stderr);
    assert.match(login.stdout, /^logged in to http:\/\/127\.0\.0\.1:\d+: 1 configs visible; saved to /);
    const file = join(home, '.config', 'sluice', 'config.json');
    assert.equal(statSync(file).mode & 0o777, 0o600);
    assert.equal((JSON.parse(readFileSync(file, 'utf8')) as { token: string }).token, sluice.adminToken);
  });

  it('lists configs as a table and as JSON, and shows one config', async () => {
    const table = await cli(['configs']);
    assert.equal(table.code, 0, table.stderr);
    assert.match(table.stdout, /NAME\s+TEAM\s+NAMESPACE\s+PHASE/);
    assert.match(table.stdout, new RegExp(`${CONFIG_NAME}\\s+payments\\s+${world.namespace}\\s+succeeded\\s+${firstArtifact.slice(0, 7)}`));
    const { configs } = json<{ configs: Array<{ name: string; current: { artifactSha: string } }> }>(await cli(['--json', 'configs']));
    assert.deepEqual(configs.map((c) => [c.name, c.current.artifactSha]), [[CONFIG_NAME, firstArtifact]]);
    const one = await cli(['config', CONFIG_NAME]);
    assert.equal(one.code, 0, one.stderr);
    assert.match(one.stdout, /tracks:\s+main \(autodeploy\)/);
    assert.match(one.stdout, new RegExp(`main-${firstArtifact.slice(0, 7)}`), 'the latest deploys with their image tag');
  });

  it('deploys a branch head and waits for it, which pins the config; history shows it; unpin lets go', async () => {
    const second = await scenario.pushArtifact('second');
    await waitFor(
      async () => (await scenario.api.get<{ items: Array<{ name: string; headSha: string }> }>(`/api/repos/${ARTIFACT_REPO}/branches`)).items.some((b) => b.name === 'main' && b.headSha === second),
      () => 'the catalogue has the pushed head of main',
    );
    // --wait follows the deploy to its end; the rollout is what a controller would report (there is none here).
    const waiting = cli(['deploy', CONFIG_NAME, '--artifact', 'main', '--reason', 'from the cli', '--wait', '--timeout', '120']);
    await scenario.waitForApplied(second);
    await scenario.rollOut();
    const run = await waiting;
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stdout, new RegExp(`^${CONFIG_NAME} at artifact ${second.slice(0, 7)}, config [0-9a-f]{7}: deploy \\S+`));
    assert.match(run.stderr, /^\S+: (queued|applying|applied)\n(.*\n)*\S+: succeeded\n$/);
    const deployId = /deploy (\S+)/.exec(run.stdout)![1]!;
    const config = json<{ config: { pin: { by: string; reason: string } | null; current: { artifactSha: string } } }>(await cli(['--json', 'config', CONFIG_NAME]));
    assert.equal(config.config.current.artifactSha, second);
    assert.equal(config.config.pin?.reason, `manual deploy ${deployId}: from the cli`);
    const history = await cli(['history', CONFIG_NAME, '--limit', '50']);
    assert.equal(history.code, 0, history.stderr);
    assert.match(history.stdout, new RegExp(`deploy\\.requested\\s+${deployId}`));
    // Its log: the steps in order, as text, and followed (it has ended: the whole log, then exit 0).
    const logs = await cli(['logs', deployId]);
    assert.equal(logs.code, 0, logs.stderr);
    assert.match(logs.stdout, /requested by \S+ \(manual\): from the cli\n(.*\n)*.* step apply done: \d+ objects? applied\n(.*\n)*.* step wait-healthy done: healthy\n(.*\n)*.* deploy succeeded\n$/);
    const followed = await cli(['logs', '-f', deployId]);
    assert.equal(followed.code, 0, followed.stderr);
    assert.equal(followed.stdout, logs.stdout, 'following an ended deploy prints the same log');
    const unpin = await cli(['unpin', CONFIG_NAME]);
    assert.equal(unpin.code, 0, unpin.stderr);
    assert.equal(json<{ config: { pin: unknown } }>(await cli(['--json', 'config', CONFIG_NAME])).config.pin, null);
  });

  it('re-applies an earlier deploy and waits for it', async () => {
    const { deploys } = json<{ deploys: Array<{ id: string; artifactSha: string }> }>(await cli(['--json', 'config', CONFIG_NAME]));
    const first = deploys.find((d) => d.artifactSha === firstArtifact);
    assert.ok(first, 'the first deploy is among the latest');
    const waiting = cli(['reapply', first.id, '--wait', '--timeout', '120']);
    await scenario.waitForApplied(firstArtifact);
    await scenario.rollOut();
    const run = await waiting;
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stdout, new RegExp(`^re-apply of ${first.id}: deploy \\S+`));
    assert.match(run.stderr, /: succeeded\n/);
  });

  it('shows the API error as written with exit 1: an unknown branch, another team’s config, an unreachable Sluice', async () => {
    const branch = await cli(['deploy', CONFIG_NAME, '--artifact', 'no-such-branch']);
    assert.equal(branch.code, 1);
    assert.match(branch.stderr, /--artifact: acme\/billing has no branch "no-such-branch" in Sluice's catalogue \(branches: main/);
    const token = (await cli(['tokens', 'create', 'web'])).stdout.trim();
    assert.match(token, /^sl_/);
    const other = await cli(['config', CONFIG_NAME], { env: { SLUICE_TOKEN: token } });
    assert.equal(other.code, 1);
    assert.match(other.stderr, /\(403 [a-z_]+\)/);
    const listed = json<{ tokens: Array<{ team: string }> }>(await cli(['--json', 'tokens']));
    assert.ok(listed.tokens.some((t) => t.team === 'web'));
    const gone = await cli(['configs', '--url', `http://127.0.0.1:${await freePort()}`]);
    assert.equal(gone.code, 1);
    assert.match(gone.stderr, /cannot reach Sluice at http:\/\/127\.0\.0\.1:\d+: ECONNREFUSED/);
  });

  it('pages the event log and runs a global sync to its end', async () => {
    const events = await cli(['events', '--stream', `config-${CONFIG_NAME}`, '--limit', '2']);
    assert.equal(events.code, 0, events.stderr);
    assert.match(events.stdout, /config\.registered v\d/);
    assert.match(events.stderr, /next page: sluice events --after \S+ --stream config-billing-api/);
    const sync = await cli(['sync']);
    assert.equal(sync.code, 0, sync.stderr);
    assert.match(sync.stdout, /^sync completed: \d+ repositories/);
  });
});
