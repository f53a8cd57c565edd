// Issue 21, sign-in with OpenID Connect in the dashboard: a real provider (the certified
// `oidc-provider` package, started here, CORS allowed for the dashboard), the all-in-one app
// configured with it, and Debian's Chromium going through the provider's own login page. The
// dashboard runs the authorization code flow with PKCE and uses the ID token as its bearer token,
// so what a person does there is recorded as that person. Screenshots go to
// .sluice-test/e2e/dashboard-oidc/.
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { startOidcProvider, type TestOidcProvider } from '@sluice/testing';
import { dashboardBrowser } from './support/browser';
import { ROOT } from './support/process';
import { CONFIG_NAME, Scenario } from './support/scenario';
import { startAllInOneApp, type AllInOneApp } from './support/sluice';
import { startWorld, type World } from './support/world';

const SHOTS = join(ROOT, '.sluice-test', 'e2e', 'dashboard-oidc');
const UI_TIMEOUT = 30_000;

describe('the dashboard signs people in with OpenID Connect', { timeout: 300_000 }, () => {
  let world: World;
  let sluice: AllInOneApp;
  let scenario: Scenario;
  let provider: TestOidcProvider;
  let browser: Browser;
  let host: string;

  const shot = (page: Page, name: string) => page.screenshot({ path: join(SHOTS, `${name}.png`), fullPage: true });
  const newPage = async (): Promise<Page> => {
    // A context each: its own provider session and its own sessionStorage, as another person's browser.
    const page = await (await browser.newContext({ viewport: { width: 1280, height: 800 } })).newPage();
    page.setDefaultTimeout(UI_TIMEOUT);
    return page;
  };
  /** Through the dashboard's button and the provider's own login form, back to the dashboard signed in. */
  const signIn = async (page: Page, login: string, screenshot?: string): Promise<void> => {
    await page.goto(`${sluice.process.url}/`);
    await page.getByRole('button', { name: `Sign in with ${host}` }).click();
    await page.waitForURL((url) => url.origin === provider.issuer);
    await page.locator('input[name="login"]').waitFor();
    if (screenshot) await shot(page, screenshot);
    await page.locator('input[name="login"]').fill(login);
    await page.locator('input[name="password"]').fill('any');
    await page.locator('input[name="password"]').press('Enter');
    const signedIn = page.getByTestId('signed-in').filter({ hasText: `Signed in as ${login}@example.com (${host})` });
    // The provider may ask to authorize the dashboard (its consent page) before sending the browser back.
    const consent = page.getByRole('button', { name: 'Continue' });
    await consent.or(signedIn).waitFor();
    if (await consent.isVisible()) await consent.click();
    await signedIn
      .waitFor()
      .catch(async (error: Error) => {
        throw new Error(`${login} is not signed in: at ${page.url()}: ${(await page.locator('body').innerText()).slice(0, 500)}\n${error.message}`);
      });
    assert.equal(new URL(page.url()).pathname, '/', 'the callback leaves for the configs');
  };
  const storedToken = async (page: Page): Promise<string> => (await page.evaluate('sessionStorage.getItem("sluice.token")')) as string;

  before(async () => {
    mkdirSync(SHOTS, { recursive: true });
    provider = await startOidcProvider(
      { alice: { groups: ['payments'] }, walt: { groups: ['web'] }, bob: { groups: ['payments', 'web'] } },
      { clientId: 'sluice-dashboard', extraRedirectUris: ['http://127.0.0.1/auth/callback'], corsOrigins: /^http:\/\/127\.0\.0\.1:\d+$/ },
    );
    host = new URL(provider.issuer).host;
    world = await startWorld('dashboard-oidc');
    sluice = await startAllInOneApp(world, {
      KUBE_APPLIER_TARGET: 'dry-run',
      COMMIT_STATUS_STORE: 'postgres',
      SLUICE_OIDC_ISSUER: provider.issuer,
      SLUICE_OIDC_CLIENT_ID: provider.clientId,
    });
    scenario = await Scenario.discovered(world, sluice);
    const artifact = await scenario.pushArtifact('first');
    await scenario.buildCompleted(artifact);
    await scenario.waitForDeployOf(artifact);
    browser = await dashboardBrowser();
  });

  after(async () => {
    await browser?.close();
    await sluice?.stop();
    await world?.stop();
    await provider?.stop();
  });

  it('serves the callback page, and offers the provider beside the token form', async () => {
    const callback = await fetch(`${sluice.process.url}/auth/callback?code=x&state=y`);
    assert.equal(callback.status, 200);
    assert.match(await callback.text(), /<div id="root"><\/div>/);
    const page = await newPage();
    await page.goto(`${sluice.process.url}/`);
    await page.getByRole('button', { name: `Sign in with ${host}` }).waitFor();
    await page.getByLabel('Token').waitFor();
    await page.context().close();
  });

  it('a person of the config’s team signs in at the provider, sees the config, and pins it as themselves', async () => {
    const page = await newPage();
    await signIn(page, 'alice', 'provider-login');
    const token = await storedToken(page);
    assert.equal(token.split('.').length, 3, 'the ID token is the bearer token');
    assert.equal(await page.evaluate('sessionStorage.getItem("sluice.oidc.pending")'), null, 'the verifier and state are gone once used');
    await page.getByRole('link', { name: CONFIG_NAME }).waitFor();
    await shot(page, 'signed-in');
    await page.getByRole('link', { name: CONFIG_NAME }).click();
    await page.getByRole('heading', { name: CONFIG_NAME }).waitFor();
    await page.getByRole('button', { name: 'Pin', exact: true }).click();
    const dialog = page.getByRole('dialog');
    await dialog.getByLabel('Reason').fill('hold from the dashboard');
    await dialog.getByRole('button', { name: 'Pin', exact: true }).click();
    await page.getByTestId('pin').filter({ hasText: 'pinned by user:alice@example.com' }).waitFor();
    // Through the API, with the admin token: the person is the actor, not just their team.
    assert.equal((await scenario.api.config()).pin?.by, 'user:alice@example.com');
    const history = await scenario.api.history();
    const entry = history.find((h) => h.reason === 'hold from the dashboard');
    assert.equal(entry?.actor, 'user:alice@example.com', JSON.stringify(history.slice(-5)));
    // Signing out forgets the token.
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByRole('button', { name: `Sign in with ${host}` }).waitFor();
    assert.equal(await storedToken(page), null);
    await page.context().close();
  });

  it('a person whose groups map to another team gets the API’s 403 for the config', async () => {
    const page = await newPage();
    await signIn(page, 'walt');
    await page.getByText('No configs visible to this token.').waitFor();
    const res = await fetch(`${sluice.process.url}/api/configs/${CONFIG_NAME}`, { headers: { authorization: `Bearer ${await storedToken(page)}` } });
    assert.equal(res.status, 403);
    const refusal = ((await res.json()) as { error: { message: string } }).error.message;
    await page.goto(`${sluice.process.url}/configs/${CONFIG_NAME}`);
    await page.getByRole('alert').filter({ hasText: refusal }).waitFor();
    await page.getByTestId('signed-in').filter({ hasText: 'walt@example.com' }).waitFor();
    await page.context().close();
  });

  it('a person in two teams chooses the team to act for; their pages and actions are that team’s', async () => {
    const page = await newPage();
    await signIn(page, 'bob');
    // The API asks which team (403 team_required, with the teams): the dashboard offers them.
    await page.getByRole('status').filter({ hasText: 'You are a member of teams payments, web: choose the team to act for' }).waitFor();
    const choice = page.getByLabel('Act for team');
    assert.deepEqual(await choice.locator('option').allInnerTexts(), ['Choose…', 'payments', 'web']);
    await choice.selectOption('web');
    await page.getByText('No configs visible to this token.').waitFor();
    await choice.selectOption('payments');
    await page.getByRole('link', { name: CONFIG_NAME }).click();
    await page.getByRole('heading', { name: CONFIG_NAME }).waitFor();
    await page.getByRole('button', { name: 'Unpin', exact: true }).or(page.getByRole('button', { name: 'Pin', exact: true })).waitFor();
    assert.equal(await page.evaluate('sessionStorage.getItem("sluice.team")'), 'payments', 'kept for the session');
    await shot(page, 'team-choice');
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByRole('button', { name: `Sign in with ${host}` }).waitFor();
    assert.equal(await page.evaluate('sessionStorage.getItem("sluice.team")'), null, 'forgotten at sign-out');
    await page.context().close();
  });

  it('an expired sign-in goes back to the sign-in page saying so', async () => {
    const page = await newPage();
    await signIn(page, 'alice');
    // The same ID token, its expiry moved into the past (its signature no longer matches either).
    const [header, payload, signature] = (await storedToken(page)).split('.');
    const claims = JSON.parse(Buffer.from(payload!, 'base64url').toString()) as Record<string, unknown>;
    const expired = [header, Buffer.from(JSON.stringify({ ...claims, exp: Math.floor(Date.now() / 1000) - 60 })).toString('base64url'), signature].join('.');
    assert.equal((await fetch(`${sluice.process.url}/api/configs`, { headers: { authorization: `Bearer ${expired}` } })).status, 401);
    await page.evaluate(`sessionStorage.setItem('sluice.token', ${JSON.stringify(expired)})`);
    await page.reload();
    await page.getByRole('alert').filter({ hasText: 'The sign-in of alice@example.com has expired: sign in again.' }).waitFor();
    await page.getByRole('button', { name: `Sign in with ${host}` }).waitFor();
    assert.equal(await storedToken(page), null);
    await page.context().close();
  });
});
