// Issue 18 §2, a GitOps target: a config whose deploy.yaml names `target.gitops` is deployed by
// committing its image tag into the GitOps repository (fake GitHub's contents API) and syncing its
// Argo CD application at that commit (fake Argo CD, from Argo CD's API description). The deploy's
// outcome is Argo's: Synced + Healthy succeeds, a failed sync fails the deploy with Argo's message.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { imageTag } from '@sluice/contracts';
import { deployIdOf } from '@sluice/gitops';
import { GitOpsSide, GITOPS_REPO, VALUES, VALUES_PATH } from './support/gitops';
import { CONFIG_NAME, CONFIG_REPO, Scenario, waitFor } from './support/scenario';
import { startAllInOneApp, type AllInOneApp } from './support/sluice';
import { startWorld, type World } from './support/world';

/**
 * A world whose config billing-api deploys through the GitOps repository (application `billing`
 * of a fake Argo CD), the all-in-one started with `pushWaitSeconds`, the config discovered.
 */
async function startGitOps(name: string, pushWaitSeconds: number): Promise<{ world: World; gitops: GitOpsSide; sluice: AllInOneApp; s: Scenario }> {
  const world = await startWorld(name);
  const gitops = new GitOpsSide(world);
  const argoSettings = await gitops.start();
  gitops.commitGitOpsConfig();
  const sluice = await startAllInOneApp(world, { ...argoSettings, KUBE_APPLIER_GITOPS_PUSH_WAIT_SECONDS: String(pushWaitSeconds) });
  const s = new Scenario(world, sluice);
  await s.pushConfigRepo();
  await s.waitForVirtualConfig();
  return { world, gitops, sluice, s };
}

describe('GitOps target with Argo CD, all-in-one', { timeout: 300_000 }, () => {
  let world: World;
  let gitops: GitOpsSide;
  let sluice: AllInOneApp;
  let s: Scenario;

  const config = async () => (await s.api.request<{ drift: { sha: string; found: string | null; expected: string; pusher: string | null; at: string } | null }>('GET', `/api/configs/${CONFIG_NAME}`)).body;
  const valuesAtHead = () => gitops.valuesAtHead();
  const sluiceCommits = () => gitops.sluiceCommits();
  const deliverSluicePush = (n: number) => gitops.deliverSluicePush(s, n);
  const argo = () => gitops.argo;

  before(async () => {
    // A long wait for the push: every sync in these tests is the one the push webhook triggered.
    ({ world, gitops, sluice, s } = await startGitOps('gitops', 120));
  });

  after(async () => {
    await sluice?.stop();
    await gitops?.stop();
    await world?.stop();
  });

  it('a green build commits its tag into the GitOps file (one commit, by Sluice, with the deploy id); its push webhook makes Argo CD sync that commit once → succeeded', async () => {
    const sha = await s.pushArtifact('v1');
    await s.buildCompleted(sha);
    await deliverSluicePush(1);
    const deploy = await s.waitForDeployOf(sha, (d) => d.phase === 'succeeded' || d.phase === 'failed');
    assert.equal(deploy.phase, 'succeeded', JSON.stringify(deploy));
    const tag = imageTag('main', sha);
    assert.equal(valuesAtHead(), VALUES.replace('main-0000000', tag), 'only the tag changed; comments and layout kept');
    const commits = sluiceCommits();
    assert.equal(commits.length, 1, 'one commit for the deploy');
    assert.equal(deployIdOf(commits[0]!.message), deploy.id);
    assert.equal(commits[0]!.author.name, 'Sluice');
    assert.deepEqual(argo().syncs, [{ app: 'billing', revision: commits[0]!.sha }], 'one Argo sync, at that commit');
    assert.ok(argo().refreshes.includes('billing'), 'a hard refresh first: Argo does not wait for its next poll');
    assert.equal(await s.deployConfig(), undefined, 'nothing applied to the cluster by Sluice');
  });

  it('Argo CD’s failed sync becomes the deploy’s failure, with Argo’s message', async () => {
    argo().nextSync('billing', { phase: 'Failed', message: 'one or more objects failed to apply: Deployment.apps "billing-api" is invalid' });
    const sha = await s.pushArtifact('v2');
    await s.buildCompleted(sha);
    await deliverSluicePush(2);
    const deploy = await s.waitForDeployOf(sha, (d) => d.phase === 'failed' || d.phase === 'succeeded');
    assert.equal(deploy.phase, 'failed');
    const view = (await s.api.request<{ failure: { reason: string; message: string } }>('GET', `/api/deploys/${deploy.id}`)).body;
    assert.equal(view.failure.reason, 'ArgoCdSyncFailed');
    assert.match(view.failure.message, /Argo CD sync failed: one or more objects failed to apply: Deployment\.apps "billing-api" is invalid/);
    assert.equal(sluiceCommits().length, 2, 'the commit was made; Argo refused it');
    assert.equal(argo().syncs.length, 2);
    const { history } = (await s.api.request<{ history: Array<{ type: string; deployId: string | null }> }>('GET', `/api/configs/${CONFIG_NAME}/history`)).body;
    assert.ok(history.some((h) => h.type === 'deploy.failed' && h.deployId === deploy.id), 'in the config history');
  });

  it('a person’s push to the GitOps repository triggers no Argo sync', async () => {
    const before = argo().syncs.length;
    const human = world.github.seed.commit(GITOPS_REPO, { message: 'more replicas', files: { [VALUES_PATH]: valuesAtHead()!.replace('replicaCount: 2', 'replicaCount: 3') } });
    await s.webhook('push', world.github.events.push(GITOPS_REPO, { branch: 'main' }));
    await waitFor(async () => {
      const res = await s.api.request<{ items: Array<{ name: string; headSha: string }> }>('GET', `/api/repos/${GITOPS_REPO}/branches`, undefined, [200, 404]);
      return res.status === 200 && res.body.items.some((b) => b.headSha === human);
    }, () => `the push of ${human} recorded`, 60_000);
    assert.equal(argo().syncs.length, before, 'a push that is not Sluice’s is never forwarded to Argo CD');
    // It did not touch the tag: no drift.
    await new Promise((r) => setTimeout(r, 1_000));
    assert.equal((await config()).drift, null);
  });

  it('a person’s commit that changes the tag is recorded on the config as drift, until the next deploy writes the tag again', async () => {
    const expected = valuesAtHead()!.match(/tag: (\S+)/)![1]!;
    const hotfix = world.github.seed.commit(GITOPS_REPO, { message: 'hotfix by hand', files: { [VALUES_PATH]: valuesAtHead()!.replace(`tag: ${expected}`, 'tag: hotfix-1') } });
    await s.webhook('push', world.github.events.push(GITOPS_REPO, { branch: 'main' }));
    await waitFor(async () => (await config()).drift !== null, () => 'drift recorded on billing-api', 60_000);
    const { drift } = await config();
    assert.deepEqual({ ...drift, at: undefined, pusher: undefined }, { sha: hotfix, found: 'hotfix-1', expected, at: undefined, pusher: undefined });
    const { history } = (await s.api.request<{ history: Array<{ type: string }> }>('GET', `/api/configs/${CONFIG_NAME}/history`)).body;
    assert.equal(history[0]?.type, 'gitops.drift.detected', 'in the history');
    assert.equal(argo().syncs.length, 2, 'and not forwarded to Argo CD');

    const sha = await s.pushArtifact('v3');
    await s.buildCompleted(sha);
    await deliverSluicePush(3);
    await s.waitForDeployOf(sha, (d) => d.phase === 'succeeded');
    await waitFor(async () => (await config()).drift === null, () => 'drift cleared by the deploy', 30_000);
    assert.equal(valuesAtHead()!.match(/tag: (\S+)/)![1], imageTag('main', sha));
  });

  it('a GitOps repository the team’s policy does not allow gets no commit: the deploy fails PolicyDenied', async () => {
    await s.api.request('PUT', '/api/admin/teams/payments/policy', { repositories: [CONFIG_REPO], namespaces: ['payments', 'payments-*'] }, [200]);
    const before = sluiceCommits().length;
    const sha = await s.pushArtifact('v4');
    await s.buildCompleted(sha);
    const deploy = await s.waitForDeployOf(sha, (d) => d.phase === 'failed' || d.phase === 'succeeded');
    assert.equal(deploy.phase, 'failed');
    const view = (await s.api.request<{ failure: { reason: string; message: string } }>('GET', `/api/deploys/${deploy.id}`)).body;
    assert.equal(view.failure.reason, 'PolicyDenied');
    assert.match(view.failure.message, /GitOps repository acme\/gitops: RepositoryNotAllowed/);
    assert.equal(sluiceCommits().length, before, 'nothing committed to the GitOps repository');
    await s.api.request('DELETE', '/api/admin/teams/payments/policy', undefined, [200, 204]);
  });
});

describe('GitOps target, the push webhook of Sluice’s commit lost', { timeout: 200_000 }, () => {
  let world: World;
  let gitops: GitOpsSide;
  let sluice: AllInOneApp;

  after(async () => {
    await sluice?.stop();
    await gitops?.stop();
    await world?.stop();
  });

  it('Argo CD still syncs the commit, after KUBE_APPLIER_GITOPS_PUSH_WAIT_SECONDS', async () => {
    let s: Scenario;
    ({ world, gitops, sluice, s } = await startGitOps('gitops-lost', 1));
    const sha = await s.pushArtifact('v1');
    await s.buildCompleted(sha);
    const deploy = await s.waitForDeployOf(sha, (d) => d.phase === 'succeeded' || d.phase === 'failed');
    assert.equal(deploy.phase, 'succeeded');
    assert.equal(gitops.argo.syncs.length, 1, 'synced once, without the webhook');
  });
});
