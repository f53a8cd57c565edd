// SLUICE_CATALOGUE_VISIBILITY on GET /api/commit-statuses: commit-status learns each team's
// repositories from the config events of sluice.repo.v1 (real Kafka, real PostgreSQL) and a
// team token reads the commit statuses of those repositories only; `installation` reads all.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import request from 'supertest';
import { announceTeamToken } from '@sluice/auth/testing';
import { Topics, type DeployConfigRoot, type EventEnvelope } from '@sluice/contracts';
import { waitUntil } from '@sluice/testing';
import { v7 as uuidv7 } from 'uuid';
import { ADMIN, envelope, startCommitStatus, type App } from '../../testing/app';
import { deployRequestedData } from '../../testing/events';

const SHA = 'a'.repeat(40);
const CONFIG_SHA = 'c'.repeat(40);

function root(name: string, team: string, configRepo: string, artifactRepo: string | null): DeployConfigRoot {
  return {
    name,
    team,
    namespace: team,
    artifact: artifactRepo ? { repo: artifactRepo, image: `ghcr.io/${artifactRepo}`, build: null } : null,
    track: { branch: 'main' },
    autodeploy: false,
    configRepo,
    path: `deploy/${name}`,
  };
}

const discovered = (config: DeployConfigRoot) => envelope('repo.config.discovered', `repo-${config.configRepo}`, { config, configSha: CONFIG_SHA });

async function statuses(svc: App, token: string, repo: string) {
  const res = await request(svc.http).get('/api/commit-statuses').query({ repo }).set('Authorization', `Bearer ${token}`);
  return { status: res.status, body: res.body };
}

async function tokenOf(svc: App, team: string): Promise<string> {
  const { token } = await announceTeamToken(svc.bus, team);
  // A repository no team uses: 404 once the token is known (401 before).
  await waitUntil(async () => (await statuses(svc, token, 'acme/nobodys')).status === 404, { timeoutMs: 60_000, message: `${team} token accepted` });
  return token;
}

describe('commit statuses visible to a team: its configs\' repositories, from sluice.repo.v1 on Kafka', () => {
  let svc: App;
  let payments: string;
  let web: string;
  const billing = root('billing-api', 'payments', 'acme/deploy', 'acme/billing');
  const first = discovered(billing);

  before(async () => {
    svc = await startCommitStatus({ COMMIT_STATUS_STORE: 'postgres', GITHUB_TOKEN: 'unused' }, { kafka: true });
    await svc.bus.publish(Topics.repo, [first, discovered(root('docs', 'web', 'acme/web-deploy', null))]);
    // Sluice's own CommitStatus on the billing artifact commit.
    await svc.bus.publish(Topics.deploy, [
      envelope('deploy.requested', 'config-billing-api', deployRequestedData({ deployId: uuidv7(), artifactSha: SHA, configSha: CONFIG_SHA })),
    ]);
    payments = await tokenOf(svc, 'payments');
    web = await tokenOf(svc, 'web');
    await waitUntil(async () => (await statuses(svc, payments, 'acme/billing')).status === 200, { timeoutMs: 60_000, message: 'config events projected' });
    await waitUntil(async () => (await statuses(svc, ADMIN, 'acme/billing')).body.items?.length === 1, { timeoutMs: 60_000, message: 'CommitStatus recorded' });
  });
  after(async () => {
    await svc?.close();
  });

  it("a team reads its config and artifact repositories' statuses; another team's, or an unknown repository, is 404", async () => {
    const own = await statuses(svc, payments, 'acme/billing');
    assert.equal(own.status, 200);
    assert.deepEqual(own.body.items.map((i: { name: string }) => i.name), ['sluice-billing-api']);
    assert.equal((await statuses(svc, payments, 'acme/deploy')).status, 200);
    for (const repo of ['acme/web-deploy', 'acme/nobodys']) {
      const other = await statuses(svc, payments, repo);
      assert.deepEqual(other, { status: 404, body: { error: { code: 'not_found', message: `repository ${repo} is not in the catalogue` } } });
    }
    assert.equal((await statuses(svc, web, 'acme/billing')).status, 404, "web does not see payments' statuses");
    assert.deepEqual(await statuses(svc, web, 'acme/web-deploy'), { status: 200, body: { items: [] } });
    assert.equal((await statuses(svc, ADMIN, 'acme/web-deploy')).status, 200, 'the admin reads every repository');
  });

  it('follows a config that changes its artifact repository and one that is removed; a redelivered discovery does not bring it back', async () => {
    await svc.bus.publish(Topics.repo, [envelope('repo.config.changed', 'repo-acme/deploy', { config: { ...billing, artifact: { repo: 'acme/billing-v2', image: 'ghcr.io/acme/billing-v2', build: null } }, configSha: CONFIG_SHA })]);
    await waitUntil(async () => (await statuses(svc, payments, 'acme/billing')).status === 404, { timeoutMs: 60_000, message: 'the old artifact repository is no longer visible' });
    assert.equal((await statuses(svc, payments, 'acme/billing-v2')).status, 200);

    await svc.bus.publish(Topics.repo, [envelope('repo.config.removed', 'repo-acme/deploy', { name: 'billing-api', configRepo: 'acme/deploy', configSha: CONFIG_SHA })]);
    await waitUntil(async () => (await statuses(svc, payments, 'acme/deploy')).status === 404, { timeoutMs: 60_000, message: 'a removed config no longer grants its repository' });
    const redelivered: EventEnvelope = { ...first };
    await svc.bus.publish(Topics.repo, [redelivered]);
    // A marker behind the redelivery on the same key: once it is projected, the redelivery was handled too.
    await svc.bus.publish(Topics.repo, [discovered(root('marker', 'payments', 'acme/deploy', 'acme/marker'))]);
    await waitUntil(async () => (await statuses(svc, payments, 'acme/marker')).status === 200, { timeoutMs: 60_000, message: 'marker projected' });
    assert.equal((await statuses(svc, payments, 'acme/billing')).status, 404, 'the inbox skipped the redelivered discovery');
  });
});

describe('commit statuses with SLUICE_CATALOGUE_VISIBILITY=installation', () => {
  let svc: App;
  before(async () => {
    svc = await startCommitStatus({ COMMIT_STATUS_STORE: 'postgres', GITHUB_TOKEN: 'unused', SLUICE_CATALOGUE_VISIBILITY: 'installation' });
  });
  after(async () => {
    await svc?.close();
  });

  it('lets any team token read any repository, as before issue 15', async () => {
    const { token } = await announceTeamToken(svc.bus, 'web');
    await waitUntil(async () => (await statuses(svc, token, 'acme/billing')).status === 200, { timeoutMs: 30_000, message: 'team token accepted' });
    assert.deepEqual((await statuses(svc, token, 'acme/billing')).body, { items: [] });
  });

  it('says what a bad ?repo= should be, and answers a wrong method with 405 and Allow', async () => {
    const bad = await statuses(svc, ADMIN, 'not a repo');
    assert.deepEqual(bad.body.error.message, 'query.repo: an owner/name repository path, e.g. acme/billing (GitLab: group/subgroup/name)');
    assert.equal(bad.status, 400);
    const post = await request(svc.http).post('/api/commit-statuses').expect(405).expect('allow', 'GET, HEAD');
    assert.equal(post.body.error.code, 'method_not_allowed');
  });
});
