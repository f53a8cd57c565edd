// Issue 22, "previews on GitLab and Bitbucket": a config declaring `previews` whose artifact
// repository is a GitLab project (or a Bitbucket repository) gets a preview per merge request
// (pull request) with a green pipeline (build status) of its head, in the all-in-one app on the
// real kube-apiserver: the providers' webhooks (built from their published examples, signed as
// each signs them; Bitbucket's 12-character hashes looked up by webhook-ingest) → the config's
// objects renamed `<name>-pr-<n>` in the previews namespace at the request's image tag; closed
// (declined) → released, its objects deleted. The GitLab merge request shows it in one Sluice
// note, edited in place on release; the Bitbucket pull request shows nothing. Each artifact
// repository is named like a repository of the fake GitHub (acme/billing, which the world seeds,
// and acme/ledger): nothing of the previews is written to GitHub — the provider of a preview's
// repository is the catalogue's, never GitHub by default.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { BitbucketEventPayloads, bitbucketWebhookRequest, FakeBitbucket, FakeGitLab, GitLabEventPayloads, gitlabWebhookRequest } from '@sluice/fake-scm';
import type { KubeObject } from '@sluice/kube';
import { createTestNamespace } from '@sluice/kube/testing';
import { ARTIFACT_REPO, CONFIG_NAME, CONFIG_REPO, Scenario, short, waitFor } from './support/scenario';
import { startAllInOneApp, type AllInOneApp } from './support/sluice';
import { deployYaml, deploymentYaml, IMAGE, serviceYaml, startWorld, type World } from './support/world';

const GITLAB_WEBHOOK_TOKEN = 'e2e-gitlab-webhook-token-0123';
const GITLAB_API_TOKEN = 'glpat-e2e-gitlab-api-token';
const BITBUCKET_SECRET = 'e2e-bitbucket-webhook-secret-01';
const BITBUCKET_API_TOKEN = 'bb-e2e-bitbucket-api-token';
/** The artifact project on GitLab, named like the GitHub repository the world seeds (acme/billing). */
const BILLING = { id: 4801, path: ARTIFACT_REPO, defaultBranch: 'main' };
/** The artifact repository on Bitbucket of a second config, ledger-api; GitHub has an acme/ledger too. */
const LEDGER = { fullName: 'acme/ledger', mainBranch: 'main' };
const LEDGER_CONFIG = 'ledger-api';
const LEDGER_IMAGE = 'ghcr.io/acme/ledger';

interface StoredEvent {
  readonly type: string;
  readonly data: Record<string, unknown> & { pr: number; repo: string };
}

describe('preview environments from GitLab merge requests and Bitbucket pull requests (all-in-one, real kube-apiserver)', { timeout: 300_000 }, () => {
  let world: World;
  let sluice: AllInOneApp;
  let scenario: Scenario;
  let previewNamespace: string;
  const heads = new Map<string, string>();
  const gitlab = new FakeGitLab({ tokens: [GITLAB_API_TOKEN] });
  const bitbucket = new FakeBitbucket({ tokens: [BITBUCKET_API_TOKEN] });
  const gitlabHooks = new GitLabEventPayloads();
  const bitbucketHooks = new BitbucketEventPayloads();

  const previewEvents = async (config: string): Promise<StoredEvent[]> =>
    (await scenario.api.get<{ events: StoredEvent[] }>(`/api/events?stream=preview-${config}&limit=1000`)).events;
  const objectOf = (apiVersion: string, kind: string, config: string, pr: number) => world.kube.find({ apiVersion, kind, namespace: previewNamespace, name: `${config}-pr-${pr}` });
  const imageOf = (d: KubeObject | undefined) => (d as { spec?: { template: { spec: { containers: Array<{ image: string }> } } } } | undefined)?.spec?.template.spec.containers[0]?.image;
  /** What Sluice wrote to the fake GitHub's same-named repository: its deployments, comments and any write request. */
  const onGitHub = (repo: string) => ({
    deployments: world.github.deployments(repo).length,
    comments: world.github.comments(repo).length,
    writes: world.github.requests.filter((r) => r.method !== 'GET' && r.path.startsWith(`/repos/${repo}/`)).map((r) => `${r.method} ${r.path}`),
  });
  /**
   * commit-status's preview loops (a pass a second) have had several passes since the preview was
   * applied or removed: returns early should anything be written to GitHub's `repo`.
   */
  const settled = async (repo: string) => {
    for (const until = Date.now() + 6000; Date.now() < until && onGitHub(repo).writes.length === 0; ) await new Promise((r) => setTimeout(r, 250));
  };

  /** Sluice's notes on the GitLab merge request !3. */
  const notesOf = () => gitlab.notes(BILLING.id, 3);

  const send = async (provider: 'gitlab' | 'bitbucket', req: { headers: Record<string, string>; body: string }) => {
    const res = await fetch(`${sluice.urlFor('/webhooks')}/webhooks/${provider}`, { method: 'POST', headers: req.headers, body: req.body });
    const body = (await res.json()) as { result?: string };
    assert.deepEqual([res.status, body.result], [202, 'accepted'], `${provider}: ${JSON.stringify(body)}`);
  };

  /** The preview of `config` for pull request `pr` runs `image`; its Service selects only its pods; one preview.deployed of `repo` at `head`. */
  async function previewDeployed(config: string, pr: number, repo: string, head: string, image: string): Promise<void> {
    let deployment: KubeObject | undefined;
    await waitFor(async () => imageOf((deployment = await objectOf('apps/v1', 'Deployment', config, pr))) === image, () => `Deployment ${config}-pr-${pr} at ${image} (has ${imageOf(deployment)})`, 90_000);
    assert.equal(deployment!.metadata.labels?.['sluice.dev/preview'], `${config}-pr-${pr}`);
    // The preview's objects are applied one after another: its Service may come a moment after the Deployment.
    let service: KubeObject | undefined;
    await waitFor(async () => (service = await objectOf('v1', 'Service', config, pr)) !== undefined, () => `Service ${config}-pr-${pr}`, 30_000);
    assert.deepEqual((service as { spec?: { selector: unknown } }).spec?.selector, { app: config, 'sluice.dev/preview': `${config}-pr-${pr}` });
    const deployed = (await previewEvents(config)).filter((e) => e.type === 'preview.deployed');
    assert.deepEqual(deployed.map((e) => [e.data.repo, e.data.pr, e.data['headSha'], e.data['slot']]), [[repo, pr, head, 1]]);
    // The config itself is not deployed.
    assert.equal(await world.kube.find({ apiVersion: 'apps/v1', kind: 'Deployment', namespace: world.namespace, name: config }), undefined);
    await settled(repo);
    assert.deepEqual(onGitHub(repo), { deployments: 0, comments: 0, writes: [] }, `nothing of the preview on GitHub's ${repo}`);
  }

  /** The preview's objects deleted and its release recorded as `closed`; still nothing on GitHub. */
  async function previewReleased(config: string, pr: number, repo: string): Promise<void> {
    await waitFor(
      async () => (await objectOf('apps/v1', 'Deployment', config, pr)) === undefined && (await objectOf('v1', 'Service', config, pr)) === undefined,
      () => `preview ${config}-pr-${pr} removed`,
      90_000,
    );
    const released = (await previewEvents(config)).filter((e) => e.type === 'preview.released');
    assert.deepEqual(released.map((e) => [e.data.pr, e.data['reason']]), [[pr, 'closed']]);
    await settled(repo);
    assert.deepEqual(onGitHub(repo), { deployments: 0, comments: 0, writes: [] }, `nothing of the preview on GitHub's ${repo}`);
  }

  before(async () => {
    world = await startWorld('previews-gitlab');
    await Promise.all([gitlab.start(), bitbucket.start()]);
    gitlab.seed.project(BILLING);
    bitbucket.seed.repo({ workspace: 'acme', slug: 'ledger', mainBranch: LEDGER.mainBranch });
    world.github.seed.repo({ owner: 'acme', name: 'ledger', defaultBranch: 'main' });
    previewNamespace = await createTestNamespace(world.kube, 'payments-e2e-pvgl');
    for (const [name, token] of [['sluice-gitlab', GITLAB_API_TOKEN], ['sluice-bitbucket', BITBUCKET_API_TOKEN]] as const) {
      await world.kube.create({ apiVersion: 'v1', kind: 'Secret', metadata: { name, namespace: world.namespace }, type: 'Opaque', stringData: { token } });
    }
    const previews = `previews: { slots: 2, ttl: 1h, namespace: ${previewNamespace}, host: "pr-{pr}.billing.preview.example.com" }\n`;
    const config = (repo: string, image: string) => deployYaml(world.namespace, previews, { repo, image }).replace('build: ci', 'build: pipeline').replace('autodeploy: true', 'autodeploy: false');
    world.github.seed.commit(CONFIG_REPO, {
      message: 'billing-api, ledger-api: previews of GitLab merge requests and Bitbucket pull requests',
      files: {
        'deploy/billing-api/deploy.yaml': config(BILLING.path, IMAGE),
        'deploy/billing-api/deployment.yaml': deploymentYaml(CONFIG_NAME),
        'deploy/billing-api/service.yaml': serviceYaml(CONFIG_NAME),
        [`deploy/${LEDGER_CONFIG}/deploy.yaml`]: config(LEDGER.fullName, LEDGER_IMAGE),
        [`deploy/${LEDGER_CONFIG}/deployment.yaml`]: deploymentYaml(LEDGER_CONFIG, LEDGER_IMAGE),
        [`deploy/${LEDGER_CONFIG}/service.yaml`]: serviceYaml(LEDGER_CONFIG),
      },
    });
    sluice = await startAllInOneApp(world, {
      GITLAB_WEBHOOK_TOKEN,
      GITLAB_API_URL: `${gitlab.url}/api/v4`,
      GITLAB_TOKEN: GITLAB_API_TOKEN,
      BITBUCKET_WEBHOOK_SECRET: BITBUCKET_SECRET,
      BITBUCKET_API_URL: `${bitbucket.url}/2.0`,
      BITBUCKET_TOKEN: BITBUCKET_API_TOKEN,
      AUTODEPLOY_PREVIEW_SWEEP_SECONDS: '1',
    });
    scenario = await Scenario.discovered(world, sluice);
    await waitFor(async () => (await scenario.api.request('GET', `/api/configs/${LEDGER_CONFIG}`, undefined, [200, 404])).status === 200, () => `config ${LEDGER_CONFIG} discovered`);
  });

  after(async () => {
    await sluice?.stop();
    await world?.stop();
    await Promise.all([gitlab.stop(), bitbucket.stop()]);
  });

  it('GitLab: a merge request with a green pipeline of its head gets a preview at the MR’s tag in the previews namespace and one note saying so; nothing written to GitHub', async () => {
    const branch = 'feature-3';
    const head = gitlab.seed.push(BILLING.id, { branch, files: { VERSION: '3\n' }, message: 'billing: a change for review' });
    heads.set('gitlab', head);
    gitlab.seed.mergeRequest(BILLING.id, { iid: 3, sourceBranch: branch, sha: head });
    // The merge request first, its pipeline after: nothing is deployed before the head is green.
    await send('gitlab', gitlabWebhookRequest({ ...gitlabHooks.mergeRequest(BILLING, { iid: 3, action: 'open', sourceBranch: branch, headSha: head }), token: GITLAB_WEBHOOK_TOKEN }));
    await send('gitlab', gitlabWebhookRequest({ ...gitlabHooks.pipeline(BILLING, { sha: head, ref: branch, status: 'success', name: 'pipeline', id: 301 }), token: GITLAB_WEBHOOK_TOKEN }));
    await previewDeployed(CONFIG_NAME, 3, BILLING.path, head, `${IMAGE}:${branch}-${short(head)}`);
    const [deployed] = (await previewEvents(CONFIG_NAME)).filter((e) => e.type === 'preview.deployed');
    assert.equal(deployed!.data['url'], 'https://pr-3.billing.preview.example.com');
    // The merge request shows it: one Sluice note, the preview ready at its URL.
    await waitFor(() => /ready/.test(notesOf()[0]?.body ?? ''), () => `a note on !3 says ready (notes: ${JSON.stringify(notesOf())})`, 30_000);
    const [note] = notesOf();
    assert.equal(notesOf().length, 1, 'one note');
    assert.ok(note!.body.includes('<!-- sluice-preview:billing-api -->'));
    for (const part of ['https://pr-3.billing.preview.example.com', `feature-3-${short(head)}`, head.slice(0, 12), previewNamespace]) assert.ok(note!.body.includes(part), part);
    process.stdout.write(`# gitlab preview: !3 at ${short(head)} deployed into ${previewNamespace}\n`);
  });

  it('GitLab: the merge request closed releases the preview at once, deletes its objects and edits the note; still nothing on GitHub', async () => {
    const head = heads.get('gitlab')!;
    gitlab.seed.mergeRequest(BILLING.id, { iid: 3, sourceBranch: 'feature-3', sha: head, state: 'closed' });
    await send('gitlab', gitlabWebhookRequest({ ...gitlabHooks.mergeRequest(BILLING, { iid: 3, action: 'close', sourceBranch: 'feature-3', headSha: head }), token: GITLAB_WEBHOOK_TOKEN }));
    await previewReleased(CONFIG_NAME, 3, BILLING.path);
    // The same note, edited in place (PUT), says why it was released.
    await waitFor(() => /released/.test(notesOf()[0]?.body ?? ''), () => `the note on !3 says released (notes: ${JSON.stringify(notesOf())})`, 30_000);
    assert.equal(notesOf().length, 1, 'still one note');
    assert.match(notesOf()[0]!.body, /`closed`/);
    assert.ok(notesOf()[0]!.edits.length >= 1, 'edited in place');
  });

  it('Bitbucket: a pull request (12-character hashes) with a SUCCESSFUL build status of its head gets a preview; declined, it is released; nothing written to GitHub', async () => {
    const branch = 'feature-5';
    const head = bitbucket.seed.push(LEDGER.fullName, { branch, files: { VERSION: '5\n' }, message: 'ledger: a change for review' });
    await send('bitbucket', bitbucketWebhookRequest({ ...bitbucketHooks.pullRequest(LEDGER, { id: 5, event: 'pullrequest:created', sourceBranch: branch, headSha: head, baseSha: head }), secret: BITBUCKET_SECRET }));
    await send('bitbucket', bitbucketWebhookRequest({ ...bitbucketHooks.commitStatus(LEDGER, { sha: head, key: 'ci-5', name: 'pipeline', state: 'SUCCESSFUL', refname: branch }), secret: BITBUCKET_SECRET }));
    await previewDeployed(LEDGER_CONFIG, 5, LEDGER.fullName, head, `${LEDGER_IMAGE}:${branch}-${short(head)}`);
    await send('bitbucket', bitbucketWebhookRequest({ ...bitbucketHooks.pullRequest(LEDGER, { id: 5, event: 'pullrequest:rejected', sourceBranch: branch, headSha: head, baseSha: head }), secret: BITBUCKET_SECRET }));
    await previewReleased(LEDGER_CONFIG, 5, LEDGER.fullName);
    process.stdout.write(`# bitbucket preview: #5 at ${short(head)} deployed and released\n`);
  });
});
