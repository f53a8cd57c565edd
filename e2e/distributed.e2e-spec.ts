// Issue 8, "Prove it", distributed mode: the five services as processes (as main.ts starts
// them), real Kafka, real PostgreSQL, the real kube-apiserver, and the fake GitHub; chat-ops
// (fake Slack) and a GitOps target (fake Argo CD) in the same services.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { FakeSlack } from '@sluice/fake-scm';
import { imageTag } from '@sluice/contracts';
import { defineFlow } from './support/flow';
import { GitOpsSide, VALUES } from './support/gitops';
import { CONFIG_NAME, Scenario, waitFor, type DeployView } from './support/scenario';
import { startDistributed, type Distributed } from './support/sluice';
import { startWorld, type World } from './support/world';

describe('Sluice distributed, end to end', { timeout: 420_000 }, () => {
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
    sluice = await startDistributed(world, {
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
});
