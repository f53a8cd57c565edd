import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Topics, type DeployConfigRoot, type EventEnvelope } from '@sluice/contracts';
import { waitUntil } from '@sluice/testing';
import request from 'supertest';
import { ADMIN_TOKEN, eventsOf, publishRepo, sha, startAutodeploy, type Harness } from '../../testing/harness';

const C1 = sha('c');
const S1 = sha('1');
const root = (name: string, team: string, namespace: string, extra: Partial<DeployConfigRoot> = {}): DeployConfigRoot => ({
  name,
  team,
  namespace,
  artifact: null,
  track: { branch: 'main' },
  autodeploy: true,
  configRepo: 'acme/config',
  path: `deploy/${name}`,
  ...extra,
});
// Each of these claims a namespace its team may not deploy to by default.
const intoKubeSystem = root('escape-kube', 'payments', 'kube-system');
const intoSluice = root('escape-sluice', 'payments', 'sluice-system');
const intoOtherTeam = root('escape-web', 'payments', 'web');
const wellPlaced = root('ledger', 'payments', 'payments-ledger', { autodeploy: false });

let h: Harness;
let payments: string;
const auth = (token: string) => ({ Authorization: `Bearer ${token}` });
const published: EventEnvelope[] = [];

async function historyOf(name: string): Promise<Array<{ type: string; data: Record<string, unknown> }>> {
  return eventsOf(h.store, `config-${name}`);
}

before(async () => {
  h = await startAutodeploy();
  await h.bus.subscribe({ group: 'team-policy-watcher', topics: [Topics.auth], handler: async (e) => void published.push(e) });
  await publishRepo(h.bus, 'repo.branch.updated', 'acme/config', { repo: 'acme/config', defaultBranch: 'main', branch: 'main', headSha: C1, previousSha: null, headCommit: null, forced: false });
  for (const r of [intoKubeSystem, intoSluice, intoOtherTeam, wellPlaced]) await publishRepo(h.bus, 'repo.config.discovered', 'acme/config', { config: r, configSha: C1 });
  await waitUntil(async () => (await request(h.http).get('/api/configs').set(auth(ADMIN_TOKEN))).body.configs?.length === 4, { message: 'configs registered' });
  payments = (await request(h.http).post('/api/admin/tokens').set(auth(ADMIN_TOKEN)).send({ team: 'payments' }).expect(201)).body.token;
});

after(async () => {
  await h?.close();
});

describe('team policy: refusals in the decision and the history', () => {
  it('an autodeploy push into kube-system, Sluice’s namespace or another team’s namespace is rejected and recorded, never requested', async () => {
    await publishRepo(h.bus, 'repo.branch.updated', 'acme/config', { repo: 'acme/config', defaultBranch: 'main', branch: 'main', headSha: S1, previousSha: C1, headCommit: null, forced: false });
    for (const [config, ns] of [
      ['escape-kube', 'kube-system'],
      ['escape-sluice', 'sluice-system'],
      ['escape-web', 'web'],
    ] as const) {
      await waitUntil(async () => (await historyOf(config)).some((e) => e.type === 'deploy.rejected'), { message: `${config} rejected` });
      const history = await historyOf(config);
      assert.equal(history.some((e) => e.type === 'deploy.requested' || e.type === 'deploy.queued'), false, `${config}: nothing requested`);
      const rejected = history.find((e) => e.type === 'deploy.rejected')!;
      assert.match(String(rejected.data['message']), new RegExp(`^(ReservedNamespace|NamespaceNotAllowed): config "${config}".*"${ns}"`));
      await waitUntil(
        async () => (await request(h.http).get(`/api/configs/${config}/history`).set(auth(payments))).body.history?.some((e: { type: string; message: string }) => e.type === 'deploy.rejected' && e.message.includes(ns)),
        { message: `${config}: the refusal visible to the team in its history` },
      );
    }
  });

  it('a manual deploy outside the policy answers 403 policy_denied and records the refusal', async () => {
    const res = await request(h.http).post('/api/deploys').set(auth(payments)).send({ config: 'escape-web', artifactSha: null, configSha: C1 }).expect(403);
    assert.equal(res.body.error.code, 'policy_denied');
    assert.match(res.body.error.message, /namespace "web"/);
    const admin = await request(h.http).post('/api/deploys').set(auth(ADMIN_TOKEN)).send({ config: 'escape-kube', artifactSha: null, configSha: C1 }).expect(403);
    assert.equal(admin.body.error.code, 'policy_denied', 'not even the admin deploys outside the policy');
  });

  it('a config inside its default policy deploys', async () => {
    const res = await request(h.http).post('/api/deploys').set(auth(payments)).send({ config: 'ledger', artifactSha: null, configSha: C1 }).expect(202);
    assert.ok(res.body.deployId);
  });
});

describe('team policy: the admin API', () => {
  it('answers 401 without a token, 403 to a team, 400 naming the field for bad input', async () => {
    await request(h.http).get('/api/admin/teams/payments/policy').expect(401);
    await request(h.http).put('/api/admin/teams/payments/policy').set(auth(payments)).send({ repositories: ['*'], namespaces: ['web'] }).expect(403);
    const badTeam = await request(h.http).put('/api/admin/teams/Pay!ments/policy').set(auth(ADMIN_TOKEN)).send({ repositories: ['*'], namespaces: [] }).expect(400);
    assert.match(badTeam.body.error.message, /^param\.team: a team name is a DNS label/);
    const badBody = await request(h.http).put('/api/admin/teams/payments/policy').set(auth(ADMIN_TOKEN)).send({ repositories: ['*'], namespaces: ['Web'] }).expect(400);
    assert.match(badBody.body.error.message, /^body\.namespaces\[0\]: a namespace name/);
    await request(h.http).delete('/api/admin/teams/nobody/policy').set(auth(ADMIN_TOKEN)).expect(404);
  });

  it('shows the default, sets a policy (announced on sluice.auth.v1), and a deploy it now allows goes through', async () => {
    const before = await request(h.http).get('/api/admin/teams/payments/policy').set(auth(ADMIN_TOKEN)).expect(200);
    assert.deepEqual(before.body, { team: 'payments', source: 'default', repositories: ['*'], namespaces: ['payments', 'payments-*'], namespaceSelector: null, clusterKinds: [] });

    const set = await request(h.http)
      .put('/api/admin/teams/payments/policy')
      .set(auth(ADMIN_TOKEN))
      .send({ repositories: ['acme/config'], namespaces: ['payments', 'web'] })
      .expect(200);
    assert.equal(set.body.source, 'api');
    assert.deepEqual((await request(h.http).get('/api/admin/teams').set(auth(ADMIN_TOKEN)).expect(200)).body.policies.map((p: { team: string }) => p.team), ['payments']);
    await waitUntil(async () => published.some((e) => e.type === 'team.policy.set' && e.stream === 'team-policy-payments'), { message: 'policy announced' });

    await request(h.http).post('/api/deploys').set(auth(payments)).send({ config: 'escape-web', artifactSha: null, configSha: C1 }).expect(202);
    // A policy that allows web does not allow kube-system: reserved namespaces need naming.
    await request(h.http).post('/api/deploys').set(auth(payments)).send({ config: 'escape-kube', artifactSha: null, configSha: C1 }).expect(403);
  });

  it('a repository outside the policy is refused; removing the policy restores the default', async () => {
    await request(h.http).put('/api/admin/teams/payments/policy').set(auth(ADMIN_TOKEN)).send({ repositories: ['other/config'], namespaces: ['payments-*'] }).expect(200);
    const res = await request(h.http).post('/api/deploys').set(auth(payments)).send({ config: 'ledger', artifactSha: null, configSha: S1 }).expect(403);
    assert.match(res.body.error.message, /does not allow configs from acme\/config/);
    await request(h.http).delete('/api/admin/teams/payments/policy').set(auth(ADMIN_TOKEN)).expect(204);
    assert.equal((await request(h.http).get('/api/admin/teams/payments/policy').set(auth(ADMIN_TOKEN)).expect(200)).body.source, 'default');
    await waitUntil(async () => published.some((e) => e.type === 'team.policy.removed'), { message: 'removal announced' });
  });
});
