// Issue 21, sign-in with OpenID Connect: the all-in-one app accepts ID tokens of a real
// OpenID Connect provider (the certified `oidc-provider` package, started here), people get
// their teams from the `groups` claim, and the person — not just the team — is who a deploy
// was requested by. Sluice's own tokens keep working beside them.
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { startOidcProvider, type TestOidcProvider } from '@sluice/testing';
import { runCli, startCli } from './support/cli';
import { CONFIG_NAME, Scenario, waitFor } from './support/scenario';
import { startAllInOneApp, type AllInOneApp } from './support/sluice';
import { startWorld, type World } from './support/world';

describe('sign-in with OpenID Connect, all-in-one', { timeout: 300_000 }, () => {
  let world: World;
  let sluice: AllInOneApp;
  let scenario: Scenario;
  let provider: TestOidcProvider;
  let stranger: TestOidcProvider;
  let artifact: string;

  const ask = async (path: string, token: string, init: RequestInit & { team?: string } = {}): Promise<{ status: number; body: Record<string, unknown> }> => {
    const res = await fetch(`${sluice.process.url}${path}`, {
      ...init,
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', ...(init.team ? { 'x-sluice-team': init.team } : {}) },
    });
    return { status: res.status, body: (await res.json()) as Record<string, unknown> };
  };
  const message = (body: Record<string, unknown>) => (body['error'] as { message: string; code: string } | undefined) ?? { message: '', code: '' };

  before(async () => {
    provider = await startOidcProvider({
      alice: { groups: ['payments', 'Engineering'] },
      bob: { groups: ['payments', 'web'] },
      carol: { groups: ['sluice-admins'] },
      dave: { groups: ['Everyone'] },
    });
    stranger = await startOidcProvider({ alice: { groups: ['payments'] } });
    world = await startWorld('oidc');
    sluice = await startAllInOneApp(world, {
      KUBE_APPLIER_TARGET: 'dry-run',
      COMMIT_STATUS_STORE: 'postgres',
      SLUICE_OIDC_ISSUER: provider.issuer,
      SLUICE_OIDC_CLIENT_ID: provider.clientId,
      SLUICE_OIDC_ADMIN_GROUPS: 'sluice-admins',
    });
    scenario = await Scenario.discovered(world, sluice);
    artifact = await scenario.pushArtifact('first');
    await scenario.buildCompleted(artifact);
    await scenario.waitForDeployOf(artifact);
  });

  after(async () => {
    await sluice?.stop();
    await world?.stop();
    await provider?.stop();
    await stranger?.stop();
  });

  it('tells clients how to sign in, without a token', async () => {
    const res = await fetch(`${sluice.process.url}/api/auth/oidc`);
    assert.equal(res.status, 200);
    assert.deepEqual(await res.json(), { oidc: { issuer: provider.issuer, clientId: 'sluice', scopes: ['openid', 'email', 'groups'], teamsClaim: 'groups' } });
  });

  it('a person of one team sees its configs and deploys as themselves', async () => {
    const token = await provider.idTokenFor('alice');
    const list = await ask('/api/configs', token);
    assert.equal(list.status, 200, JSON.stringify(list.body));
    assert.deepEqual((list.body['configs'] as Array<{ name: string }>).map((c) => c.name), [CONFIG_NAME]);
    const second = await scenario.pushArtifact('second');
    await scenario.buildCompleted(second, 'failure'); // known to Sluice, not deployed by autodeploy
    await scenario.waitForBuildKnown(artifact);
    let deploy = { status: 0, body: {} as Record<string, unknown> };
    for (let i = 0; i < 50 && deploy.status !== 202; i++) {
      // 422 until the catalogue knows the pushed commit (reads are eventually consistent)
      deploy = await ask('/api/deploys', token, { method: 'POST', body: JSON.stringify({ config: CONFIG_NAME, artifactSha: second, configSha: world.configSha, reason: 'signed in' }) });
      if (deploy.status !== 202) await new Promise((r) => setTimeout(r, 200));
    }
    assert.equal(deploy.status, 202, JSON.stringify(deploy.body));
    assert.equal(deploy.body['created'], true);
    const view = await scenario.deployWhenKnown(deploy.body['deployId'] as string);
    assert.equal(view.requestedBy, 'user:alice@example.com');
    const history = await scenario.api.history();
    assert.ok(history.some((h) => h.deployId === view.id && h.actor === 'user:alice@example.com'), JSON.stringify(history.slice(0, 5)));
  });

  it('a person of several teams names the one to act for; one of none is refused', async () => {
    const bob = await provider.idTokenFor('bob');
    const unnamed = await ask('/api/configs', bob);
    assert.equal(unnamed.status, 403);
    // The teams to choose from come with the refusal (the dashboard offers them).
    assert.deepEqual(unnamed.body, {
      error: { code: 'team_required', message: 'user:bob@example.com is a member of teams payments, web: name the one to act for in the X-Sluice-Team header', details: { teams: ['payments', 'web'] } },
    });
    const asWeb = await ask('/api/configs', bob, { team: 'web' });
    assert.equal(asWeb.status, 200);
    assert.deepEqual(asWeb.body['configs'], [], 'team web has no configs');
    assert.equal((await ask(`/api/configs/${CONFIG_NAME}`, bob, { team: 'web' })).status, 403, "web may not read payments' config");
    assert.equal((await ask(`/api/configs/${CONFIG_NAME}`, bob, { team: 'payments' })).status, 200);
    const notMine = await ask('/api/configs', bob, { team: 'shipping' });
    assert.equal(notMine.status, 403);
    assert.equal(message(notMine.body).code, 'not_a_member');
    const dave = await ask('/api/configs', await provider.idTokenFor('dave'));
    assert.equal(dave.status, 403);
    assert.deepEqual(message(dave.body), { code: 'no_team', message: 'user:dave@example.com is in no Sluice team: none of the groups in the "groups" claim maps to a team' });
  });

  it('an admin group acts as the admin', async () => {
    const carol = await provider.idTokenFor('carol');
    assert.equal((await ask('/api/events?limit=1', carol)).status, 200);
    const alice = await provider.idTokenFor('alice');
    assert.equal((await ask('/api/events?limit=1', alice)).status, 403);
  });

  it('refuses a token of another issuer, a tampered one, and keeps Sluice tokens working', async () => {
    const foreign = await ask('/api/configs', await stranger.idTokenFor('alice'));
    assert.equal(foreign.status, 401);
    assert.equal(message(foreign.body).message, 'invalid or expired ID token');
    const [header, payload, signature] = (await provider.idTokenFor('alice')).split('.');
    const claims = JSON.parse(Buffer.from(payload!, 'base64url').toString()) as Record<string, unknown>;
    const forged = [header, Buffer.from(JSON.stringify({ ...claims, groups: ['sluice-admins'] })).toString('base64url'), signature].join('.');
    assert.equal((await ask('/api/events?limit=1', forged)).status, 401);
    assert.equal((await ask('/api/events?limit=1', sluice.adminToken)).status, 200);
  });

  it('sluice login --oidc: the person opens the printed address, signs in, and the CLI acts as them', async () => {
    const home = join(world.runDir, 'cli-home');
    mkdirSync(home, { recursive: true });
    const url = sluice.process.url;
    const login = startCli(['login', '--oidc'], { home, url });
    let address = '';
    await waitFor(() => {
      address = /^(http\S+\/auth\?\S+)$/m.exec(login.stderrSoFar())?.[1] ?? '';
      return address !== '';
    }, () => `the sign-in address on stderr (so far: ${login.stderrSoFar()})`, 60_000);
    const callback = await provider.signIn(address, 'alice');
    assert.equal(callback.origin.startsWith('http://127.0.0.1:'), true, callback.href);
    const page = await fetch(callback); // what the browser does next: back to the CLI's loopback port
    assert.equal(page.status, 200);
    assert.match(await page.text(), /Signed in to Sluice/);
    const done = await login.done;
    assert.equal(done.code, 0, done.stderr);
    assert.match(done.stdout, new RegExp(`^logged in to ${url.replace(/[.]/g, '\\.')} as alice@example\\.com: 1 configs visible`));
    const configs = await runCli(['configs'], { home, url });
    assert.equal(configs.code, 0, configs.stderr);
    assert.match(configs.stdout, new RegExp(`${CONFIG_NAME}\\s+payments`));
    const asBob = startCli(['login', '--oidc'], { home: join(home, 'bob'), url });
    await waitFor(() => /\/auth\?/.test(asBob.stderrSoFar()), () => 'the address for bob', 60_000);
    await fetch(await provider.signIn(/^(http\S+\/auth\?\S+)$/m.exec(asBob.stderrSoFar())![1]!, 'bob'));
    const bob = await asBob.done;
    assert.equal(bob.code, 1, 'bob is in two teams and named none');
    assert.match(bob.stderr, /member of teams payments, web: name the one to act for/);
  });
});
