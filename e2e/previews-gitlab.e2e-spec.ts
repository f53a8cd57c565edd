// Issue 22, "previews on GitLab and Bitbucket": a config declaring `previews` whose artifact
// repository is a GitLab project gets a preview per merge request with a green pipeline of its
// head, in the all-in-one app on the real kube-apiserver: the Merge Request Hook and the Pipeline
// Hook (built from GitLab's published examples, signed with the webhook token) → the config's
// objects renamed `<name>-pr-<iid>` in the previews namespace at the MR's image tag; the MR closed
// → released, its objects deleted. The GitLab project is named like the fake GitHub's artifact
// repository (acme/billing, which the world seeds on GitHub): nothing of the preview is written to
// GitHub — the provider of a preview's repository is the catalogue's, never GitHub by default.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { FakeGitLab, GitLabEventPayloads, gitlabWebhookRequest } from '@sluice/fake-scm';
import type { KubeObject } from '@sluice/kube';
import { createTestNamespace } from '@sluice/kube/testing';
import { ARTIFACT_REPO, CONFIG_NAME, CONFIG_REPO, Scenario, short, waitFor } from './support/scenario';
import { startAllInOneApp, type AllInOneApp } from './support/sluice';
import { deployYaml, deploymentYaml, IMAGE, serviceYaml, startWorld, type World } from './support/world';

const GITLAB_WEBHOOK_TOKEN = 'e2e-gitlab-webhook-token-0123';
const GITLAB_API_TOKEN = 'glpat-e2e-gitlab-api-token';
/** The artifact project on GitLab, named like the GitHub repository the world seeds (acme/billing). */
const BILLING = { id: 4801, path: ARTIFACT_REPO, defaultBranch: 'main' };
const IID = 3;

interface StoredEvent {
  readonly type: string;
  readonly data: Record<string, unknown> & { pr: number; repo: string };
}

describe('preview environments from GitLab merge requests (all-in-one, real kube-apiserver, fake GitLab)', { timeout: 300_000 }, () => {
  let world: World;
  let sluice: AllInOneApp;
  let scenario: Scenario;
  let previewNamespace: string;
  let head = '';
  const gitlab = new FakeGitLab({ tokens: [GITLAB_API_TOKEN] });
  const hooks = new GitLabEventPayloads();

  const previewEvents = async (): Promise<StoredEvent[]> =>
    (await scenario.api.get<{ events: StoredEvent[] }>(`/api/events?stream=preview-${CONFIG_NAME}&limit=1000`)).events;
  const deploymentOf = () => world.kube.find({ apiVersion: 'apps/v1', kind: 'Deployment', namespace: previewNamespace, name: `${CONFIG_NAME}-pr-${IID}` });
  const serviceOf = () => world.kube.find({ apiVersion: 'v1', kind: 'Service', namespace: previewNamespace, name: `${CONFIG_NAME}-pr-${IID}` });
  const imageOf = (d: KubeObject | undefined) => (d as { spec?: { template: { spec: { containers: Array<{ image: string }> } } } } | undefined)?.spec?.template.spec.containers[0]?.image;
  /** What Sluice wrote to the fake GitHub's acme/billing: its deployments, comments and any write request. */
  const onGitHub = () => ({
    deployments: world.github.deployments(ARTIFACT_REPO).length,
    comments: world.github.comments(ARTIFACT_REPO).length,
    writes: world.github.requests.filter((r) => r.method !== 'GET' && r.path.startsWith(`/repos/${ARTIFACT_REPO}/`)).map((r) => `${r.method} ${r.path}`),
  });

  const send = async (req: { headers: Record<string, string>; body: string }) => {
    const res = await fetch(`${sluice.urlFor('/webhooks')}/webhooks/gitlab`, { method: 'POST', headers: req.headers, body: req.body });
    const body = (await res.json()) as { result?: string };
    assert.deepEqual([res.status, body.result], [202, 'accepted'], `gitlab: ${JSON.stringify(body)}`);
  };

  /**
   * commit-status's preview loops (a pass a second) have had several passes since the preview was
   * applied or removed: returns early should anything be written to GitHub's acme/billing.
   */
  const settled = async () => {
    for (const until = Date.now() + 6000; Date.now() < until && onGitHub().writes.length === 0; ) await new Promise((r) => setTimeout(r, 250));
  };

  before(async () => {
    world = await startWorld('previews-gitlab');
    await gitlab.start();
    gitlab.seed.project(BILLING);
    previewNamespace = await createTestNamespace(world.kube, 'payments-e2e-pvgl');
    await world.kube.create({ apiVersion: 'v1', kind: 'Secret', metadata: { name: 'sluice-gitlab', namespace: world.namespace }, type: 'Opaque', stringData: { token: GITLAB_API_TOKEN } });
    world.github.seed.commit(CONFIG_REPO, {
      message: 'billing-api: previews of GitLab merge requests',
      files: {
        'deploy/billing-api/deploy.yaml': deployYaml(world.namespace, `previews: { slots: 2, ttl: 1h, namespace: ${previewNamespace}, host: "pr-{pr}.billing.preview.example.com" }\n`, { repo: BILLING.path, image: IMAGE })
          .replace('build: ci', 'build: pipeline')
          .replace('autodeploy: true', 'autodeploy: false'),
        'deploy/billing-api/deployment.yaml': deploymentYaml(CONFIG_NAME),
        'deploy/billing-api/service.yaml': serviceYaml(CONFIG_NAME),
      },
    });
    sluice = await startAllInOneApp(world, {
      GITLAB_WEBHOOK_TOKEN,
      GITLAB_API_URL: `${gitlab.url}/api/v4`,
      GITLAB_TOKEN: GITLAB_API_TOKEN,
      AUTODEPLOY_PREVIEW_SWEEP_SECONDS: '1',
    });
    scenario = new Scenario(world, sluice);
    await scenario.pushConfigRepo();
    await scenario.waitForVirtualConfig();
  });

  after(async () => {
    await sluice?.stop();
    await world?.stop();
    await gitlab.stop();
  });

  it('a merge request with a green pipeline of its head gets a preview: the config’s objects renamed in the previews namespace at the MR’s tag; nothing written to GitHub', async () => {
    const branch = `feature-${IID}`;
    head = gitlab.seed.push(BILLING.id, { branch, files: { VERSION: `${IID}\n` }, message: 'billing: a change for review' });
    gitlab.seed.mergeRequest(BILLING.id, { iid: IID, sourceBranch: branch, sha: head });
    // The merge request first, its pipeline after: nothing is deployed before the head is green.
    await send(gitlabWebhookRequest({ ...hooks.mergeRequest(BILLING, { iid: IID, action: 'open', sourceBranch: branch, headSha: head }), token: GITLAB_WEBHOOK_TOKEN }));
    await send(gitlabWebhookRequest({ ...hooks.pipeline(BILLING, { sha: head, ref: branch, status: 'success', name: 'pipeline', id: 301 }), token: GITLAB_WEBHOOK_TOKEN }));

    const want = `${IMAGE}:${branch}-${short(head)}`;
    let deployment: KubeObject | undefined;
    await waitFor(async () => imageOf((deployment = await deploymentOf())) === want, () => `Deployment ${CONFIG_NAME}-pr-${IID} at ${want} (has ${imageOf(deployment)})`, 90_000);
    assert.equal(deployment!.metadata.labels?.['sluice.dev/preview'], `${CONFIG_NAME}-pr-${IID}`);
    const service = await serviceOf();
    assert.deepEqual((service as { spec?: { selector: unknown } } | undefined)?.spec?.selector, { app: CONFIG_NAME, 'sluice.dev/preview': `${CONFIG_NAME}-pr-${IID}` });
    const deployed = (await previewEvents()).filter((e) => e.type === 'preview.deployed');
    assert.equal(deployed.length, 1);
    assert.deepEqual([deployed[0]!.data.repo, deployed[0]!.data['headSha'], deployed[0]!.data['slot']], [BILLING.path, head, 1]);
    assert.equal(deployed[0]!.data['url'], `https://pr-${IID}.billing.preview.example.com`);
    // The config itself is not deployed.
    assert.equal(await world.kube.find({ apiVersion: 'apps/v1', kind: 'Deployment', namespace: world.namespace, name: CONFIG_NAME }), undefined);

    await settled();
    assert.deepEqual(onGitHub(), { deployments: 0, comments: 0, writes: [] }, 'nothing of the GitLab preview on GitHub’s same-named repository');
    process.stdout.write(`# gitlab preview: !${IID} at ${short(head)} deployed into ${previewNamespace}\n`);
  });

  it('the merge request closed: the preview is released at once and its objects deleted; still nothing on GitHub', async () => {
    gitlab.seed.mergeRequest(BILLING.id, { iid: IID, sourceBranch: `feature-${IID}`, sha: head, state: 'closed' });
    await send(gitlabWebhookRequest({ ...hooks.mergeRequest(BILLING, { iid: IID, action: 'close', sourceBranch: `feature-${IID}`, headSha: head }), token: GITLAB_WEBHOOK_TOKEN }));
    await waitFor(async () => (await deploymentOf()) === undefined && (await serviceOf()) === undefined, () => `preview of !${IID} removed`, 90_000);
    const released = (await previewEvents()).filter((e) => e.type === 'preview.released');
    assert.deepEqual(released.map((e) => [e.data.pr, e.data['reason']]), [[IID, 'closed']]);
    await settled();
    assert.deepEqual(onGitHub(), { deployments: 0, comments: 0, writes: [] }, 'nothing of the GitLab preview on GitHub’s same-named repository');
  });
});
