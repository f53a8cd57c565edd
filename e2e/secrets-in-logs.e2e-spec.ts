// Issue 23, "Secrets in logs": the all-in-one run with every kind of secret set — the admin token,
// the webhook secret, the GitHub token, Slack's bot token and signing secret, registry credentials —
// and driven through what puts secrets near a log: webhooks signed right and wrong, a bearer token
// refused, a team token issued and used, a Slack command signed right and wrong, a deploy. Then its
// whole log, and every other log the test run has written so far, are searched for every secret.
import assert from 'node:assert/strict';
import { existsSync, lstatSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { FakeSlack } from '@sluice/fake-scm';
import { ROOT } from './support/process';
import { Scenario, waitFor } from './support/scenario';
import { startAllInOneApp, type AllInOneApp } from './support/sluice';
import { ADMIN_TOKEN, GITHUB_TOKEN, sendWebhook, startWorld, WEBHOOK_SECRET, type World } from './support/world';

const SIGNING_SECRET = 'e2e-secrets-slack-signing-5c1f9e';
const BOT_TOKEN = 'xoxb-e2e-secrets-bot-7d2a4b';
const REGISTRY_PASSWORD = 'e2e-registry-password-91ab3c';
const ADMIN = 'e2e-secrets-admin-token-0123456789abcdef';

/** Every file under `dir` whose name ends in .log (symbolic links and node_modules not followed: npx links the checkout into a test's home). */
function logFiles(dir: string, out: string[] = []): string[] {
  if (!existsSync(dir)) return out;
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    const stat = lstatSync(path);
    if (stat.isSymbolicLink() || name === 'node_modules') continue;
    if (stat.isDirectory()) logFiles(path, out);
    else if (name.endsWith('.log')) out.push(path);
  }
  return out;
}

describe('no secret in any log', { timeout: 240_000 }, () => {
  let world: World;
  let slack: FakeSlack;
  let sluice: AllInOneApp;
  let scenario: Scenario;
  let teamToken = '';

  before(async () => {
    world = await startWorld('secrets');
    slack = new FakeSlack({ tokens: [BOT_TOKEN] });
    await slack.start();
    sluice = await startAllInOneApp(world, {
      SLUICE_ADMIN_TOKEN: ADMIN,
      SLACK_BOT_TOKEN: BOT_TOKEN,
      SLACK_SIGNING_SECRETS: SIGNING_SECRET,
      SLACK_API_URL: `${slack.url}/api/`,
      SLACK_USER_TEAMS: JSON.stringify({ U0ALICE01: ['payments'] }),
      SLUICE_REGISTRY_CREDENTIALS: JSON.stringify({ 'registry.example.com': { username: 'sluice', password: REGISTRY_PASSWORD } }),
      LOG_LEVEL: 'debug',
    });
    scenario = await Scenario.discovered(world, sluice);
  });

  after(async () => {
    await sluice?.stop();
    await slack?.stop();
    await world?.stop();
  });

  it('drives what handles secrets: webhooks signed right and wrong, tokens refused and issued, Slack signed right and wrong, a deploy', async () => {
    const signed = await sendWebhook(sluice.webhookUrl, 'push', world.github.events.push('acme/billing', { branch: 'main' }));
    assert.equal(signed.status, 202, 'the right secret');
    const wrong = await fetch(sluice.webhookUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-github-event': 'push', 'x-github-delivery': 'secrets-drill-1', 'x-hub-signature-256': `sha256=${'ab'.repeat(32)}` },
      body: '{}',
    });
    assert.equal(wrong.status, 401);
    for (const token of [`${ADMIN}x`, GITHUB_TOKEN, WEBHOOK_SECRET]) {
      const refused = await fetch(`${sluice.process.url}/api/configs`, { headers: { authorization: `Bearer ${token}` } });
      assert.equal(refused.status, 401, 'a wrong bearer token');
    }
    const issued = (await scenario.api.post<{ token: string }>('/api/admin/tokens', { team: 'payments' })).token;
    teamToken = issued;
    assert.equal((await fetch(`${sluice.process.url}/api/configs`, { headers: { authorization: `Bearer ${issued}` } })).status, 200);
    const status = slack.slashCommand({ text: 'status billing-api', userId: 'U0ALICE01', channelId: 'C0DEPLOYS1' }, SIGNING_SECRET);
    assert.equal((await fetch(`${sluice.process.url}/chat/slack/commands`, { method: 'POST', headers: status.headers, body: status.body })).status, 200);
    const forgedSlack = slack.slashCommand({ text: 'status billing-api', userId: 'U0ALICE01', channelId: 'C0DEPLOYS1' }, 'not-the-secret');
    assert.equal((await fetch(`${sluice.process.url}/chat/slack/commands`, { method: 'POST', headers: forgedSlack.headers, body: forgedSlack.body })).status, 401);
    const sha = await scenario.pushArtifact('secrets');
    await scenario.buildCompleted(sha);
    await scenario.waitForDeployOf(sha);
    await waitFor(() => slack.ephemerals('U0ALICE01').length > 0, () => 'Slack answered', 30_000);
  });

  it('none of them is in this run’s log, nor in any log the test run has written', async () => {
    const secrets: Record<string, string> = {
      'admin token': ADMIN,
      'team token': teamToken,
      'webhook secret': WEBHOOK_SECRET,
      'GitHub token': GITHUB_TOKEN,
      'Slack bot token': BOT_TOKEN,
      'Slack signing secret': SIGNING_SECRET,
      'registry password': REGISTRY_PASSWORD,
      // The shared e2e admin token (support/world.ts), used by every distributed run.
      'e2e admin token': ADMIN_TOKEN,
    };
    assert.ok(teamToken.length > 0);
    const own = readFileSync(join(world.runDir, 'sluice.log'), 'utf8');
    assert.ok(own.split('\n').length > 100, 'a log at debug level to search');
    const files = logFiles(join(ROOT, '.sluice-test'));
    const found: string[] = [];
    for (const file of files) {
      const text = readFileSync(file, 'utf8');
      for (const [what, secret] of Object.entries(secrets)) if (text.includes(secret)) found.push(`${what} in ${file}`);
    }
    process.stdout.write(`# secrets-in-logs: ${Object.keys(secrets).length} secrets searched in ${files.length} log files\n`);
    assert.deepEqual(found, []);
  });
});
