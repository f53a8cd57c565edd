// Issue 21, CLI: the `sluice` command as a user runs it — the real process, started through
// its shebang (package.json `bin`) — against the all-in-one app on real data (the real
// kube-apiserver, the fake GitHub), plus the check that docs/openapi.json, from which the
// CLI's client is generated, is the document the app serves.
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { REPLAY_VIEWS } from '@sluice/contracts';
import { patchStatus } from '@sluice/kube';
import { createTestNamespace } from '@sluice/kube/testing';
import { freePort } from '@sluice/testing';
import { runCli, startCli, type CliProcess, type CliRun } from './support/cli';
import { ROOT } from './support/process';
import { ARTIFACT_REPO, CONFIG_NAME, Scenario, waitFor, type DeployView, type HistoryEntry } from './support/scenario';
import { startAllInOneApp, type AllInOneApp } from './support/sluice';
import { deploymentYaml, startWorld, type World } from './support/world';

/** A CLI process left running, with what it has written to stdout so far. */
interface Following extends CliProcess {
  stdoutSoFar(): string;
}

/** The progress line of `sluice sync` (stderr, a line per change without a terminal). */
const SYNC_PROGRESS = /^\[(#*)(\.*)\] (\d+)\/(\d+|\?) repositories, (\d+) configs, (\d+) errors$/;

describe('the sluice CLI against the all-in-one app', { timeout: 420_000 }, () => {
  let world: World;
  let sluice: AllInOneApp;
  let scenario: Scenario;
  let home: string;
  let firstArtifact: string;

  const cli = (args: readonly string[], options: { stdin?: string; env?: Record<string, string> } = {}): Promise<CliRun> =>
    runCli(args, { home, url: sluice.process.url, ...options });
  const follow = (args: readonly string[]): Following => {
    const started = startCli(args, { home, url: sluice.process.url });
    let stdout = '';
    started.child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    return { ...started, stdoutSoFar: () => stdout };
  };
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

  it('revokes a team token: it gets 401 at once, is gone from the list, and a second revoke is 404', async () => {
    const created = json<{ id: string; token: string; team: string }>(await cli(['--json', 'tokens', 'create', 'payments']));
    assert.match(created.token, /^sl_/);
    assert.equal(created.team, 'payments');
    const before = await cli(['configs'], { env: { SLUICE_TOKEN: created.token } });
    assert.equal(before.code, 0, before.stderr);
    assert.match(before.stdout, new RegExp(`${CONFIG_NAME}\\s+payments`), 'the token works before it is revoked');
    const table = await cli(['tokens']);
    assert.equal(table.code, 0, table.stderr);
    assert.match(table.stdout, /ID\s+TEAM\s+CREATED\s+BY/);
    assert.match(table.stdout, new RegExp(`${created.id}\\s+payments\\s+\\S+\\s+admin`));

    const missing = await cli(['tokens', 'revoke']);
    assert.equal(missing.code, 2);
    assert.match(missing.stderr, /missing required argument 'id'/);
    const revoke = await cli(['tokens', 'revoke', created.id]);
    assert.equal(revoke.code, 0, revoke.stderr);
    assert.equal(revoke.stdout, `token ${created.id} revoked\n`);

    const refused = await cli(['configs'], { env: { SLUICE_TOKEN: created.token } });
    assert.equal(refused.code, 1);
    assert.match(refused.stderr, /\(401 [a-z_]+\)\n$/);
    const direct = await fetch(`${sluice.process.url}/api/configs`, { headers: { authorization: `Bearer ${created.token}` } });
    assert.equal(direct.status, 401, 'the API refuses the revoked token');
    const { tokens } = json<{ tokens: Array<{ id: string }> }>(await cli(['--json', 'tokens', 'list']));
    assert.ok(!tokens.some((t) => t.id === created.id), 'the revoked token is no longer listed');
    const again = await cli(['--json', 'tokens', 'revoke', created.id]);
    assert.equal(again.code, 1);
    assert.equal(again.stdout, '');
    assert.match(again.stderr, new RegExp(`^sluice: token ${created.id} is not known \\(404 token_not_found\\)\\n$`));
  });

  let third: string;

  it('pins a config: the API shows the pin, and autodeploy skips a green build while it holds', async () => {
    // Whatever the earlier tests started has ended (the re-apply pinned the config: unpin it first).
    await waitFor(async () => {
      const c = await scenario.api.config();
      return c.inFlightDeployId === null && c.queuedDeployId === null;
    }, () => 'no deploy in flight');
    const unpin = await cli(['unpin', CONFIG_NAME]);
    assert.equal(unpin.code, 0, unpin.stderr);
    await waitFor(async () => (await scenario.api.config()).pin === null, () => 'unpinned');

    const usage = await cli(['pin']);
    assert.equal(usage.code, 2);
    assert.match(usage.stderr, /missing required argument 'config'/);
    const unknown = await cli(['pin', 'no-such-config', '--reason', 'x']);
    assert.equal(unknown.code, 1);
    assert.match(unknown.stderr, /^sluice: config "no-such-config" is not known \(404 config_not_found\)\n$/);

    const pin = await cli(['pin', CONFIG_NAME, '--reason', 'release freeze']);
    assert.equal(pin.code, 0, pin.stderr);
    assert.equal(pin.stdout, `${CONFIG_NAME} pinned\n`);
    let pinned: { by: string; reason: string } | null = null;
    await waitFor(async () => (pinned = (await scenario.api.config()).pin) !== null, () => 'GET /api/configs/{name} shows the pin');
    assert.deepEqual({ by: pinned!.by, reason: pinned!.reason }, { by: 'admin', reason: 'release freeze' });
    // Pinning a pinned config changes nothing (the first pin's reason stays); --json prints the answer.
    assert.deepEqual(json(await cli(['--json', 'pin', CONFIG_NAME, '--reason', 'another'])), { config: CONFIG_NAME, pinned: true });
    assert.equal((await scenario.api.config()).pin?.reason, 'release freeze');
    const table = await cli(['configs']);
    assert.equal(table.code, 0, table.stderr);
    assert.match(table.stdout, /AUTODEPLOY\s+PINNED/);
    assert.match(table.stdout, new RegExp(`${CONFIG_NAME}\\s+.*\\s+yes\\s+by admin`));

    // A green build of the tracked branch: autodeploy records why it leaves the config alone.
    third = await scenario.pushArtifact('third');
    await scenario.buildCompleted(third);
    let history: HistoryEntry[] = [];
    await waitFor(
      async () => (history = await scenario.api.history()).some((h) => h.type === 'deploy.skipped' && /pinned by admin: release freeze/.test(`${h.reason} ${h.message}`)),
      () => `deploy.skipped (pinned) in the history (latest: ${JSON.stringify(history.slice(0, 3))})`,
    );
    const shown = await cli(['history', CONFIG_NAME, '--limit', '5']);
    assert.equal(shown.code, 0, shown.stderr);
    // WHY shows the trigger and why it was skipped.
    assert.match(shown.stdout, new RegExp(`deploy\\.skipped\\s+-\\s+autodeploy\\s+build ci of ${ARTIFACT_REPO}@${third.slice(0, 7)}… on main succeeded — pinned by admin: release freeze; unpin to let autodeploy move it`));
    assert.match(shown.stdout, /config\.pinned\s+-\s+admin\s+release freeze/);
    assert.ok(!(await scenario.api.deploys()).some((d) => d.artifactSha === third), 'no deploy of the green build while pinned');
  });

  it('follows a running deploy with logs -f: the lines arrive as it goes, and it exits 0 when the deploy succeeds', async () => {
    // The unpin hands the config back to autodeploy at once: the newest green build (third) is deployed,
    // and the deploy waits at wait-healthy until the test rolls the Deployment out.
    const unpin = await cli(['unpin', CONFIG_NAME, '--reason', 'freeze over']);
    assert.equal(unpin.code, 0, unpin.stderr);
    assert.equal(unpin.stdout, `${CONFIG_NAME} unpinned\n`);
    const deploy = await scenario.waitForDeployOf(third);
    assert.equal(deploy.cause, 'autodeploy');
    const following = follow(['logs', '-f', deploy.id]);
    await scenario.waitForApplied(third);
    await waitFor(() => /step apply done/.test(following.stdoutSoFar()), () => `the apply step followed (so far: ${JSON.stringify(following.stdoutSoFar())})`, 60_000);
    assert.equal(following.child.exitCode, null, 'logs -f is still following');
    assert.doesNotMatch(following.stdoutSoFar(), /deploy (succeeded|failed)/, 'the deploy has not ended yet');
    assert.equal((await scenario.api.deploy(deploy.id)).phase === 'succeeded', false);
    await scenario.rollOut();
    const run = await following.done;
    assert.equal(run.code, 0, run.stderr);
    assert.equal(run.stderr, '');
    assert.match(run.stdout, /requested by \S+ \(autodeploy\)(.*\n)*.* step apply done: \d+ objects? applied\n(.*\n)*.* step wait-healthy done: healthy\n(.*\n)*.* deploy succeeded\n$/);
    const recorded = await cli(['logs', deploy.id]);
    assert.equal(recorded.code, 0, recorded.stderr);
    assert.equal(run.stdout, recorded.stdout, 'what was followed is the recorded log');
  });

  it('follows a running deploy that fails: logs -f prints the failure and exits 1', async () => {
    const { deploys } = json<{ deploys: Array<{ id: string; artifactSha: string; phase: string }> }>(await cli(['--json', 'config', CONFIG_NAME]));
    const earlier = deploys.find((d) => d.artifactSha === firstArtifact && d.phase === 'succeeded');
    assert.ok(earlier, 'a deploy of the first artifact is among the latest');
    const reapply = await cli(['--json', 'reapply', earlier.id, '--reason', 'will not come up']);
    const { deployId } = json<{ deployId: string; created: boolean }>(reapply);
    await scenario.deployWhenKnown(deployId);
    const following = follow(['logs', '-f', deployId]);
    await waitFor(() => /step apply done/.test(following.stdoutSoFar()), () => `the apply step followed (so far: ${JSON.stringify(following.stdoutSoFar())})`, 60_000);
    assert.equal(following.child.exitCode, null, 'logs -f is still following');
    // What the Deployment controller reports when the rollout does not progress.
    const ref = { apiVersion: 'apps/v1', kind: 'Deployment', namespace: world.namespace, name: CONFIG_NAME };
    const deployment = await world.kube.find(ref);
    await patchStatus(
      world.kube,
      ref,
      {
        observedGeneration: deployment?.metadata.generation ?? 1,
        conditions: [{ type: 'Progressing', status: 'False', reason: 'ProgressDeadlineExceeded', message: 'ReplicaSet has timed out progressing.' }],
      },
      { fieldManager: 'e2e-kube-controller-manager' },
    );
    const run = await following.done;
    assert.equal(run.code, 1, run.stderr);
    assert.equal(run.stderr, `sluice: deploy ${deployId} failed\n`);
    assert.match(run.stdout, /.* step wait-healthy failed: ProgressDeadlineExceeded: Deployment billing-api: ReplicaSet has timed out progressing\.\n(.*\n)*.* deploy failed\n$/);
    assert.equal((await scenario.waitForPhase(deployId, 'failed')).phase, 'failed');
  });

  it('undeploys a config and waits for it: the undeploy is recorded, the Deployment removed', async () => {
    const usage = await cli(['undeploy']);
    assert.equal(usage.code, 2);
    assert.match(usage.stderr, /missing required argument 'config'/);
    const unknown = await cli(['undeploy', 'no-such-config']);
    assert.equal(unknown.code, 1);
    assert.match(unknown.stderr, /\(404 config_not_found\)\n$/);
    const badTimeout = await cli(['undeploy', CONFIG_NAME, '--wait', '--timeout', '0']);
    assert.equal(badTimeout.code, 2);
    assert.match(badTimeout.stderr, /--timeout: expected a positive whole number, got "0"/);

    const run = await cli(['undeploy', CONFIG_NAME, '--reason', 'retired', '--wait', '--timeout', '120']);
    assert.equal(run.code, 0, run.stderr);
    const match = new RegExp(`^undeploy of ${CONFIG_NAME}: deploy (\\S+)\\n$`).exec(run.stdout);
    assert.ok(match, run.stdout);
    const undeployId = match[1]!;
    assert.match(run.stderr, new RegExp(`^${undeployId}: (queued|applying|applied)\\n(.*\\n)*${undeployId}: succeeded\\n$`));
    const recorded = await scenario.api.deploy(undeployId);
    assert.deepEqual(
      { kind: recorded.kind, artifactSha: recorded.artifactSha, configSha: recorded.configSha, reason: recorded.reason, requestedBy: recorded.requestedBy, phase: recorded.phase },
      { kind: 'undeploy', artifactSha: null, configSha: null, reason: 'retired', requestedBy: 'admin', phase: 'succeeded' },
    );
    await waitFor(async () => (await scenario.deployment()) === undefined, () => 'the Deployment removed', 60_000);
    const config = json<{ config: { current: { artifactSha: string | null }; pin: { by: string } | null }; deploys: DeployView[] }>(await cli(['--json', 'config', CONFIG_NAME]));
    assert.equal(config.config.current.artifactSha, null);
    assert.equal(config.config.pin?.by, 'admin', 'an undeploy pins the config');
    assert.equal(config.deploys[0]?.id, undeployId);
    const history = await cli(['history', CONFIG_NAME, '--limit', '50']);
    assert.equal(history.code, 0, history.stderr);
    assert.match(history.stdout, new RegExp(`undeploy\\.requested\\s+${undeployId}\\s+admin\\s+retired`));
  });

  it('pages the event log; a global sync shows its progress to the end and finds another team’s config, which configs --team tells apart', async () => {
    const events = await cli(['events', '--stream', `config-${CONFIG_NAME}`, '--limit', '2']);
    assert.equal(events.code, 0, events.stderr);
    assert.match(events.stdout, /config\.registered v\d/);
    assert.match(events.stderr, /next page: sluice events --after \S+ --stream config-billing-api/);

    // Team web's config repository, which Sluice has not heard of: only the global sync finds it.
    const namespace = await createTestNamespace(world.kube, 'web');
    world.github.seed.repo({ owner: 'acme', name: 'web-config', defaultBranch: 'main' });
    world.github.seed.commit('acme/web-config', {
      message: 'web-frontend',
      files: {
        'deploy/web-frontend/deploy.yaml': ['team: web', `namespace: ${namespace}`, 'artifact:', '  repo: acme/web-app', '  image: ghcr.io/acme/web-app', 'track:', '  branch: main'].join('\n'),
        'deploy/web-frontend/deployment.yaml': deploymentYaml('web-frontend', 'ghcr.io/acme/web-app'),
      },
    });
    world.github.seed.repo({ owner: 'acme', name: 'web-app', defaultBranch: 'main' });
    world.github.seed.commit('acme/web-app', { message: 'initial', files: { 'README.md': '# web\n' } });

    // Without a terminal the progress is a line per change (no redraw), on stderr; the result on stdout.
    const sync = await cli(['sync']);
    assert.equal(sync.code, 0, sync.stderr);
    // Four repositories (acme/deploy-configs, acme/billing and team web's two); the configs are those its scans found (web-frontend).
    assert.match(sync.stdout, /^sync completed: 4 repositories, \d+ branches, \d+ commits, [1-9]\d* configs\n$/);
    assert.doesNotMatch(sync.stderr, /\r|\x1b/, 'nothing redrawn without a terminal');
    const [startedLine, ...progress] = sync.stderr.trimEnd().split('\n');
    assert.match(startedLine!, /^(started|joined the running) sync [0-9a-f-]{36}$/);
    assert.ok(progress.length >= 1, sync.stderr);
    for (const line of progress) assert.match(line, SYNC_PROGRESS);
    for (let i = 1; i < progress.length; i++) assert.notEqual(progress[i], progress[i - 1], `a line per change: ${sync.stderr}`);
    const done = progress.map((line) => Number(SYNC_PROGRESS.exec(line)![3]));
    assert.deepEqual([...done].sort((a, b) => a - b), done, 'the repositories done only grow');
    assert.match(progress.at(-1)!, new RegExp(`^\\[${'#'.repeat(24)}\\] 4/4 repositories, [1-9]\\d* configs, 0 errors$`));

    const again = json<{ state: string; repos: { done: number; total: number }; errors: unknown[] }>(await cli(['--json', 'sync']));
    assert.deepEqual({ state: again.state, repos: again.repos, errors: again.errors }, { state: 'completed', repos: { done: 4, total: 4 }, errors: [] });
    const started = json<{ syncId: string; started: boolean }>(await cli(['--json', 'sync', '--no-wait']));
    assert.match(started.syncId, /^[0-9a-f-]{36}$/);
    await waitFor(async () => (await scenario.api.get<{ state: string }>(`/api/admin/sync/${started.syncId}`)).state !== 'running', () => 'the --no-wait sync ended');

    // The sync registered web-frontend; configs --team lists one team's configs only.
    await waitFor(async () => (await scenario.api.request('GET', '/api/configs/web-frontend', undefined, [200, 404])).status === 200, () => 'web-frontend registered');
    const all = json<{ configs: Array<{ name: string; team: string }> }>(await cli(['--json', 'configs']));
    assert.deepEqual(all.configs.map((c) => [c.name, c.team]).sort(), [[CONFIG_NAME, 'payments'], ['web-frontend', 'web']]);
    const web = await cli(['configs', '--team', 'web']);
    assert.equal(web.code, 0, web.stderr);
    assert.match(web.stdout, new RegExp(`^\\s*NAME\\s+TEAM\\s+NAMESPACE.*\\n\\s*web-frontend\\s+web\\s+${namespace}\\s+undeployed\\s+-\\s+-\\s+no\\s+no\\s*\\n$`));
    const payments = json<{ configs: Array<{ name: string; team: string }> }>(await cli(['--json', 'configs', '--team', 'payments']));
    assert.deepEqual(payments.configs.map((c) => [c.name, c.team]), [[CONFIG_NAME, 'payments']]);
    const nobody = await cli(['configs', '--team', 'nobody']);
    assert.equal(nobody.code, 0, nobody.stderr);
    assert.equal(nobody.stdout, '(none)\n');
    const bad = await cli(['configs', '--team', 'Not A Team!']);
    assert.equal(bad.code, 1, bad.stderr);
    assert.match(bad.stderr, /\(400 [a-z_]+\)\n$/);
  });

  it('rebuilds every view from the log with replay, a progress line per view, the answers the same after; an unknown view is a usage error', async () => {
    const configsBefore = json<unknown>(await cli(['--json', 'configs']));
    const historyBefore = await cli(['--json', 'history', CONFIG_NAME, '--limit', '50']);
    const run = await cli(['replay']);
    assert.equal(run.code, 0, run.stderr);
    for (const view of REPLAY_VIEWS) assert.match(run.stderr, new RegExp(`^${view}: \\[#{24}\\] (\\d+)/\\1 events, done$`, 'm'), `${view}: ${run.stderr}`);
    const rows = run.stdout.trimEnd().split('\n').map((r) => r.trim());
    assert.match(rows[0]!, /^VIEW\s+STATUS\s+EVENTS\s+ERROR/);
    assert.deepEqual(rows.slice(1).map((r) => r.split(/\s+/).slice(0, 2)), REPLAY_VIEWS.map((v) => [v, 'done']));
    assert.deepEqual(json<unknown>(await cli(['--json', 'configs'])), configsBefore, 'the configs answer the same after the rebuilds');
    assert.equal((await cli(['--json', 'history', CONFIG_NAME, '--limit', '50'])).stdout, historyBefore.stdout, 'and the history');

    const some = json<Array<{ view: string; status: string; processed: number; total: number }>>(await cli(['--json', 'replay', 'repo-sync', 'commit-status']));
    assert.deepEqual(some.map((r) => [r.view, r.status, r.processed === r.total && r.total > 0]), [['repo-sync', 'done', true], ['commit-status', 'done', true]]);
    const bad = await cli(['replay', 'autodeploy', 'nonsense']);
    assert.equal(bad.code, 2, bad.stderr);
    assert.match(bad.stderr, /unknown view "nonsense": known are autodeploy, autodeploy\/repo-knowledge, /);
  });
});
