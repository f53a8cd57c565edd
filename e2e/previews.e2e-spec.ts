// Issue 20, "PR preview environments": a config declaring `previews` gets one preview per pull
// request on its artifact repository with a green build of its head, in the all-in-one app on the
// real kube-apiserver with the fake GitHub: opened → preview in slot 1 (its own object names in the
// previews namespace, the PR's image tag, the preview's label on the Service selector); pushed →
// the same slot, a later expiry, the new tag; slots full → the preview that expires first is
// evicted; closed → released at once; expired → released by the sweeper. The config's own deploy
// state is never touched. The pull request shows it: a transient GitHub deployment per push of
// environment preview/<config>/pr-<n> (success with the URL, then inactive) and one
// comment, edited in place.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { KubeObject } from '@sluice/kube';
import { createTestNamespace } from '@sluice/kube/testing';
import { ARTIFACT_REPO, CONFIG_NAME, CONFIG_REPO, imageOf as imageOfDeployment, Scenario, short, waitFor } from './support/scenario';
import { startAllInOneApp, type AllInOneApp } from './support/sluice';
import { deployYaml, deploymentYaml, serviceYaml, startWorld, type World } from './support/world';

interface StoredEvent {
  readonly type: string;
  readonly data: Record<string, unknown> & { pr: number; slot: number; previewId: string };
}

describe('pull-request preview environments (all-in-one, real kube-apiserver, fake GitHub)', { timeout: 420_000 }, () => {
  let world: World;
  let sluice: AllInOneApp;
  let scenario: Scenario;
  let previewNamespace: string;
  const heads = new Map<number, string>();

  const previewEvents = async (): Promise<StoredEvent[]> =>
    (await scenario.api.get<{ events: StoredEvent[] }>(`/api/events?stream=preview-${CONFIG_NAME}&limit=1000`)).events;
  const deploymentOf = (pr: number) =>
    world.kube.find({ apiVersion: 'apps/v1', kind: 'Deployment', namespace: previewNamespace, name: `${CONFIG_NAME}-pr-${pr}` });
  const serviceOf = (pr: number) => world.kube.find({ apiVersion: 'v1', kind: 'Service', namespace: previewNamespace, name: `${CONFIG_NAME}-pr-${pr}` });
  /** What the pull request shows: the deployments of its preview environment (oldest first) and Sluice's comments. */
  const onPullRequest = (pr: number) => ({
    deployments: world.github.deployments(ARTIFACT_REPO).filter((d) => d.environment === `preview/${CONFIG_NAME}/pr-${pr}`),
    comments: world.github.comments(ARTIFACT_REPO, pr),
  });
  /** Each deployment's latest status (commit-status converges on the latest state: a quick one may skip in_progress). */
  const statesOf = (pr: number) => onPullRequest(pr).deployments.map((d) => d.statuses.at(-1)?.state ?? 'none');
  const imageOf = (d: KubeObject | undefined) => (d as { spec?: { template: { spec: { containers: Array<{ image: string }> } } } } | undefined)?.spec?.template.spec.containers[0]?.image;

  /** A commit on the PR's branch, the PR seeded at it, its green build, then the pull_request event. */
  async function pushPullRequest(pr: number, action: 'opened' | 'synchronize'): Promise<string> {
    const branch = `feature-${pr}`;
    const sha = world.github.seed.commit(ARTIFACT_REPO, { message: `feature ${pr}: ${action}`, files: { 'VERSION': `${pr}-${action}-${Date.now()}\n` }, branch });
    heads.set(pr, sha);
    world.github.seed.pull(ARTIFACT_REPO, { number: pr, head: { ref: branch, sha } });
    // The pull request first, its build after: nothing is deployed before the head is green.
    await scenario.webhook('pull_request', world.github.events.pullRequest(ARTIFACT_REPO, pr, action));
    await scenario.webhook('workflow_run', world.github.events.workflowRun(ARTIFACT_REPO, { sha, name: 'ci', branch }));
    return sha;
  }

  async function waitForImage(pr: number, sha: string): Promise<KubeObject> {
    const want = `ghcr.io/acme/billing:feature-${pr}-${short(sha)}`;
    let found: KubeObject | undefined;
    await waitFor(async () => imageOf((found = await deploymentOf(pr))) === want, () => `Deployment ${CONFIG_NAME}-pr-${pr} at ${want} (has ${imageOf(found)})`, 60_000);
    return found!;
  }

  async function waitForGone(pr: number): Promise<void> {
    await waitFor(async () => (await deploymentOf(pr)) === undefined && (await serviceOf(pr)) === undefined, () => `preview of PR ${pr} removed`, 90_000);
  }

  before(async () => {
    world = await startWorld('previews');
    previewNamespace = await createTestNamespace(world.kube, 'payments-e2e-pv');
    world.github.seed.commit(CONFIG_REPO, {
      message: 'billing-api: previews',
      files: {
        'deploy/billing-api/deploy.yaml': deployYaml(world.namespace, `previews: { slots: 2, ttl: 1m, namespace: ${previewNamespace}, host: "pr-{pr}.billing.preview.example.com" }\n`).replace('autodeploy: true', 'autodeploy: false'),
        'deploy/billing-api/deployment.yaml': deploymentYaml(CONFIG_NAME),
        'deploy/billing-api/service.yaml': serviceYaml(CONFIG_NAME),
      },
    });
    sluice = await startAllInOneApp(world, { AUTODEPLOY_PREVIEW_SWEEP_SECONDS: '1' });
    scenario = await Scenario.discovered(world, sluice);
  });

  after(async () => {
    await sluice?.stop();
    await world?.stop();
  });

  it('a pull request with a green head gets a preview in slot 1: its own names in the previews namespace, the PR’s tag, the Service selecting only its pods', async () => {
    const sha = await pushPullRequest(7, 'opened');
    const deployment = await waitForImage(7, sha);
    assert.equal(deployment.metadata.labels?.['sluice.dev/preview'], `${CONFIG_NAME}-pr-7`);
    assert.deepEqual((deployment as { spec?: { selector: unknown } }).spec?.selector, { matchLabels: { app: CONFIG_NAME, 'sluice.dev/preview': `${CONFIG_NAME}-pr-7` } });
    const service = await serviceOf(7);
    assert.deepEqual((service as { spec?: { selector: unknown } } | undefined)?.spec?.selector, { app: CONFIG_NAME, 'sluice.dev/preview': `${CONFIG_NAME}-pr-7` });
    const [deployed] = (await previewEvents()).filter((e) => e.type === 'preview.deployed');
    assert.equal(deployed?.data.slot, 1);
    // The URL on the pull request: a transient deployment of its environment, in progress then success with the URL, and one comment.
    await waitFor(() => statesOf(7).join() === 'success', () => `deployment statuses of PR 7 (${JSON.stringify(statesOf(7))})`, 30_000);
    const { deployments, comments } = onPullRequest(7);
    assert.equal(deployments[0]!.sha, sha);
    assert.equal(deployments[0]!.transient_environment, true);
    assert.equal(deployments[0]!.statuses.at(-1)!.environment_url, 'https://pr-7.billing.preview.example.com');
    assert.equal(comments.length, 1, 'one comment');
    assert.match(comments[0]!.body, /https:\/\/pr-7\.billing\.preview\.example\.com/);
    assert.equal(deployed?.data['url'], 'https://pr-7.billing.preview.example.com');
    assert.equal(deployed?.data['headSha'], sha);
    // A preview never deploys the config itself.
    const config = await scenario.api.config();
    assert.equal((config as unknown as { current: { deployId: string | null } }).current.deployId, null, 'the config has no deploy');
    assert.equal(await scenario.world.kube.find({ apiVersion: 'apps/v1', kind: 'Deployment', namespace: world.namespace, name: CONFIG_NAME }), undefined);
  });

  it('a push to the pull request redeploys into the same slot with the new tag and a later expiry; a redelivered event changes nothing', async () => {
    const before = (await previewEvents()).filter((e) => e.type === 'preview.deployed');
    const sha = await pushPullRequest(7, 'synchronize');
    await waitForImage(7, sha);
    const deployed = (await previewEvents()).filter((e) => e.type === 'preview.deployed');
    assert.equal(deployed.length, before.length + 1);
    const [first, second] = [before.at(-1)!, deployed.at(-1)!];
    assert.equal(second.data.slot, first.data.slot, 'same slot');
    assert.notEqual(second.data.previewId, first.data.previewId);
    assert.ok(String(second.data['expiresAt']) > String(first.data['expiresAt']), 'a later expiry');
    // A new deployment for the push, the previous one retired; still one comment, edited in place, naming the new head.
    await waitFor(() => statesOf(7).join() === 'inactive,success', () => `deployment statuses of PR 7 (${JSON.stringify(statesOf(7))})`, 30_000);
    await waitFor(() => onPullRequest(7).comments[0]?.body.includes(sha.slice(0, 7)) ?? false, () => `the comment names ${sha.slice(0, 7)}`, 30_000);
    assert.equal(onPullRequest(7).comments.length, 1, 'still one comment, edited');
    assert.ok(onPullRequest(7).comments[0]!.edits.length >= 1, 'edited in place');
    // The same build again (a redelivery with a new delivery id): the same head is not deployed twice.
    await scenario.webhook('workflow_run', world.github.events.workflowRun(ARTIFACT_REPO, { sha, name: 'ci', branch: 'feature-7' }));
    await new Promise((r) => setTimeout(r, 1500));
    assert.equal((await previewEvents()).filter((e) => e.type === 'preview.deployed').length, deployed.length);
  });

  it('with both slots taken, a third pull request evicts the preview that expires first', async () => {
    const sha8 = await pushPullRequest(8, 'opened');
    await waitForImage(8, sha8);
    // PR 7 was deployed and pushed before PR 8: it expires first.
    const sha9 = await pushPullRequest(9, 'opened');
    await waitForImage(9, sha9);
    await waitForGone(7);
    const events = await previewEvents();
    const evicted = events.find((e) => e.type === 'preview.released' && e.data.pr === 7);
    assert.equal(evicted?.data['reason'], 'evicted');
    await waitFor(() => statesOf(7).at(-1) === 'inactive', () => `PR 7's deployment inactive (${JSON.stringify(statesOf(7))})`, 30_000);
    await waitFor(() => /evicted/i.test(onPullRequest(7).comments[0]?.body ?? ''), () => `PR 7's comment says evicted: ${onPullRequest(7).comments[0]?.body}`, 30_000);
    const ninth = events.find((e) => e.type === 'preview.deployed' && e.data.pr === 9);
    assert.equal(ninth?.data.slot, evicted?.data.slot, 'PR 9 takes PR 7’s slot');
    assert.ok(await deploymentOf(8), 'PR 8 keeps its preview');
  });

  it('a merged pull request releases its slot at once; an expired preview is released by the sweeper', async () => {
    world.github.seed.pull(ARTIFACT_REPO, { number: 8, head: { ref: 'feature-8', sha: heads.get(8)! }, state: 'closed', merged: true });
    await scenario.webhook('pull_request', world.github.events.pullRequest(ARTIFACT_REPO, 8, 'closed'));
    await waitForGone(8);
    const merged = (await previewEvents()).find((e) => e.type === 'preview.released' && e.data.pr === 8);
    assert.equal(merged?.data['reason'], 'merged');
    await waitFor(() => statesOf(8).join() === 'inactive', () => `PR 8's deployment inactive (${JSON.stringify(statesOf(8))})`, 30_000);
    assert.equal(onPullRequest(8).comments.length, 1);
    // PR 9's preview lives one minute (ttl: 1m) after its last push.
    await waitForGone(9);
    const expired = (await previewEvents()).find((e) => e.type === 'preview.released' && e.data.pr === 9);
    assert.equal(expired?.data['reason'], 'expired');
    await waitFor(() => statesOf(9).at(-1) === 'inactive' && /expired/i.test(onPullRequest(9).comments[0]?.body ?? ''), () => `PR 9 inactive, its comment says expired (${JSON.stringify(statesOf(9))})`, 30_000);
  });

  it('a previews namespace the team policy does not allow: nothing is created, the pull request shows the failure with the policy’s reason', async () => {
    const configSha = world.github.seed.commit(CONFIG_REPO, {
      message: 'billing-api: previews in kube-system',
      files: { 'deploy/billing-api/deploy.yaml': deployYaml(world.namespace, 'previews: { slots: 2, ttl: 1m, namespace: kube-system }\n').replace('autodeploy: true', 'autodeploy: false') },
    });
    await scenario.pushConfigRepo();
    await waitFor(async () => (await scenario.api.get<{ rootSha: string }>(`/api/configs/${CONFIG_NAME}`)).rootSha === configSha, () => 'the config at its new commit', 60_000);
    await pushPullRequest(10, 'opened');
    await waitFor(() => statesOf(10).join() === 'failure', () => `PR 10's deployment failed (${JSON.stringify(statesOf(10))})`, 60_000);
    const failure = onPullRequest(10).deployments[0]!.statuses.at(-1)!;
    assert.match(failure.description, /kube-system/);
    assert.equal(await world.kube.find({ apiVersion: 'apps/v1', kind: 'Deployment', namespace: 'kube-system', name: `${CONFIG_NAME}-pr-10` }), undefined, 'nothing in kube-system');
  });
});

// Issue 20: "previews never pin and never touch the main deploy state" — on a config that has a
// main deploy, deployed and pinned, a preview deployed and released leaves the config's state
// (current deploy, pin, phase, history, deploys) and its main Deployment in the cluster as they were.
describe('previews and a config with a main deploy, pinned (all-in-one, real kube-apiserver, fake GitHub)', { timeout: 420_000 }, () => {
  let world: World;
  let sluice: AllInOneApp;
  let scenario: Scenario;
  let previewNamespace: string;

  before(async () => {
    world = await startWorld('previews-main');
    previewNamespace = await createTestNamespace(world.kube, 'payments-e2e-pvm');
    world.github.seed.commit(CONFIG_REPO, {
      message: 'billing-api: previews',
      files: {
        'deploy/billing-api/deploy.yaml': deployYaml(world.namespace, `previews: { slots: 2, ttl: 10m, namespace: ${previewNamespace} }\n`),
        'deploy/billing-api/deployment.yaml': deploymentYaml(CONFIG_NAME),
        'deploy/billing-api/service.yaml': serviceYaml(CONFIG_NAME),
      },
    });
    sluice = await startAllInOneApp(world, { AUTODEPLOY_PREVIEW_SWEEP_SECONDS: '1' });
    scenario = await Scenario.discovered(world, sluice);
  });

  after(async () => {
    await sluice?.stop();
    await world?.stop();
  });

  it('a preview deployed and released: the config’s current deploy, pin, history and main Deployment are unchanged', async () => {
    const mainSha = await scenario.pushArtifact('main for previews');
    const deployed = await scenario.deployBuild(mainSha);
    await scenario.api.post(`/api/configs/${CONFIG_NAME}/pin`, { reason: 'hold main while previews run' });
    await waitFor(async () => (await scenario.api.config()).pin !== null, () => 'the pin shown');
    const mainRef = { apiVersion: 'apps/v1', kind: 'Deployment', namespace: world.namespace, name: CONFIG_NAME };
    const state = async () => {
      const c = await scenario.api.config();
      // autodeploy records its decision on the PR's build (deploy.skipped: not the tracked branch); everything else must stay.
      const history = (await scenario.api.history()).filter((h) => h.type !== 'deploy.skipped');
      return { current: c.current, phase: c.phase, pin: c.pin, inFlight: c.inFlightDeployId, queued: c.queuedDeployId, history, deploys: await scenario.api.deploys() };
    };
    const mainDeployment = async () => {
      const d = await world.kube.find(mainRef);
      return { resourceVersion: d?.metadata.resourceVersion, generation: d?.metadata.generation, image: imageOfDeployment(d), labels: d?.metadata.labels };
    };
    const before = await state();
    assert.equal(before.current.deployId, deployed.id, 'the main deploy is current');
    assert.equal(before.pin?.reason, 'hold main while previews run');
    const beforeDeployment = await mainDeployment();
    const historyBefore = new Set((await scenario.api.history()).map((h) => JSON.stringify(h)));
    assert.equal(beforeDeployment.image, `ghcr.io/acme/billing:main-${short(mainSha)}`);

    // PR 21: opened with a green head → a preview; then closed → released.
    const branch = 'feature-21';
    const sha = world.github.seed.commit(ARTIFACT_REPO, { message: 'feature 21', files: { VERSION: `21-${Date.now()}\n` }, branch });
    world.github.seed.pull(ARTIFACT_REPO, { number: 21, head: { ref: branch, sha } });
    await scenario.webhook('pull_request', world.github.events.pullRequest(ARTIFACT_REPO, 21, 'opened'));
    await scenario.webhook('workflow_run', world.github.events.workflowRun(ARTIFACT_REPO, { sha, name: 'ci', branch }));
    const previewRef = { apiVersion: 'apps/v1', kind: 'Deployment', namespace: previewNamespace, name: `${CONFIG_NAME}-pr-21` };
    const want = `ghcr.io/acme/billing:feature-21-${short(sha)}`;
    await waitFor(async () => imageOfDeployment(await world.kube.find(previewRef)) === want, () => `the preview of PR 21 at ${want}`, 90_000);
    assert.deepEqual(await state(), before, 'a deployed preview leaves the config’s state as it was');
    world.github.seed.pull(ARTIFACT_REPO, { number: 21, head: { ref: branch, sha }, state: 'closed', merged: false });
    await scenario.webhook('pull_request', world.github.events.pullRequest(ARTIFACT_REPO, 21, 'closed'));
    await waitFor(async () => (await world.kube.find(previewRef)) === undefined, () => 'the preview of PR 21 removed', 90_000);
    const released = (await scenario.api.get<{ events: StoredEvent[] }>(`/api/events?stream=preview-${CONFIG_NAME}&limit=1000`)).events.find((e) => e.type === 'preview.released' && e.data.pr === 21);
    assert.ok(released, 'the preview released');

    await new Promise((r) => setTimeout(r, 1_500));
    assert.deepEqual(await state(), before, 'the config’s current deploy, phase, pin, history and deploys are unchanged');
    assert.deepEqual(await mainDeployment(), beforeDeployment, 'the main Deployment is untouched');
    const added = (await scenario.api.history()).filter((h) => !historyBefore.has(JSON.stringify(h)));
    assert.ok(added.every((h) => h.type === 'deploy.skipped' && h.deployId === null && /not feature-21/.test(h.message ?? '')), `only the PR build's skip decision is new: ${JSON.stringify(added)}`);
  });
});
