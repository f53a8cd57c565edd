// Issue 21, web dashboard: the React app (apps/dashboard) built as `npm run build:dashboard`
// builds it, served by the all-in-one app at `/`, driven in a real browser (Debian's Chromium
// through playwright-core) against real data: the real kube-apiserver and the fake GitHub, a
// config discovered and builds deployed as in every e2e file. Screenshots of the main pages go to
// .sluice-test/e2e/dashboard/.
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { DoraMetrics } from '@sluice/dora';
import type { Browser, Page, Response as PlaywrightResponse } from 'playwright-core';
import { dashboardBrowser } from './support/browser';
import { ROOT } from './support/process';
import { ARTIFACT_REPO, CONFIG_NAME, Scenario, short, tagOf, waitFor } from './support/scenario';
import { startAllInOneApp, type AllInOneApp } from './support/sluice';
import { startWorld, type World } from './support/world';

const SHOTS = join(ROOT, '.sluice-test', 'e2e', 'dashboard');
const UI_TIMEOUT = 30_000;

/** GET /api/configs' config, as far as the configs page shows it. */
interface ListedConfig {
  name: string;
  artifact: { image: string } | null;
  track: { branch: string };
  autodeploy: boolean;
  current: { artifactSha: string | null; configSha: string | null; deployId: string | null };
  lastDeployId: string | null;
  pin: { by: string } | null;
}

/** GET /api/deploys/{id}, as far as the configs page shows it. */
interface DeployDetail {
  imageTag: string | null;
  phase: string;
  requestedBy: string;
  cause: string;
  steps: Array<{ name: string; state: string; result: string | null }>;
  timestamps: { succeededAt: string | null };
}


describe('the web dashboard in a real browser against the all-in-one app', { timeout: 480_000 }, () => {
  let world: World;
  let sluice: AllInOneApp;
  let scenario: Scenario;
  let browser: Browser;
  let page: Page;
  let firstArtifact: string;
  let firstDeploy: string;
  let secondArtifact: string;
  let secondDeploy: string;

  const shot = (name: string, on: Page = page) => on.screenshot({ path: join(SHOTS, `${name}.png`), fullPage: true });
  const apiError = async (path: string, token: string): Promise<{ status: number; message: string }> => {
    const res = await fetch(`${sluice.process.url}${path}`, { headers: { authorization: `Bearer ${token}` } });
    return { status: res.status, message: ((await res.json()) as { error: { message: string } }).error.message };
  };
  const signIn = async (on: Page, token: string) => {
    await on.goto(`${sluice.process.url}/`);
    await on.getByLabel('Token').fill(token);
    // The keyboard submits the form.
    await on.getByLabel('Token').press('Enter');
  };
  /** A browser signed in with a new token of team web (it sees none of the configs), closed after `use`. */
  const asWebTeam = async (use: (other: Page, token: string) => Promise<void>) => {
    const { token } = await scenario.api.post<{ token: string }>('/api/admin/tokens', { team: 'web' });
    const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    try {
      const other = await context.newPage();
      other.setDefaultTimeout(UI_TIMEOUT);
      await signIn(other, token);
      await other.getByText('No configs visible to this token.').waitFor();
      await use(other, token);
    } finally {
      await context.close();
    }
  };

  before(async () => {
    mkdirSync(SHOTS, { recursive: true });
    world = await startWorld('dashboard');
    sluice = await startAllInOneApp(world);
    scenario = await Scenario.discovered(world, sluice);
    firstArtifact = await scenario.pushArtifact('first');
    firstDeploy = (await scenario.deployBuild(firstArtifact)).id;
    browser = await dashboardBrowser();
    page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
    page.setDefaultTimeout(UI_TIMEOUT);
  });

  after(async () => {
    await browser?.close();
    await sluice?.stop();
    await world?.stop();
  });

  it('is served at / with its pages falling back to the app, while unknown and API paths keep the JSON 404', async () => {
    for (const path of ['/', `/configs/${CONFIG_NAME}`, '/deploys/some-id', '/events', '/commit-statuses', '/dora']) {
      const res = await fetch(`${sluice.process.url}${path}`);
      assert.equal(res.status, 200, path);
      assert.match(res.headers.get('content-type') ?? '', /^text\/html/, path);
      assert.match(await res.text(), /<div id="root"><\/div>/, path);
    }
    for (const path of ['/nothing', '/api/nothing', '/webhooks/github/nothing', '/configs']) {
      const res = await fetch(`${sluice.process.url}${path}`);
      assert.equal(res.status, 404, path);
      assert.deepEqual(await res.json(), { error: { code: 'not_found', message: `no route for GET ${path}` } }, path);
    }
    const asset = await fetch(`${sluice.process.url}/assets/no-such-bundle.js`);
    assert.equal(asset.status, 404, 'a missing asset is not the app');
    const health = await fetch(`${sluice.process.url}/healthz`);
    assert.deepEqual(await health.json(), { status: 'ok' });
  });

  it('refuses an unknown token with the API’s 401 message, signs in with the admin token and lists the config', async () => {
    const refused = await apiError('/api/configs', 'not-a-token');
    assert.equal(refused.status, 401);
    await signIn(page, 'not-a-token');
    await page.getByRole('alert').filter({ hasText: refused.message }).waitFor();
    await page.getByLabel('Token').fill(sluice.adminToken);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('heading', { name: 'Configs' }).waitFor();
    const row = page.getByRole('row').filter({ has: page.getByRole('link', { name: CONFIG_NAME }) });
    await row.waitFor();
    const headers = await page.getByRole('columnheader').allTextContents();
    assert.deepEqual(headers, ['Name', 'Team', 'Namespace', 'State (artifact / config)', 'Image tag', 'Health', 'Pinned', 'Last deploy', 'Autodeploy']);
    // The row as the API has it: the listed config, the deploy that made its current state and the deploy requested last.
    const listed = (await scenario.api.get<{ configs: ListedConfig[] }>('/api/configs')).configs.find((c) => c.name === CONFIG_NAME);
    assert.ok(listed, 'the config is listed');
    const { artifactSha, configSha, deployId } = listed.current;
    assert.ok(artifactSha && configSha && deployId && listed.lastDeployId && listed.artifact, JSON.stringify(listed));
    assert.equal(artifactSha, firstArtifact);
    const current = await scenario.api.get<DeployDetail>(`/api/deploys/${encodeURIComponent(deployId)}`);
    const last = await scenario.api.get<DeployDetail>(`/api/deploys/${encodeURIComponent(listed.lastDeployId)}`);
    const healthy = current.steps.find((st) => st.name === 'wait-healthy');
    assert.ok(current.imageTag && healthy?.state === 'done' && healthy.result, JSON.stringify(current));
    const lastAt = last.timestamps.succeededAt;
    assert.ok(lastAt, JSON.stringify(last));
    // The time as the browser writes it (its locale and time zone).
    const lastAtShown = String(await page.evaluate(`new Date(${JSON.stringify(lastAt)}).toLocaleString()`));
    const lastDeploy = `${last.phase} ${lastAtShown} by ${last.requestedBy} (${last.cause})`;
    // The deploys are read after the list: wait for them.
    await row.filter({ hasText: lastDeploy }).waitFor();
    const cells = await row.getByRole('cell').allTextContents();
    assert.deepEqual(cells, [
      CONFIG_NAME,
      'payments',
      world.namespace,
      `${short(artifactSha)} / ${short(configSha)}`,
      current.imageTag,
      healthy.result,
      listed.pin ? `yes (${listed.pin.by})` : 'no',
      lastDeploy,
      listed.autodeploy ? `on (${listed.track.branch})` : 'off',
    ]);
    assert.equal(current.imageTag, tagOf(firstArtifact), 'the tag of the deployed build');
    assert.equal(await row.getByRole('cell').nth(3).locator('code').getAttribute('title'), `artifact ${artifactSha}, config ${configSha}`, 'the full SHAs');
    assert.equal(await row.getByRole('cell').nth(4).locator('code').getAttribute('title'), `${listed.artifact.image}:${current.imageTag}`, 'the image reference');
    assert.equal(await row.getByRole('cell').nth(7).locator('time').getAttribute('datetime'), lastAt);
    assert.equal(await page.evaluate('sessionStorage.getItem("sluice.token")'), sluice.adminToken, 'the token is kept for the session only');
    // The team filter and the search box.
    await page.getByLabel('Team').selectOption('payments');
    await row.waitFor();
    await page.getByLabel('Search').fill('no-such-config');
    await page.getByText('No configs match.').waitFor();
    await page.getByLabel('Search').fill('billing');
    await row.waitFor();
    await shot('configs');
  });

  it('answers a GET with an ETag and 304 to its If-None-Match, through the all-in-one’s routing; a changed answer or another token gets the body', async () => {
    const path = `/api/configs/${CONFIG_NAME}`;
    const admin = { authorization: `Bearer ${sluice.adminToken}` };
    const first = await fetch(`${sluice.process.url}${path}`, { headers: admin });
    assert.equal(first.status, 200);
    const etag = first.headers.get('etag');
    assert.match(etag ?? '', /^W\/"[^"]+"$/, 'a weak ETag of the body');
    const body = await first.text();
    // As the dashboard asks (fetch sends a conditional request without a Cache-Control of its own as `no-cache`: a reload, always the body).
    const revalidate = { 'cache-control': 'max-age=0' };
    const reload = await fetch(`${sluice.process.url}${path}`, { headers: { ...admin, 'cache-control': 'no-cache', 'if-none-match': etag! } });
    assert.equal(reload.status, 200, 'a reload (Cache-Control: no-cache) gets the body');
    const again = await fetch(`${sluice.process.url}${path}`, { headers: { ...admin, ...revalidate, 'if-none-match': etag! } });
    assert.equal(again.status, 304);
    assert.equal(again.headers.get('etag'), etag);
    assert.equal(await again.text(), '');
    const stale = await fetch(`${sluice.process.url}${path}`, { headers: { ...admin, ...revalidate, 'if-none-match': 'W/"not-this-one"' } });
    assert.equal(stale.status, 200);
    assert.equal(await stale.text(), body);
    // Another token never gets a 304 for what it may not read: the API's 403, whatever the condition.
    const { token } = await scenario.api.post<{ token: string }>('/api/admin/tokens', { team: 'web' });
    const other = await fetch(`${sluice.process.url}${path}`, { headers: { authorization: `Bearer ${token}`, ...revalidate, 'if-none-match': etag! } });
    assert.equal(other.status, 403);
    const unknown = await fetch(`${sluice.process.url}${path}`, { headers: { authorization: 'Bearer not-a-token', ...revalidate, 'if-none-match': etag! } });
    assert.equal(unknown.status, 401);
  });

  it('opens the config and shows a new deploy arriving without a reload, with who and why in the history; idle polls are 304s, the event a 200 with a new ETag', async () => {
    // The browser's polls of the config (GET /api/configs/{name}), as they answer.
    const configUrl = `${sluice.process.url}/api/configs/${CONFIG_NAME}`;
    const polls: Array<{ status: number; etag: string | undefined; ifNoneMatch: string | undefined }> = [];
    const onResponse = (r: PlaywrightResponse) => {
      if (r.url() === configUrl && r.request().method() === 'GET') polls.push({ status: r.status(), etag: r.headers()['etag'], ifNoneMatch: r.request().headers()['if-none-match'] });
    };
    page.on('response', onResponse);
    await page.getByRole('link', { name: CONFIG_NAME }).click();
    await page.getByRole('heading', { name: CONFIG_NAME, level: 1 }).waitFor();
    await page.getByRole('row').filter({ hasText: tagOf(firstArtifact) }).filter({ hasText: 'succeeded' }).waitFor();
    assert.equal(await page.getByTestId('pin').textContent(), 'not pinned');
    // A marker on the window: gone if the page reloads. (Browser code as strings: the e2e files have no DOM types.)
    await page.evaluate('window.sluiceNoReload = true');
    // While the page sits idle, its polls revalidate: If-None-Match with the last ETag, answered 304 (no body).
    const idle = (n: number) => polls.length >= n && polls.slice(-n).every((p) => p.status === 304);
    await waitFor(() => idle(2), () => `two 304s in a row (polls: ${JSON.stringify(polls)})`, 30_000);
    assert.equal(polls[0]!.status, 200, 'the first load is the body');
    assert.equal(polls[0]!.ifNoneMatch, undefined);
    const idleEtag = polls.at(-1)!.etag;
    assert.ok(idleEtag, 'a 304 carries the ETag');
    assert.ok(polls.slice(-2).every((p) => p.ifNoneMatch === idleEtag && p.etag === idleEtag), JSON.stringify(polls));
    const seen = polls.length;
    secondArtifact = await scenario.pushArtifact('second');
    secondDeploy = (await scenario.deployBuild(secondArtifact)).id;
    const row = page.getByRole('row').filter({ hasText: tagOf(secondArtifact) });
    await row.filter({ hasText: 'succeeded' }).waitFor();
    assert.match((await row.textContent()) ?? '', /autodeploy/);
    assert.equal(await page.evaluate('window.sluiceNoReload'), true, 'the page was not reloaded');
    // The event changed the config: a 200 with a new ETag, sent as the condition by the next poll.
    const changed = polls.slice(seen).find((p) => p.status === 200);
    assert.ok(changed?.etag && changed.etag !== idleEtag && changed.ifNoneMatch === idleEtag, JSON.stringify(polls.slice(seen)));
    await waitFor(() => polls.some((p, i) => i > seen && p.ifNoneMatch !== idleEtag && p.ifNoneMatch !== undefined), () => `a poll revalidating the new ETag (polls: ${JSON.stringify(polls.slice(seen))})`, 30_000);
    page.off('response', onResponse);
    const deploys = await page.locator('tr[data-deploy]').evaluateAll((rows) => rows.map((r) => r.getAttribute('data-deploy')));
    assert.equal(deploys[0], secondDeploy, 'newest first');
    const history = page.getByRole('list').filter({ has: page.getByRole('listitem') }).getByRole('listitem');
    assert.ok((await history.count()) > 2, 'the config’s history');
    assert.match((await history.first().textContent()) ?? '', /deploy/, 'newest first');
    await shot('config');
  });

  it('shows a deploy’s steps with their results — the page its commit status on GitHub links to', async () => {
    // The link of Sluice's commit status on the build's commit opens this page, not the API's 401.
    const link = world.github.statuses(ARTIFACT_REPO, secondArtifact).find((x) => x.state === 'success' && x.context === `sluice/${CONFIG_NAME}`)?.target_url;
    assert.equal(link, `${sluice.urlFor('/')}/deploys/${secondDeploy}`);
    await page.goto(link!);
    await page.getByRole('heading', { name: `Deploy ${secondDeploy}` }).waitFor();
    for (const step of ['resolve', 'apply', 'wait-healthy']) {
      const row = page.locator(`tr[data-step="${step}"]`);
      await row.filter({ hasText: 'done' }).waitFor();
    }
    assert.match((await page.locator('tr[data-step="apply"]').textContent()) ?? '', /applied/);
    assert.match((await page.locator('tr[data-step="wait-healthy"]').textContent()) ?? '', /healthy/);
    // Its log, from the Server-Sent Events of GET /api/deploys/{id}/logs: the whole of an ended deploy.
    const log = page.locator('pre.log');
    await log.filter({ hasText: /step apply done: \d+ objects? applied/ }).waitFor();
    await log.filter({ hasText: /deploy succeeded$/ }).waitFor();
    await page.getByRole('heading', { name: 'Log', exact: true }).waitFor();
    await shot('deploy');
  });

  it('opens the statuses of a deploy’s artifact commit from its page: sluice/<config> success, and the form for another commit', async () => {
    await page.getByRole('link', { name: `statuses of commit ${short(secondArtifact)}` }).click();
    await page.getByRole('heading', { name: 'Commit statuses' }).waitFor();
    assert.equal(await page.getByLabel('Repository', { exact: true }).inputValue(), ARTIFACT_REPO);
    assert.equal(await page.getByLabel('Commit', { exact: true }).inputValue(), secondArtifact);
    const row = page.getByRole('row').filter({ has: page.getByRole('cell', { name: `sluice/${CONFIG_NAME}`, exact: true }) });
    await row.filter({ hasText: 'success' }).waitFor();
    const cells = await row.getByRole('cell').allTextContents();
    assert.deepEqual(cells.slice(0, 3), [`sluice/${CONFIG_NAME}`, short(secondArtifact), 'success']);
    assert.equal(cells[4], `${sluice.urlFor('/')}/deploys/${secondDeploy}`, 'the link GitHub shows');
    await shot('commit-statuses');
    // The form, with the keyboard: a commit without statuses, then a refusal shown as the API wrote it.
    await page.getByLabel('Commit', { exact: true }).fill('0'.repeat(40));
    await page.getByLabel('Commit', { exact: true }).press('Enter');
    await page.getByText('No statuses on this commit.').waitFor();
    const refused = await apiError(`/api/commit-statuses?repo=${ARTIFACT_REPO}&sha=not-a-sha`, sluice.adminToken);
    assert.equal(refused.status, 400);
    await page.getByLabel('Commit', { exact: true }).fill('not-a-sha');
    await page.getByLabel('Commit', { exact: true }).press('Enter');
    await page.getByRole('alert').filter({ hasText: refused.message }).waitFor();
    await page.goto(`${sluice.process.url}/deploys/${secondDeploy}`);
    await page.getByRole('heading', { name: `Deploy ${secondDeploy}` }).waitFor();
  });

  it('re-applies the older deploy through the confirmation dialog, follows it, and shows the pin; unpin lets go', async () => {
    await page.getByRole('link', { name: `← ${CONFIG_NAME}` }).click();
    await page.getByRole('button', { name: `Re-apply ${tagOf(firstArtifact)}` }).click();
    const dialog = page.getByRole('dialog');
    await dialog.waitFor();
    // Cancel leaves everything as it was.
    await dialog.getByRole('button', { name: 'Cancel' }).click();
    await dialog.waitFor({ state: 'hidden' });
    await page.getByRole('button', { name: `Re-apply ${tagOf(firstArtifact)}` }).click();
    await dialog.getByLabel('Reason').fill('rollback from the dashboard');
    await shot('reapply-dialog');
    await dialog.getByRole('button', { name: 'Re-apply' }).click();
    // The new deploy's page, live: applied to the cluster, then rolled out.
    await page.getByRole('heading', { name: /^Deploy / }).waitFor();
    await scenario.waitForApplied(firstArtifact);
    // The log follows the deploy live: waiting for the rollout, then its end.
    const log = page.locator('pre.log');
    await log.filter({ hasText: /step wait-healthy started/ }).waitFor();
    await page.getByRole('heading', { name: 'Log (live)' }).waitFor();
    await scenario.rollOut();
    await log.filter({ hasText: /step wait-healthy done: healthy\n(.*\n)*.*deploy succeeded$/ }).waitFor();
    await page.locator('dd').filter({ hasText: 'succeeded' }).first().waitFor({ timeout: 60_000 });
    await page.getByText(/rollback from the dashboard/).first().waitFor();
    await page.getByRole('link', { name: `← ${CONFIG_NAME}` }).click();
    await page.getByTestId('pin').filter({ hasText: /^pinned by .*rollback from the dashboard/ }).waitFor();
    const config = await scenario.api.config();
    assert.equal(config.current.artifactSha, firstArtifact);
    await shot('config-pinned');
    await page.getByRole('button', { name: 'Unpin' }).click();
    await dialog.getByLabel('Reason').fill('done');
    await dialog.getByRole('button', { name: 'Unpin' }).click();
    await page.getByTestId('pin').filter({ hasText: 'not pinned' }).waitFor();
    assert.equal((await scenario.api.config()).pin, null);
  });

  it('diffs the manifests two deploys rendered: the image tag line removed and added, nothing for a re-apply of the same build', async () => {
    await page.getByRole('heading', { name: 'Compare manifests' }).waitFor();
    await page.getByLabel('From', { exact: true }).selectOption(firstDeploy);
    await page.getByLabel('To', { exact: true }).selectOption(secondDeploy);
    await page.getByRole('button', { name: 'Compare', exact: true }).click();
    const diff = page.getByLabel('Manifests diff');
    await diff.waitFor();
    const lines = ((await diff.textContent()) ?? '').split('\n');
    const changed = (sign: '-' | '+', sha: string) => lines.filter((l) => new RegExp(`^\\${sign}\\s+(- )?image: \\S+:${tagOf(sha)}$`).test(l));
    assert.equal(changed('-', firstArtifact).length, 1, `the old image line removed in:\n${lines.join('\n')}`);
    assert.equal(changed('+', secondArtifact).length, 1, `the new image line added in:\n${lines.join('\n')}`);
    assert.ok(!lines.some((l) => /^[-+]\s/.test(l) && l.includes('namespace:')), 'only what changed is marked');
    await shot('diff');
    // The re-apply of the first build rendered what the first deploy did.
    const firstBuild = await page.locator('tr[data-deploy]').filter({ hasText: tagOf(firstArtifact) }).evaluateAll((rows) => rows.map((r) => r.getAttribute('data-deploy')));
    const reapplied = firstBuild.find((id) => id !== firstDeploy);
    assert.ok(reapplied, 'the re-apply is listed');
    await page.getByLabel('To', { exact: true }).selectOption(reapplied);
    await page.getByRole('button', { name: 'Compare', exact: true }).click();
    await page.getByText('The two deploys rendered the same manifests.').waitFor();
  });

  it('shows the event log to the admin', async () => {
    await page.getByRole('link', { name: 'Event log' }).click();
    await page.getByRole('heading', { name: 'Event log' }).waitFor();
    await page.getByRole('row').filter({ hasText: `config-${CONFIG_NAME}` }).first().waitFor();
    // Filtered by config, type and who: the manual re-apply (the admin's), and nothing else.
    await page.getByLabel('Config').fill(CONFIG_NAME);
    await page.getByLabel('Type').fill('deploy.requested');
    await page.getByLabel('Who').fill('admin');
    await page.getByRole('row').filter({ hasText: 'deploy.requested' }).first().waitFor();
    const rows = await page.locator('tbody tr').evaluateAll((trs) => trs.map((tr) => tr.textContent ?? ''));
    assert.ok(rows.length > 0 && rows.every((r) => r.includes('deploy.requested') && r.includes('admin')), JSON.stringify(rows));
    await page.getByLabel('Who').fill('nobody-at-all');
    await page.locator('tbody tr').first().waitFor({ state: 'detached' });
    await page.getByLabel('Who').fill('');
    await shot('events');
  });

  it('shows the DORA measures GET /api/metrics/dora answers for the same window, with recharts charts and their tables, filtered, at a phone width too', async () => {
    // Anything the content security policy blocks (recharts draws with the DOM only) is a failure.
    const blocked: string[] = [];
    const onConsole = (m: { type(): string; text(): string }) => m.type() === 'error' && /Content Security Policy/i.test(m.text()) && blocked.push(m.text());
    page.on('console', onConsole);
    await page.getByRole('link', { name: 'Delivery metrics' }).click();
    await page.getByRole('heading', { name: 'Delivery metrics (DORA)', level: 1 }).waitFor();
    const scope = page.getByTestId('dora-scope');
    await scope.waitFor();
    // What the page shows and the window it asked for, read at one moment (it polls, and its window ends now).
    const read = async (): Promise<{ from: string; to: string; scope: string; figures: Record<string, { value: unknown; text: string; hint: string }> }> =>
      JSON.parse(
        String(
          await page.evaluate(`JSON.stringify({
            from: document.querySelectorAll('[data-testid="dora-scope"] time')[0].getAttribute('datetime'),
            to: document.querySelectorAll('[data-testid="dora-scope"] time')[1].getAttribute('datetime'),
            scope: document.querySelector('[data-testid="dora-scope"]').textContent,
            figures: Object.fromEntries([...document.querySelectorAll('dd[data-value]')].map((dd) => [dd.dataset.testid, { value: JSON.parse(dd.dataset.value), text: dd.textContent, hint: dd.nextElementSibling.textContent }])),
          })`),
        ),
      );
    const measured = async (query: string) => {
      const res = await fetch(`${sluice.process.url}/api/metrics/dora?${query}`, { headers: { authorization: `Bearer ${sluice.adminToken}` } });
      assert.equal(res.status, 200, query);
      return (await res.json()) as { config: string | null; team: string | null } & DoraMetrics;
    };
    const assertSame = (shown: Awaited<ReturnType<typeof read>>, dora: Awaited<ReturnType<typeof measured>>) => {
      const f = shown.figures;
      assert.deepEqual(
        Object.fromEntries(Object.entries(f).map(([k, v]) => [k, v.value])),
        { 'dora-frequency': dora.deployments.perDay, 'dora-lead-time': dora.leadTimeSeconds.p50, 'dora-failure-rate': dora.changeFailureRate, 'dora-restore': dora.timeToRestoreSeconds.p50 },
        JSON.stringify({ shown, dora }),
      );
      assert.match(f['dora-frequency']!.text, new RegExp(`^${Math.round(dora.deployments.perDay * 100) / 100} / day$`));
      assert.match(f['dora-frequency']!.hint, new RegExp(`^${dora.deployments.succeeded} deploys? succeeded, ${dora.deployments.failed} failed$`));
      assert.equal(f['dora-failure-rate']!.text, dora.changeFailureRate === null ? '—' : `${Math.round(dora.changeFailureRate * 1000) / 10} %`);
      assert.match(f['dora-failure-rate']!.hint, new RegExp(`^${dora.deployments.failed} failed and ${dora.deployments.rolledBack} rolled back of `));
      assert.match(f['dora-restore']!.hint, new RegExp(`of ${dora.timeToRestoreSeconds.samples} restores?; ${dora.timeToRestoreSeconds.unrestored} not restored yet$`));
      assert.match(f['dora-lead-time']!.hint, new RegExp(`of ${dora.leadTimeSeconds.samples} deploys?$`));
    };

    // All teams, the last 30 days: the page's figures are the API's for its window.
    const all = await read();
    const dora = await measured(new URLSearchParams({ from: all.from, to: all.to }).toString());
    assertSame(all, dora);
    assert.ok(dora.deployments.succeeded >= 3 && dora.deployments.rolledBack >= 1, 'the deploys and the re-apply of this file are measured');
    assert.match(all.scope, /^All teams, from .* \(\d+(\.\d+)? days\)\.$/);

    // The charts, drawn by recharts: a bar for each day with deploys, a dot for each day with a lead time.
    const deploysChart = page.getByTestId('dora-deploys-chart');
    const leadChart = page.getByTestId('dora-lead-time-chart');
    await deploysChart.locator('.recharts-wrapper > svg.recharts-surface').first().waitFor();
    await leadChart.locator('.recharts-wrapper > svg.recharts-surface').first().waitFor();
    await deploysChart.locator('.recharts-bar-rectangle path').first().waitFor();
    const bars = await deploysChart.locator('.recharts-bar-rectangle path').count();
    assert.equal(bars, dora.daily.filter((d) => d.succeeded > 0).length + dora.daily.filter((d) => d.failed > 0).length, 'one bar per day and outcome with deploys');
    assert.equal(await leadChart.locator('.recharts-line-dots circle').count(), dora.daily.filter((d) => d.leadTimeP50 !== null).length, 'one dot per day with a lead time');
    await page.getByRole('figure', { name: 'Deploys per day' }).waitFor();
    await shot('dora');

    // The charts' text alternative, opened with the keyboard: the API's days as table rows.
    await deploysChart.getByText('Deploys per day as a table').focus();
    await page.keyboard.press('Enter');
    const rows = deploysChart.locator('tbody tr');
    await rows.first().waitFor();
    assert.equal(await rows.count(), dora.daily.length);
    const cells = await rows.evaluateAll((trs) => trs.map((tr) => [...tr.querySelectorAll('td')].map((td) => td.textContent ?? '')));
    assert.deepEqual(cells.map((c) => [Number(c[1]), Number(c[2])]), dora.daily.map((d) => [d.succeeded, d.failed]));

    // Filtered: the last 7 days of the config (its team chosen first), as the URL says.
    await page.getByLabel('Team').selectOption('payments');
    await page.getByLabel('Config').selectOption(CONFIG_NAME);
    await page.getByLabel('Window').selectOption('7');
    await page.waitForURL(`${sluice.process.url}/dora?days=7&team=payments&config=${CONFIG_NAME}`);
    await scope.filter({ hasText: new RegExp(`^Config ${CONFIG_NAME}, from .* \\(([0-6](\\.\\d+)?|7) days\\)\\.$`) }).waitFor();
    const filtered = await read();
    assertSame(filtered, await measured(new URLSearchParams({ config: CONFIG_NAME, team: 'payments', from: filtered.from, to: filtered.to }).toString()));
    assert.ok(Date.parse(filtered.to) - Date.parse(filtered.from) <= 7 * 86_400_000);

    // A phone: figures and charts fit without scrolling sideways.
    await page.setViewportSize({ width: 390, height: 844 });
    // The charts follow their box's width (ResizeObserver): once they have, nothing is wider than the screen.
    // (Polled in the page by an expression: waitForFunction would need the eval the dashboard's CSP forbids.)
    await page.evaluate(`new Promise((resolve) => {
      const until = Date.now() + 10000;
      const check = () => [...document.querySelectorAll('.recharts-wrapper > svg.recharts-surface')].every((svg) => Number(svg.getAttribute('width')) <= 390) || Date.now() > until ? resolve(true) : requestAnimationFrame(check);
      check();
    })`);
    const overflow = Number(await page.evaluate('document.documentElement.scrollWidth - document.documentElement.clientWidth'));
    assert.ok(overflow <= 0, `the page scrolls sideways by ${overflow}px`);
    const width = Number(await deploysChart.locator('.recharts-wrapper > svg.recharts-surface').first().getAttribute('width'));
    assert.ok(width > 200 && width <= 390, `the chart is ${width}px wide`);
    await shot('dora-phone');
    await page.setViewportSize({ width: 1280, height: 800 });
    page.off('console', onConsole);
    assert.deepEqual(blocked, []);

    // Another team's token asking for payments: the API's 403, as written; its own team by default.
    await asWebTeam(async (other, token) => {
      const forbidden = await apiError('/api/metrics/dora?team=payments', token);
      assert.equal(forbidden.status, 403);
      await other.goto(`${sluice.process.url}/dora?team=payments`);
      await other.getByRole('alert').filter({ hasText: forbidden.message }).waitFor();
      await other.getByLabel('Team').selectOption('');
      await other.getByTestId('dora-scope').filter({ hasText: /^Team web, / }).waitFor();
    });
  });

  it('is usable at a phone width: no horizontal scrolling, every row readable', async () => {
    await page.setViewportSize({ width: 390, height: 844 });
    await page.getByRole('link', { name: 'Configs', exact: true }).click();
    // The configs table, each row a stack of labelled values.
    await page.locator(`tr[data-config="${CONFIG_NAME}"] td[data-label="Last deploy"] time`).waitFor();
    const configsOverflow = Number(await page.evaluate('document.documentElement.scrollWidth - document.documentElement.clientWidth'));
    assert.ok(configsOverflow <= 0, `the configs page scrolls sideways by ${configsOverflow}px`);
    await shot('configs-phone');
    await page.getByRole('link', { name: CONFIG_NAME }).click();
    await page.getByRole('row').filter({ hasText: tagOf(secondArtifact) }).first().waitFor();
    const overflow = Number(await page.evaluate('document.documentElement.scrollWidth - document.documentElement.clientWidth'));
    assert.ok(overflow <= 0, `the page scrolls sideways by ${overflow}px`);
    await shot('config-phone');
    await page.setViewportSize({ width: 1280, height: 800 });
  });

  it('deploys a branch head through the Deploy dialog (a short SHA refused as the API would not take it), then undeploys', async () => {
    // The deploys of the tests before may still wait for their rollout (one deploy in flight per config): finish them.
    await waitFor(
      async () => {
        if ((await scenario.api.get<{ inFlightDeployId: string | null }>(`/api/configs/${CONFIG_NAME}`)).inFlightDeployId === null) return true;
        await scenario.rollOut();
        return false;
      },
      () => 'no deploy in flight',
      120_000,
    );
    const sha = await scenario.pushArtifact('from-the-dashboard');
    await page.goto(`${sluice.process.url}/configs/${CONFIG_NAME}`);
    await page.getByRole('button', { name: 'Deploy…', exact: true }).click();
    const dialog = page.getByRole('dialog');
    assert.equal(await dialog.getByLabel('Artifact commit').inputValue(), 'main', 'the tracked branch by default');
    await dialog.getByLabel('Artifact commit').fill(short(sha));
    await dialog.getByLabel('Reason').fill('from the dashboard');
    await dialog.getByRole('button', { name: 'Deploy', exact: true }).click();
    await dialog.getByRole('alert').filter({ hasText: 'give the full 40-character SHA or a branch name' }).waitFor();
    await dialog.getByLabel('Artifact commit').fill('main');
    await dialog.getByRole('button', { name: 'Deploy', exact: true }).click();
    await page.waitForURL(/\/deploys\//);
    const deployId = decodeURIComponent(new URL(page.url()).pathname.split('/').pop()!);
    const deployed = await scenario.deployWhenKnown(deployId);
    assert.equal(deployed.artifactSha, sha, 'the head of main');
    assert.equal(deployed.cause, 'manual');
    assert.equal(deployed.reason, 'from the dashboard');
    await scenario.waitForApplied(sha);
    await scenario.rollOut();
    await scenario.waitForPhase(deployId, 'succeeded');
    await page.goto(`${sluice.process.url}/configs/${CONFIG_NAME}`);
    await page.getByRole('button', { name: 'Undeploy…', exact: true }).click();
    await dialog.getByLabel('Reason').fill('done with it');
    await dialog.getByRole('button', { name: 'Undeploy', exact: true }).click();
    await page.waitForURL(/\/deploys\//);
    const undeployId = decodeURIComponent(new URL(page.url()).pathname.split('/').pop()!);
    const undeploy = await scenario.waitForPhase(undeployId, 'succeeded');
    assert.equal(undeploy.kind, 'undeploy');
    await waitFor(async () => (await scenario.deployment()) === undefined, () => 'the Deployment removed', 60_000);
  });

  it('shows the API’s refusal of a deploy in the confirmation dialog as written: a full SHA that is no commit of the artifact repository', async () => {
    // Well-formed, so the dashboard sends it; only the API knows it is no commit it has seen.
    const unknown = 'deadbeef'.repeat(5);
    const reason = 'a commit nobody pushed';
    await page.goto(`${sluice.process.url}/configs/${CONFIG_NAME}`);
    await page.getByRole('button', { name: 'Deploy…', exact: true }).click();
    const dialog = page.getByRole('dialog');
    await dialog.getByLabel('Artifact commit').fill(unknown);
    const configSha = await dialog.getByLabel('Config commit').inputValue();
    assert.match(configSha, /^[0-9a-f]{40}$/, 'the dialog offers a config commit');
    await dialog.getByLabel('Reason').fill(reason);
    // The same request, made directly: the API's refusal to compare with.
    const res = await fetch(`${sluice.process.url}/api/deploys`, {
      method: 'POST',
      headers: { authorization: `Bearer ${sluice.adminToken}`, 'content-type': 'application/json' },
      body: JSON.stringify({ config: CONFIG_NAME, artifactSha: unknown, configSha, reason }),
    });
    const refused = (await res.json()) as { error: { code: string; message: string } };
    assert.equal(res.status, 422, JSON.stringify(refused));
    await dialog.getByRole('button', { name: 'Deploy', exact: true }).click();
    const alert = dialog.getByRole('alert');
    await alert.waitFor();
    assert.equal(await alert.textContent(), `${refused.error.message} (422 ${refused.error.code})`, 'the API’s message as written');
    await shot('deploy-refused');
    // The dialog stays open with what was typed; nothing was deployed.
    assert.equal(await dialog.getByLabel('Artifact commit').inputValue(), unknown);
    assert.equal(new URL(page.url()).pathname, `/configs/${CONFIG_NAME}`);
    const config = await scenario.api.config();
    assert.equal(config.inFlightDeployId, null);
    assert.equal(config.queuedDeployId, null);
    await dialog.getByRole('button', { name: 'Cancel' }).click();
    await dialog.waitFor({ state: 'hidden' });
  });

  it('shows another team’s token the API’s 403 message for the config, as written', async () => {
    await asWebTeam(async (other, token) => {
      const forbidden = await apiError(`/api/configs/${CONFIG_NAME}`, token);
      assert.equal(forbidden.status, 403);
      // A link to the config, opened directly (the all-in-one answers it with the app).
      await other.goto(`${sluice.process.url}/configs/${CONFIG_NAME}`);
      const alert = other.getByRole('alert');
      await alert.waitFor();
      assert.match((await alert.textContent()) ?? '', new RegExp(`^${forbidden.message.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} \\(403 `));
      await shot('forbidden', other);
      const event = await apiError('/api/events', token);
      await other.getByRole('link', { name: 'Event log' }).click();
      await other.getByRole('alert').filter({ hasText: event.message }).waitFor();
    });
  });
});
