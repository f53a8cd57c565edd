// Issue 18 §1, the Slack deploy bot, as Slack meets it: signed slash commands and button presses
// posted to the all-in-one, Slack's Web API faked from Slack's own description (FakeSlack), GitHub
// faked, the deploys applied to the real kube-apiserver. A branch and a pull request deploy with the
// right tag and one message each that ends "healthy"; every refusal is answered and deploys
// nothing; the Roll back button re-applies the previous successful deploy and pins.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { imageTag } from '@sluice/contracts';
import { FakeSlack, type SlackSignedRequest } from '@sluice/fake-scm';
import { ARTIFACT_REPO, CONFIG_NAME, imageOf, Scenario, waitFor, type DeployView } from './support/scenario';
import { startAllInOneApp, type AllInOneApp } from './support/sluice';
import { startWorld, type World } from './support/world';

const SIGNING_SECRET = 'e2e-slack-signing-secret-8f3a1c';
const BOT_TOKEN = 'xoxb-e2e-bot-token-0123';
const CHANNEL = 'C0DEPLOYS1';
const ALICE = 'U0ALICE01'; // team payments, which owns billing-api
const BOB = 'U0BOB0001'; // team web
const MALLORY = 'U0MALLORY1'; // not mapped
const CAROL = 'U0CAROL01'; // in the user group mapped to payments
const PAYMENTS_GROUP = 'S0PAYTEAM1';

describe('Slack deploy bot, all-in-one', { timeout: 400_000 }, () => {
  let world: World;
  let slack: FakeSlack;
  let sluice: AllInOneApp;
  let s: Scenario;
  const shas: Record<string, string> = {};

  const post = async (path: 'commands' | 'interactions', req: SlackSignedRequest) => {
    const res = await fetch(`${sluice.process.url}/chat/slack/${path}`, { method: 'POST', headers: req.headers, body: req.body });
    const text = await res.text();
    return { status: res.status, body: text ? (JSON.parse(text) as { response_type?: string; text?: string; error?: { code: string; message: string } }) : null };
  };
  const command = (user: string, text: string) => post('commands', slack.slashCommand({ text, userId: user, channelId: CHANNEL }, SIGNING_SECRET));
  const ephemeralsOf = (user: string) => slack.ephemerals(user).map((e) => e.text);
  const waitForEphemeral = (user: string, pattern: RegExp) =>
    waitFor(() => ephemeralsOf(user).some((t) => pattern.test(t)), () => `an ephemeral message to ${user} matching ${pattern} (got ${JSON.stringify(ephemeralsOf(user))})`, 30_000);
  const deploys = () => s.api.deploys();

  /** The deploy of `sha` applied to the cluster with `tag`, rolled out, and its one message saying healthy. */
  const deployedAndHealthy = async (
    sha: string,
    tag: string,
    which: (d: DeployView) => boolean = () => true,
    beforeRollout: () => Promise<void> = async () => undefined,
  ): Promise<DeployView> => {
    const deploy = await s.waitForDeployOf(sha, (d) => d.imageTag === tag && which(d));
    await waitFor(async () => imageOf(await s.deployment()) === `ghcr.io/acme/billing:${tag}`, () => `Deployment runs ${tag}`, 90_000);
    await beforeRollout();
    await s.rollOut();
    await s.waitForPhase(deploy.id, 'succeeded');
    await waitFor(
      () => messagesOf(deploy.id).some((m) => m.text.endsWith(': healthy')),
      () => `the message of ${deploy.id} says healthy (messages: ${JSON.stringify(slack.messages(CHANNEL).map((m) => m.text))})`,
      // A Slack outage is caught up by the sweep after the client's own retries.
      90_000,
    );
    assert.equal(messagesOf(deploy.id).length, 1, 'one message per deploy');
    return deploy;
  };
  const messagesOf = (deployId: string) => slack.messages(CHANNEL).filter((m) => JSON.stringify(m.blocks).includes(deployId));

  before(async () => {
    world = await startWorld('chat');
    slack = new FakeSlack({ tokens: [BOT_TOKEN] });
    await slack.start();
    slack.userGroup(PAYMENTS_GROUP, [CAROL, 'U0OTHER01']);
    sluice = await startAllInOneApp(world, {
      SLACK_BOT_TOKEN: BOT_TOKEN,
      SLACK_SIGNING_SECRETS: `old-rotated-secret-00000000,${SIGNING_SECRET}`,
      SLACK_API_URL: `${slack.url}/api/`,
      SLACK_USER_TEAMS: JSON.stringify({ [ALICE]: ['payments'], [BOB]: ['web'], [PAYMENTS_GROUP]: ['payments'] }),
    });
    s = await Scenario.discovered(world, sluice);
    // A feature branch with a green build (autodeploy tracks main: it deploys nothing of it) and a
    // pull request from it; a commit on main that was never built.
    const main = world.github.seed.commit(ARTIFACT_REPO, { message: 'billing: main', files: { VERSION: 'main\n' } });
    await s.webhook('push', world.github.events.push(ARTIFACT_REPO, { branch: 'main' }));
    shas['main'] = main;
    for (const [label, branch] of [['feature', 'feature/login'], ['pr', 'feature/signup']] as const) {
      const sha = world.github.seed.commit(ARTIFACT_REPO, { branch, parents: [main], message: `${branch}: work`, files: { [label]: `${label}\n` } });
      shas[label] = sha;
      await s.webhook('push', world.github.events.push(ARTIFACT_REPO, { branch }));
      await s.webhook('workflow_run', world.github.events.workflowRun(ARTIFACT_REPO, { sha, name: 'ci', branch, conclusion: 'success' }));
      await s.waitForBuildKnown(sha);
    }
    world.github.seed.pull(ARTIFACT_REPO, { number: 7, title: 'Sign-up', head: { ref: 'feature/signup', sha: shas['pr']! }, base: { ref: 'main' } });
  });

  after(async () => {
    await sluice?.stop();
    await slack?.stop();
    await world?.stop();
  });

  it('refuses a bad signature and a stale timestamp with 401, before reading the command', async () => {
    const forged = slack.slashCommand({ text: 'billing-api main', userId: ALICE, channelId: CHANNEL }, 'not-the-signing-secret');
    const bad = await post('commands', forged);
    assert.equal(bad.status, 401);
    assert.equal(bad.body?.error?.code, 'bad_signature');
    const stale = await post('commands', slack.slashCommand({ text: 'billing-api main', userId: ALICE, channelId: CHANNEL }, SIGNING_SECRET, Math.floor(Date.now() / 1000) - 6 * 60));
    assert.equal(stale.status, 401);
    assert.equal(stale.body?.error?.code, 'stale_request');
    const tampered = slack.slashCommand({ text: 'billing-api main', userId: ALICE, channelId: CHANNEL }, SIGNING_SECRET);
    assert.equal((await post('commands', { ...tampered, body: tampered.body.replace('main', 'evil') })).status, 401);
  });

  it('answers each refusal precisely and deploys nothing: unmapped user, another team’s config, bad arguments, unknown branch or PR, no green build', async () => {
    // With user groups mapped, membership is asked of Slack after the answer.
    const unmapped = await command(MALLORY, 'billing-api main');
    assert.equal(unmapped.status, 200);
    assert.equal(unmapped.body?.response_type, 'ephemeral');
    await waitForEphemeral(MALLORY, /not mapped to a Sluice team.*U0MALLORY1/);

    assert.match((await command(ALICE, '')).body!.text!, /say which config to deploy\nusage: \/deploy/);
    assert.match((await command(ALICE, 'billing-api #abc')).body!.text!, /"#abc" is not a pull request number/);
    assert.match((await command(ALICE, 'billing-api main --config-sha 123')).body!.text!, /--config-sha "123" is not a 40-character commit SHA/);

    // Accepted for work, then refused through the Web API (chat.postEphemeral), as Slack shows it.
    assert.match((await command(BOB, 'billing-api feature/login')).body!.text!, /^Working on/);
    await waitForEphemeral(BOB, /There is no config `billing-api` you may deploy \(your teams: web\)/);
    await command(ALICE, 'billing-apj feature/login');
    await waitForEphemeral(ALICE, /no config `billing-apj`.*Did you mean `billing-api`\?/);
    await command(ALICE, 'billing-api no-such-branch');
    await waitForEphemeral(ALICE, /`no-such-branch` is not a branch of acme\/billing/);
    await command(ALICE, 'billing-api #99');
    await waitForEphemeral(ALICE, /#99 is not a pull request of acme\/billing/);
    await command(ALICE, 'billing-api main');
    await waitForEphemeral(ALICE, new RegExp(`No successful build \`ci\` of acme/billing@${shas['main']!.slice(0, 7)} \\(main\\)`));

    assert.deepEqual(await deploys(), [], 'no refusal deployed anything');
    assert.equal(slack.messages(CHANNEL).length, 0, 'and posted nothing in the channel');
  });

  it('/deploy billing-api feature/login → a manual deploy of feature-login-<sha7>, one message that ends healthy, the config pinned', async () => {
    const ack = await command(ALICE, 'billing-api feature/login');
    assert.match(ack.body!.text!, /^Working on `\/deploy billing-api feature\/login`/);
    const deploy = await deployedAndHealthy(shas['feature']!, imageTag('feature/login', shas['feature']!));
    assert.equal(deploy.cause, 'manual');
    assert.equal(deploy.requestedBy, `slack:${slack.team.id}/${ALICE}`);
    const config = await s.api.config();
    assert.ok(config.pin, 'a manual deploy pins the config');
    const [message] = messagesOf(deploy.id);
    assert.ok(message!.updates >= 2, `updated in place as the deploy moved (${message!.updates} updates)`);
    const history = (await s.api.request<{ history: Array<{ type: string; actor: string | null }> }>('GET', `/api/configs/${CONFIG_NAME}/history`)).body.history;
    assert.ok(history.some((h) => h.type === 'deploy.requested' && h.actor === deploy.requestedBy), 'in the history like any deploy');
  });

  it('/deploy billing-api #7 resolves the pull request to its head and deploys it', async () => {
    await command(ALICE, 'billing-api #7');
    const deploy = await deployedAndHealthy(shas['pr']!, imageTag('feature/signup', shas['pr']!));
    assert.match(deploy.reason, /#7 \(feature\/signup\)/);
  });

  it('a member of a user group mapped to a team acts for that team (usergroups.users.list)', async () => {
    await command(CAROL, 'status billing-api');
    await waitForEphemeral(CAROL, /`billing-api` \(team payments\):/);
  });

  it('/deploy status and history answer from the read models', async () => {
    await command(ALICE, 'status billing-api');
    await waitForEphemeral(ALICE, new RegExp(`\`billing-api\` \\(team payments\\): \`${imageTag('feature/signup', shas['pr']!)}\` — healthy, pinned by <@${ALICE}>`));
    await command(ALICE, 'history billing-api');
    await waitForEphemeral(ALICE, /Last deploys of `billing-api`:\n• [^\n]*feature-signup-[\s\S]*feature-login-/);
  });

  it('the Roll back button re-applies the previous successful deploy, pins, and gets its own message', async () => {
    const prDeploy = (await deploys()).find((d) => d.artifactSha === shas['pr'])!;
    const [message] = messagesOf(prDeploy.id);
    const before = (await deploys()).length;
    const press = await post('interactions', slack.buttonPress({ userId: ALICE, channelId: CHANNEL, messageTs: message!.ts, actionId: 'rollback', value: prDeploy.id }, SIGNING_SECRET));
    assert.equal(press.status, 200);
    assert.equal(press.body?.text, 'Rolling back…', JSON.stringify(press.body));
    const rollback = await deployedAndHealthy(shas['feature']!, imageTag('feature/login', shas['feature']!), (d) => d.cause === 'reapply').catch(async () => {
      throw new Error(`no rollback deploy (deploys: ${JSON.stringify((await deploys()).map((d) => [d.id, d.cause, d.phase]))})`);
    });
    assert.equal(rollback.cause, 'reapply');
    assert.equal((await deploys()).length, before + 1);
    assert.ok((await s.api.config()).pin, 'still pinned');
    // Bob (team web) may not roll back payments' config.
    await post('interactions', slack.buttonPress({ userId: BOB, channelId: CHANNEL, messageTs: message!.ts, actionId: 'rollback', value: prDeploy.id }, SIGNING_SECRET));
    await waitForEphemeral(BOB, /no config `billing-api` you may deploy/);
    assert.equal((await deploys()).length, before + 1);
  });

  it('a Slack outage never holds a deploy: the message catches up to its last state when Slack is back', async () => {
    // Every message write fails for a while (past the client's own retries); the deploy goes on.
    const known = new Set((await deploys()).map((d) => d.id));
    slack.injectFailure({ status: 503, times: 40, path: /chat\.(postMessage|update)$/ });
    await command(ALICE, 'billing-api #7');
    await deployedAndHealthy(shas['pr']!, imageTag('feature/signup', shas['pr']!), (d) => !known.has(d.id));
  });

  it('a restart while the deploy is under way keeps its one message, which still ends healthy', async () => {
    const known = new Set((await deploys()).map((d) => d.id));
    await command(ALICE, 'billing-api feature/login');
    // Applied and waiting for the rollout: stop Sluice and start it again (its log is replayed, events are redelivered).
    await deployedAndHealthy(shas['feature']!, imageTag('feature/login', shas['feature']!), (d) => !known.has(d.id), async () => {
      await sluice.process.stop();
      sluice.process.start();
      await sluice.process.waitReady(180_000);
    });
  });
});
