// Issue 17 §2, repository identity: a repository is (provider, id); when GitHub renames or
// transfers the artifact repository, the config that names it keeps deploying its builds under
// the new name — also after its deploy.yaml, which still names the old one, is read again.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { ARTIFACT_REPO, CONFIG_NAME, Scenario, waitFor } from './support/scenario';
import { startAllInOneApp, type AllInOneApp } from './support/sluice';
import { CONFIG_REPO, startWorld, type World } from './support/world';

const RENAMED = 'payments/billing-service';

interface Config {
  artifact: { repo: string } | null;
  rootSha: string;
  current: { artifactSha: string | null };
}

describe('repository rename, all-in-one', { timeout: 300_000 }, () => {
  let world: World;
  let sluice: AllInOneApp;
  let s: Scenario;

  const config = async () => (await s.api.request<Config>('GET', `/api/configs/${CONFIG_NAME}`)).body;

  /** A commit of the renamed repository, its push and its green build, deployed by autodeploy. */
  const buildOnRenamed = async (label: string) => {
    const sha = world.github.seed.commit(RENAMED, { message: `billing: ${label}`, files: { VERSION: `${label}\n` } });
    await s.webhook('push', world.github.events.push(RENAMED, { branch: 'main' }));
    await s.webhook('workflow_run', world.github.events.workflowRun(RENAMED, { sha, name: 'ci', branch: 'main', conclusion: 'success' }));
    return s.waitForDeployOf(sha, (d) => d.phase === 'succeeded');
  };

  before(async () => {
    world = await startWorld('rename');
    sluice = await startAllInOneApp(world, { KUBE_APPLIER_TARGET: 'dry-run' });
    s = await Scenario.discovered(world, sluice);
    const first = await s.pushArtifact('before-rename');
    await s.buildCompleted(first);
    await s.waitForDeployOf(first, (d) => d.phase === 'succeeded');
  });

  after(async () => {
    await sluice?.stop();
    await world?.stop();
  });

  it('a repository webhook renaming the artifact repository moves the catalogue and the config to the new name', async () => {
    world.github.seed.rename(ARTIFACT_REPO, RENAMED);
    await s.webhook('repository', world.github.events.repositoryRenamed(RENAMED, ARTIFACT_REPO));
    await waitFor(async () => (await config()).artifact?.repo === RENAMED, () => `config ${CONFIG_NAME} names ${RENAMED}`, 60_000);
    const repo = await s.api.request<{ fullName: string }>('GET', `/api/repos/${RENAMED}`, undefined, [200]);
    assert.equal(repo.body.fullName, RENAMED);
    assert.equal((await s.api.request('GET', `/api/repos/${ARTIFACT_REPO}`, undefined, [404])).status, 404, 'the old name is not a second repository');
    const { history } = (await s.api.request<{ history: Array<{ type: string }> }>('GET', `/api/configs/${CONFIG_NAME}/history`)).body;
    assert.equal(history.filter((h) => h.type === 'config.registered').length, 2, 'registered again under the new name, in the config history');
  });

  it('a green build pushed to the renamed repository deploys the config', async () => {
    const deploy = await buildOnRenamed('after-rename');
    assert.equal(deploy.cause, 'autodeploy');
    assert.equal((await config()).current.artifactSha, deploy.artifactSha);
  });

  it('reading the config again, its deploy.yaml still naming the old repository, keeps it on the renamed one', async () => {
    const before = (await config()).rootSha;
    const sha = world.github.seed.commit(CONFIG_REPO, { message: 'docs', files: { 'README.md': 'renamed artifact repository\n' } });
    await s.webhook('push', world.github.events.push(CONFIG_REPO, { branch: 'main' }));
    await waitFor(async () => {
      const res = await s.api.request<{ branches: Array<{ name: string; headSha: string }> }>('GET', `/api/repos/${CONFIG_REPO}`, undefined, [200]);
      return JSON.stringify(res.body).includes(sha);
    }, () => `${CONFIG_REPO} read at ${sha}`, 60_000);
    const now = await config();
    assert.equal(now.artifact?.repo, RENAMED, 'the old name in deploy.yaml resolves to the renamed repository');
    assert.equal(now.rootSha, before, 'nothing changed in the config, so it was not registered again');
    await buildOnRenamed('after-rescan');
  });
});
