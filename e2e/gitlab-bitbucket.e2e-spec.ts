// Issue 22, "GitLab and Bitbucket as sources": a config (in the GitHub config repository) whose
// artifact lives on GitLab, then on Bitbucket Cloud, autodeploys from those providers' webhooks —
// a push and a green pipeline (GitLab) or build status (Bitbucket), signed as each provider signs
// them — in the all-in-one on the real kube-apiserver. The fakes build the payloads from the
// providers' published examples.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { BitbucketEventPayloads, bitbucketWebhookRequest, GitLabEventPayloads, gitlabWebhookRequest } from '@sluice/fake-scm';
import { Scenario, short, tagOf, waitFor } from './support/scenario';
import { startAllInOneApp, type AllInOneApp } from './support/sluice';
import { CONFIG_NAME, CONFIG_REPO, deployYaml, deploymentYaml, IMAGE, startWorld, type World } from './support/world';

const GITLAB_TOKEN = 'e2e-gitlab-webhook-token-0123';
const BITBUCKET_SECRET = 'e2e-bitbucket-webhook-secret-01';
const ORDERS = { id: 4501, path: 'acme/orders', defaultBranch: 'main' };
const PAYMENTS = { fullName: 'acme/payments', mainBranch: 'main' };

describe('GitLab and Bitbucket artifacts autodeploy (all-in-one)', { timeout: 300_000 }, () => {
  let world: World;
  let sluice: AllInOneApp;
  let scenario: Scenario;

  before(async () => {
    world = await startWorld('providers');
    sluice = await startAllInOneApp(world, { GITLAB_WEBHOOK_TOKEN: GITLAB_TOKEN, BITBUCKET_WEBHOOK_SECRET: BITBUCKET_SECRET });
    scenario = new Scenario(world, sluice);
  });

  after(async () => {
    await sluice?.stop();
    await world?.stop();
  });

  /** The config names `repo` as its artifact, built by `pipeline`; pushed to the config repository. */
  const artifactOn = async (repo: string) => {
    world.github.seed.commit(CONFIG_REPO, {
      message: `billing-api: artifact on ${repo}`,
      files: {
        'deploy/billing-api/deploy.yaml': deployYaml(world.namespace, '', { repo, image: IMAGE }).replace('build: ci', 'build: pipeline'),
        'deploy/billing-api/deployment.yaml': deploymentYaml(CONFIG_NAME),
      },
    });
    await scenario.pushConfigRepo();
    let last: unknown;
    await waitFor(
      async () => {
        const res = await scenario.api.request<{ artifact?: { repo: string } }>('GET', `/api/configs/${CONFIG_NAME}`, undefined, [200, 404]);
        last = res.body;
        return res.status === 200 && res.body.artifact?.repo === repo;
      },
      () => `config ${CONFIG_NAME} with its artifact on ${repo} (last: ${JSON.stringify(last)})`,
    );
  };

  const send = async (provider: 'gitlab' | 'bitbucket', req: { headers: Record<string, string>; body: string }) => {
    const res = await fetch(`${sluice.urlFor('/webhooks')}/webhooks/${provider}`, { method: 'POST', headers: req.headers, body: req.body });
    const body = (await res.json()) as { result?: string };
    assert.deepEqual([res.status, body.result], [202, 'accepted'], `${provider}: ${JSON.stringify(body)}`);
  };

  /** The autodeploy of `sha`, applied, rolled out and succeeded. */
  const deployed = async (sha: string) => {
    const deploy = await scenario.waitForDeployOf(sha);
    assert.equal(deploy.cause, 'autodeploy');
    assert.equal(deploy.imageTag, tagOf(sha));
    await scenario.waitForApplied(sha);
    await scenario.rollOut();
    await scenario.waitForPhase(deploy.id, 'succeeded');
  };

  it('GitLab: a Push Hook and a successful Pipeline Hook of the artifact deploy its commit', async () => {
    await artifactOn(ORDERS.path);
    const sha = '1a'.repeat(20);
    const gitlab = new GitLabEventPayloads();
    const push = gitlab.push(ORDERS, { branch: 'main', before: '0'.repeat(40), after: sha, commits: [{ sha, message: 'orders: ship it' }] });
    await send('gitlab', gitlabWebhookRequest({ ...push, token: GITLAB_TOKEN }));
    const running = gitlab.pipeline(ORDERS, { sha, status: 'running', name: 'pipeline', id: 77 });
    await send('gitlab', gitlabWebhookRequest({ ...running, token: GITLAB_TOKEN }));
    const passed = gitlab.pipeline(ORDERS, { sha, status: 'success', name: 'pipeline', id: 77 });
    await send('gitlab', gitlabWebhookRequest({ ...passed, token: GITLAB_TOKEN }));
    await deployed(sha);
    process.stdout.write(`# gitlab: ${short(sha)} deployed\n`);
  });

  it('Bitbucket: a repo:push and a SUCCESSFUL build status of the artifact deploy its commit', async () => {
    await artifactOn(PAYMENTS.fullName);
    const sha = '2b'.repeat(20);
    const bitbucket = new BitbucketEventPayloads();
    const push = bitbucket.push(PAYMENTS, { branch: 'main', before: null, after: { sha, message: 'payments: ship it' } });
    await send('bitbucket', bitbucketWebhookRequest({ ...push, secret: BITBUCKET_SECRET }));
    const status = bitbucket.commitStatus(PAYMENTS, { sha, key: 'ci-1', name: 'pipeline', state: 'SUCCESSFUL', refname: 'main' });
    await send('bitbucket', bitbucketWebhookRequest({ ...status, secret: BITBUCKET_SECRET }));
    await deployed(sha);
  });
});
