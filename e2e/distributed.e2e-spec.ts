// Issue 8, "Prove it", distributed mode: the five services as processes (as main.ts starts
// them), two replicas of each (issue #23), real Kafka, real PostgreSQL, the real kube-apiserver,
// and the fake GitHub; chat-ops (fake Slack) and a GitOps target (fake Argo CD) in the same
// services; the web dashboard through the dashboard server (apps/dashboard-server) in a real browser.
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Client } from 'pg';
import type { DoraMetrics } from '@sluice/dora';
import { FakeSlack } from '@sluice/fake-scm';
import { imageTag } from '@sluice/contracts';
import { freePort } from '@sluice/testing';
import { dashboardBrowser } from './support/browser';
import { runCli } from './support/cli';
import { defineFlow } from './support/flow';
import { GitOpsSide, VALUES } from './support/gitops';
import { ServiceProcess } from './support/process';
import { CONFIG_NAME, Scenario, waitFor, type DeployView } from './support/scenario';
import { SERVICES, startDistributed, type Distributed } from './support/sluice';
import { startWorld, type World } from './support/world';

describe('Sluice distributed, end to end', { timeout: 600_000 }, () => {
  let world: World;
  let sluice: Distributed;
  let scenario: Scenario;
  // Chat-ops runs inside the distributed autodeploy too (README "Chat-ops").
  const slack = new FakeSlack({ tokens: ['xoxb-distributed-0123'] });
  const SIGNING_SECRET = 'distributed-slack-signing-secret';
  let gitops: GitOpsSide;

  before(async () => {
    world = await startWorld('distributed');
    await slack.start();
    gitops = new GitOpsSide(world);
    const argoSettings = await gitops.start();
    // Two replicas of every service (issue #23 "High availability"): consumers share partitions, controllers run in the leader.
    sluice = await startDistributed(world, {
      replicas: 2,
      env: {
        'kube-applier': { ...argoSettings, KUBE_APPLIER_GITOPS_PUSH_WAIT_SECONDS: '120' },
        autodeploy: {
          SLACK_BOT_TOKEN: 'xoxb-distributed-0123',
          SLACK_SIGNING_SECRETS: SIGNING_SECRET,
          SLACK_API_URL: `${slack.url}/api/`,
          SLACK_USER_TEAMS: JSON.stringify({ U0ALICE01: ['payments'] }),
        },
      },
    });
    scenario = new Scenario(world, sluice);
  });

  after(async () => {
    await sluice?.stop();
    await slack.stop();
    await gitops?.stop();
    await world?.stop();
  });

  defineFlow(() => scenario, {
    // kube-applier dies while it holds the deploy (requested, maybe applied, not reported):
    // its inbox and the DeployConfig let the restarted process finish the job exactly once.
    crashDuringDeploy: () => sluice.crashAndRestart('kube-applier'),
  });

  it('chat-ops in the distributed autodeploy: a signed /deploy status is answered through Slack, a forged one is 401', async () => {
    const url = `${sluice.urlFor('/chat/slack/commands')}/chat/slack/commands`;
    const send = (secret: string) => {
      const req = slack.slashCommand({ text: `status ${CONFIG_NAME}`, userId: 'U0ALICE01', channelId: 'C0DEPLOYS1' }, secret);
      return fetch(url, { method: 'POST', headers: req.headers, body: req.body });
    };
    assert.equal((await send('forged-secret')).status, 401);
    const res = await send(SIGNING_SECRET);
    assert.equal(res.status, 200);
    assert.match(((await res.json()) as { text: string }).text, /Looking up `billing-api`/);
    await waitFor(
      () => slack.ephemerals('U0ALICE01').some((e) => e.text.startsWith('`billing-api` (team payments):')),
      () => `the status answer (got ${JSON.stringify(slack.ephemerals('U0ALICE01'))})`,
      30_000,
    );
  });

  it('a GitOps target in the distributed services: the config moved to acme/gitops deploys by one commit there and one Argo CD sync, triggered by its push webhook → succeeded', async () => {
    const configSha = gitops.commitGitOpsConfig();
    await scenario.pushConfigRepo();
    await waitFor(async () => (await scenario.api.get<{ rootSha: string }>(`/api/configs/${CONFIG_NAME}`)).rootSha === configSha, () => `billing-api registered at ${configSha}`, 60_000);
    const sha = await scenario.pushArtifact('gitops');
    await scenario.buildCompleted(sha);
    await scenario.waitForBuildKnown(sha);
    const { deployId } = await scenario.api.post<{ deployId: string }>('/api/deploys', { config: CONFIG_NAME, artifactSha: sha, configSha, reason: 'e2e: through GitOps' });
    await gitops.deliverSluicePush(scenario, 1);
    const deploy: DeployView = await scenario.waitForPhase(deployId, 'succeeded');
    assert.equal(deploy.imageTag, imageTag('main', sha));
    assert.equal(gitops.valuesAtHead(), VALUES.replace('main-0000000', imageTag('main', sha)));
    const commits = gitops.sluiceCommits();
    assert.equal(commits.length, 1, 'one commit');
    assert.deepEqual(gitops.argo.syncs, [{ app: 'billing', revision: commits[0]!.sha }], 'one sync, at that commit');
  });

  it('the dashboard server (apps/dashboard-server) serves the dashboard and reaches each service’s API by the path’s owner: sign in, configs, a deploy’s steps, the DORA page’s figures, a pin confirmed in its dialog; errors passed through unchanged', { timeout: 240_000 }, async () => {
    // A deploy to look at: the flow's, or one made here when this case runs alone.
    let deploys = await scenario.api.deploys().catch(() => [] as DeployView[]);
    if (deploys.length === 0) {
      await scenario.pushConfigRepo();
      await scenario.waitForVirtualConfig();
      await scenario.deployBuild(await scenario.pushArtifact('dashboard-server'));
      deploys = await scenario.api.deploys();
    }
    const deploy = deploys.find((d) => d.kind === 'deploy' && d.phase === 'succeeded') ?? deploys[0]!;
    const browser = await dashboardBrowser();
    const port = await freePort();
    const dashboard = new ServiceProcess({
      name: 'dashboard-server',
      main: 'apps/dashboard-server/src/main.ts',
      port,
      env: {
        PORT: String(port),
        SLUICE_SERVICE_URLS: SERVICES.map((s) => `${s}=${sluice.services[s].url}`).join(','),
        LOG_LEVEL: process.env['SLUICE_E2E_LOG_LEVEL'] ?? 'info',
      },
      logFile: join(world.runDir, 'dashboard-server.log'),
    });
    let issued: { id: string; token: string } | null = null;
    try {
      dashboard.start();
      await dashboard.waitReady(120_000);
      const admin = { authorization: `Bearer ${sluice.adminToken}` };
      // The same answer through the dashboard server as from the service that owns the path.
      const both = async (path: string, headers: Record<string, string>) => {
        const [via, direct] = await Promise.all([fetch(`${dashboard.url}${path}`, { headers }), fetch(`${sluice.urlFor(path)}${path}`, { headers })]);
        return { via: { status: via.status, type: via.headers.get('content-type'), body: await via.text() }, direct: { status: direct.status, type: direct.headers.get('content-type'), body: await direct.text() } };
      };
      const log = await both(`/api/deploys/${deploy.id}/logs?follow=false`, admin);
      assert.equal(log.via.status, 200, log.via.body);
      assert.match(log.via.type ?? '', /^text\/plain/);
      assert.deepEqual(log.via, log.direct, 'the log as autodeploy answers it');
      assert.match(log.via.body, /deploy (succeeded|failed|superseded)/);
      const manifests = await both(`/api/deploys/${deploy.id}/manifests`, admin);
      assert.deepEqual(manifests.via, manifests.direct, 'kube-applier’s answer');
      const unknownToken = await both('/api/repos', { authorization: 'Bearer not-a-token' });
      assert.equal(unknownToken.via.status, 401);
      assert.deepEqual(unknownToken.via, unknownToken.direct, 'repo-sync’s 401, as it wrote it');

      // A POST body through it (autodeploy issues team tokens), then another team's token is refused with autodeploy's 403.
      const res = await fetch(`${dashboard.url}/api/admin/tokens`, { method: 'POST', headers: { ...admin, 'content-type': 'application/json' }, body: JSON.stringify({ team: 'dashboard-other' }) });
      assert.equal(res.status, 201, await res.clone().text());
      issued = (await res.json()) as { id: string; token: string };
      const refused = await both(`/api/deploys/${deploy.id}/logs?follow=false`, { authorization: `Bearer ${issued.token}` });
      assert.equal(refused.via.status, 403, refused.via.body);
      assert.deepEqual(refused.via, refused.direct, 'autodeploy’s 403, as it wrote it');
      // The dashboard's polls revalidate through it: the service's ETag, and its 304 to a matching If-None-Match.
      const polled = await fetch(`${dashboard.url}/api/configs/${CONFIG_NAME}`, { headers: admin });
      const etag = polled.headers.get('etag');
      assert.equal(polled.status, 200);
      assert.match(etag ?? '', /^W\/"[^"]+"$/);
      const unchanged = await fetch(`${dashboard.url}/api/configs/${CONFIG_NAME}`, { headers: { ...admin, 'cache-control': 'max-age=0', 'if-none-match': etag! } });
      assert.deepEqual([unchanged.status, unchanged.headers.get('etag'), await unchanged.text()], [304, etag, '']);
      const missing = await fetch(`${dashboard.url}/nothing`);
      assert.deepEqual([missing.status, await missing.json()], [404, { error: { code: 'not_found', message: 'no route for GET /nothing' } }]);

      // The dashboard in Chromium, from the dashboard server only.
      const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
      page.setDefaultTimeout(30_000);
      await page.goto(`${dashboard.url}/`);
      await page.getByLabel('Token').fill(sluice.adminToken);
      await page.getByLabel('Token').press('Enter');
      await page.getByRole('heading', { name: 'Configs' }).waitFor();
      await page.getByRole('row').filter({ has: page.getByRole('link', { name: CONFIG_NAME }) }).waitFor();
      await page.goto(`${dashboard.url}/deploys/${deploy.id}`);
      await page.getByRole('heading', { name: `Deploy ${deploy.id}` }).waitFor();
      await page.locator('tr[data-step="resolve"]').filter({ hasText: 'done' }).waitFor();
      // Its log from the Server-Sent Events of GET /api/deploys/{id}/logs, through the proxy: the same last line.
      const last = log.via.body.trimEnd().split('\n').at(-1)!.replace(/^\S+ /, '');
      await page.locator('pre.log').filter({ hasText: last }).waitFor();

      // The DORA page through it: the figures autodeploy answers for the page's window.
      await page.goto(`${dashboard.url}/dora`);
      await page.getByRole('heading', { name: 'Delivery metrics (DORA)', level: 1 }).waitFor();
      await page.getByTestId('dora-scope').waitFor();
      await page.locator('dd[data-value]').first().waitFor();
      // What the page shows and the window it asked for, read at one moment (browser code as a string: no DOM types here).
      const shown = JSON.parse(
        String(
          await page.evaluate(`JSON.stringify({
            from: document.querySelectorAll('[data-testid="dora-scope"] time')[0].getAttribute('datetime'),
            to: document.querySelectorAll('[data-testid="dora-scope"] time')[1].getAttribute('datetime'),
            figures: Object.fromEntries([...document.querySelectorAll('dd[data-value]')].map((dd) => [dd.dataset.testid, JSON.parse(dd.dataset.value)])),
          })`),
        ),
      ) as { from: string; to: string; figures: Record<string, unknown> };
      const measured = await fetch(`${dashboard.url}/api/metrics/dora?${new URLSearchParams({ from: shown.from, to: shown.to })}`, { headers: admin });
      assert.equal(measured.status, 200);
      const dora = (await measured.json()) as DoraMetrics;
      assert.deepEqual(
        shown.figures,
        { 'dora-frequency': dora.deployments.perDay, 'dora-lead-time': dora.leadTimeSeconds.p50, 'dora-failure-rate': dora.changeFailureRate, 'dora-restore': dora.timeToRestoreSeconds.p50 },
        JSON.stringify({ shown, dora }),
      );
      assert.ok(dora.deployments.succeeded >= 1, 'the deploys made so far are measured');
      await page.getByRole('figure', { name: 'Deploys per day' }).waitFor();

      // An action from the config's page through it: Pin, confirmed with a reason in the dialog (an Unpin first when the flow left it pinned), then the pinned state shown.
      const wasPinned = (await scenario.api.config()).pin !== null;
      await page.goto(`${dashboard.url}/configs/${CONFIG_NAME}`);
      await page.getByRole('heading', { name: CONFIG_NAME, level: 1 }).waitFor();
      const pin = page.getByTestId('pin');
      const dialog = page.getByRole('dialog');
      const confirm = async (action: 'Pin' | 'Unpin', reason: string) => {
        await page.getByRole('button', { name: action, exact: true }).click();
        await dialog.waitFor();
        await dialog.getByLabel('Reason').fill(reason);
        await dialog.getByRole('button', { name: action, exact: true }).click();
        await dialog.waitFor({ state: 'hidden' });
      };
      if (wasPinned) {
        await pin.filter({ hasText: /^pinned by / }).waitFor();
        await confirm('Unpin', 'e2e: unpinned through the dashboard server');
        await pin.filter({ hasText: 'not pinned' }).waitFor();
      }
      await pin.filter({ hasText: 'not pinned' }).waitFor();
      await confirm('Pin', 'e2e: pinned through the dashboard server');
      await pin.filter({ hasText: /^pinned by .*: e2e: pinned through the dashboard server$/ }).waitFor();
      const pinned = await scenario.api.config();
      assert.equal(pinned.pin?.reason, 'e2e: pinned through the dashboard server', JSON.stringify(pinned.pin));
      if (!wasPinned) {
        await confirm('Unpin', 'e2e: done');
        await pin.filter({ hasText: 'not pinned' }).waitFor();
        assert.equal((await scenario.api.config()).pin, null);
      }
    } finally {
      if (issued) await fetch(`${sluice.urlFor('/api/admin/tokens')}/api/admin/tokens/${issued.id}`, { method: 'DELETE', headers: { authorization: `Bearer ${sluice.adminToken}` } }).catch(() => undefined);
      await browser.close();
      await dashboard.stop();
    }
  });

  it('the CLI and the DORA measures against the five services: `sluice configs`, `sluice history` routed by SLUICE_SERVICE_URLS; /api/metrics/dora counts the flow’s deploys', async () => {
    let deploys = await scenario.api.deploys().catch(() => [] as DeployView[]);
    if (!deploys.some((d) => d.kind === 'deploy' && d.phase === 'succeeded')) {
      await scenario.pushConfigRepo();
      await scenario.waitForVirtualConfig();
      await scenario.deployBuild(await scenario.pushArtifact('cli'));
      deploys = await scenario.api.deploys();
    }
    const home = mkdtempSync(join(tmpdir(), 'sluice-cli-'));
    const cli = (args: string[]) =>
      runCli(args, { home, url: sluice.services.autodeploy.url, env: { SLUICE_TOKEN: sluice.adminToken, SLUICE_SERVICE_URLS: SERVICES.map((x) => `${x}=${sluice.services[x].url}`).join(',') } });
    const configs = await cli(['configs', '--json']);
    assert.equal(configs.code, 0, configs.stderr);
    assert.ok((JSON.parse(configs.stdout) as { configs: Array<{ name: string }> }).configs.some((c) => c.name === CONFIG_NAME), configs.stdout);
    const history = await cli(['history', CONFIG_NAME, '--json']);
    assert.equal(history.code, 0, history.stderr);
    assert.ok((JSON.parse(history.stdout) as { history: unknown[] }).history.length > 0, history.stdout);
    const refused = await cli(['config', 'no-such-config']);
    assert.equal(refused.code, 1, 'the API’s 404 is a failure');
    assert.match(refused.stderr, /no-such-config/);

    const res = await fetch(`${sluice.urlFor('/api/metrics/dora')}/api/metrics/dora?config=${CONFIG_NAME}`, { headers: { authorization: `Bearer ${sluice.adminToken}` } });
    assert.equal(res.status, 200);
    const dora = (await res.json()) as { deployments: { succeeded: number } };
    const succeeded = deploys.filter((d) => d.phase === 'succeeded' && d.kind === 'deploy').length;
    assert.equal(dora.deployments.succeeded, succeeded, 'the succeeded deploys of the window');
  });

  it('every view of every service, rebuilt from the logs by `sluice replay`, equals the live one row for row (issue #23)', { timeout: 180_000 }, async () => {
    const db = new Client({ connectionString: sluice.db.url });
    await db.connect();
    try {
      /** Every row of every view, as JSON text in a fixed order; serial columns (they only order rows: a rebuild numbers anew) left out. */
      const dump = async (): Promise<Record<string, string>> => {
        const out: Record<string, string> = {};
        for (const [schema, tables] of Object.entries(VIEWS)) {
          for (const table of tables) {
            const serial: Array<{ column_name: string }> = (
              await db.query(`SELECT column_name FROM information_schema.columns WHERE table_schema = $1 AND table_name = $2 AND column_default LIKE 'nextval%'`, [schema, table])
            ).rows;
            const drop = serial.map((c) => ` - '${c.column_name}'`).join('');
            const { rows } = await db.query(`SELECT coalesce(json_agg(r ORDER BY r::text), '[]'::json)::text AS rows FROM (SELECT to_jsonb(t)${drop} AS r FROM ${schema}.${table} t) x`);
            out[`${schema}.${table}`] = rows[0].rows as string;
          }
        }
        return out;
      };
      // Quiet first: no event appended anywhere for 3 s, and autodeploy's read models at the end of its log.
      let last = '';
      let stableSince = Date.now();
      await waitFor(async () => {
        const { rows } = await db.query(
          `SELECT (SELECT count(*) FROM autodeploy.events) || '/' || (SELECT count(*) FROM repo_sync.events) || '/' || (SELECT count(*) FROM kube_applier.events) || '/' ||
                  (SELECT count(*) FROM commit_status.events) || '/' ||
                  (SELECT count(*) FROM autodeploy.events e WHERE NOT EXISTS (SELECT 1 FROM autodeploy.checkpoints c WHERE c.name = 'autodeploy.read-models'
                     AND (e.transaction_id, e.global_position) <= (c.transaction_id, c.global_position))) AS n`,
        );
        const now = String(rows[0].n);
        if (now !== last) [last, stableSince] = [now, Date.now()];
        return now.endsWith('/0') && Date.now() - stableSince >= 3_000;
      }, () => `the services to go quiet (${last})`);
      const live = await dump();
      assert.ok(JSON.parse(live['autodeploy.deploys']!).length > 0 && JSON.parse(live['repo_sync.commits']!).length > 0 && JSON.parse(live['commit_status.deploy_statuses']!).length > 0, 'the flow left rows to rebuild');

      const home = mkdtempSync(join(tmpdir(), 'sluice-cli-'));
      const replay = await runCli(['replay'], {
        home,
        url: sluice.services.autodeploy.url,
        env: { SLUICE_TOKEN: sluice.adminToken, SLUICE_SERVICE_URLS: SERVICES.map((x) => `${x}=${sluice.services[x].url}`).join(',') },
      });
      assert.equal(replay.code, 0, `${replay.stdout}\n${replay.stderr}`);
      assert.equal(replay.stdout.trim().split('\n').length, 1 + 12, replay.stdout);
      const rebuilt = await dump();
      for (const key of Object.keys(live)) assert.equal(rebuilt[key], live[key], `${key} rebuilt equal to the live one`);
    } finally {
      await db.end();
    }
  });
});

/** The views each service's replays rebuild (docs/architecture.md §4 "Rebuilding views"). */
const VIEWS: Record<string, readonly string[]> = {
  autodeploy: ['configs', 'deploys', 'config_history', 'builds', 'repos', 'branches', 'known_commits', 'commit_times', 'green_builds', 'config_routes', 'preview_configs', 'preview_pull_requests', 'preview_green_builds', 'team_policies'],
  repo_sync: ['repos', 'branches', 'commits', 'builds', 'configs', 'config_errors', 'config_scans', 'repo_names', 'team_tokens', 'team_policies'],
  kube_applier: ['outcomes', 'team_tokens', 'team_policies'],
  commit_status: ['deploy_statuses', 'config_repos', 'repo_providers', 'team_tokens'],
};
