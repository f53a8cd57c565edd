// Issue 22, "Git polling fallback": the webhooks of a push and its build are lost; repo-sync's
// polling (REPO_SYNC_POLL_SECONDS) sees both within one interval and the config autodeploys, in
// the all-in-one on the real kube-apiserver with the fake GitHub. The webhooks, delivered late,
// deploy nothing twice.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { ARTIFACT_REPO, Scenario, short, tagOf } from './support/scenario';
import { startAllInOneApp, type AllInOneApp } from './support/sluice';
import { newArtifactCommit, startWorld, type World } from './support/world';

const POLL_SECONDS = 3;

describe('Git polling when webhooks are lost (all-in-one)', { timeout: 240_000 }, () => {
  let world: World;
  let sluice: AllInOneApp;
  let scenario: Scenario;

  before(async () => {
    world = await startWorld('polling');
    sluice = await startAllInOneApp(world, { REPO_SYNC_POLL_SECONDS: String(POLL_SECONDS) });
    scenario = await Scenario.discovered(world, sluice);
  });

  after(async () => {
    await sluice?.stop();
    await world?.stop();
  });

  it('a push and a green build without webhooks deploy within one poll interval; the late webhooks add no second deploy', async () => {
    const sha = newArtifactCommit(world, 'polled');
    world.github.seed.checkRun(ARTIFACT_REPO, { head_sha: sha, name: 'ci', status: 'completed', conclusion: 'success' });
    const started = Date.now();
    const deploy = await scenario.waitForDeployOf(sha, () => true, 30_000);
    const seconds = (Date.now() - started) / 1000;
    assert.equal(deploy.cause, 'autodeploy');
    assert.equal(deploy.imageTag, tagOf(sha));
    // One pass sees the moved head and its finished build: within one interval (and the deploy's own time).
    process.stdout.write(`# polling: deployed ${seconds.toFixed(1)} s after the push (interval ${POLL_SECONDS} s)\n`);
    assert.ok(seconds <= POLL_SECONDS + 5, `deployed ${seconds.toFixed(1)} s after the push`);
    // The lost webhooks arrive after all.
    await scenario.webhook('push', world.github.events.push(ARTIFACT_REPO, { branch: 'main' }));
    await scenario.buildCompleted(sha);
    await new Promise((r) => setTimeout(r, 3 * POLL_SECONDS * 1000));
    const deploys = (await scenario.api.deploys()).filter((d) => d.artifactSha === sha);
    assert.deepEqual(deploys.map((d) => d.id), [deploy.id], `one deploy of ${short(sha)}`);
  });
});
