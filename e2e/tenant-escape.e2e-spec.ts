// Issue 15, "Done when": a tenant-escape test on the real kube-apiserver through the whole
// all-in-one app (webhook → catalogue → decision → apply). A config repository anyone can push
// to claims kube-system, Sluice's namespace, another team's namespace, a cluster-scoped kind,
// an object another config owns, and another team's name: every one is refused, nothing of
// it reaches the cluster, and each refusal is visible where a user looks.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { KubeObject } from '@sluice/kube';
import { createTestNamespace } from '@sluice/kube/testing';
import { Api, Scenario, waitFor, type DeployView } from './support/scenario';
import { startAllInOneApp, type AllInOneApp } from './support/sluice';
import { CONFIG_REPO, startWorld, type World } from './support/world';

const cm = (name: string, value: string) => `apiVersion: v1\nkind: ConfigMap\nmetadata: { name: ${name} }\ndata: { owner: ${value} }\n`;
const root = (team: string, namespace: string) => `team: ${team}\nnamespace: ${namespace}\n`;

describe('tenant escape: a config deploys only where its team is allowed and takes over nothing', { timeout: 420_000 }, () => {
  let world: World;
  let sluice: AllInOneApp;
  let scenario: Scenario;
  let api: Api;
  let neighbour: string; // team checkout's namespace
  let configSha: string;
  const roleName = `escape-${Date.now().toString(36)}`;

  const history = async (config: string) =>
    (await api.get<{ history: Array<{ type: string; message: string | null; reason: string | null }> }>(`/api/configs/${config}/history?limit=50`)).history;
  const find = (ref: { apiVersion: string; kind: string; namespace?: string; name: string }) => world.kube.find(ref);

  /** A deploy by the admin: the policy binds the admin too. */
  const deploy = (config: string, expect = [202]) => api.request<{ deployId?: string; error?: { code: string; message: string } }>('POST', '/api/deploys', { config, artifactSha: null, configSha, reason: 'tenant escape' }, expect);

  async function endsFailed(deployId: string): Promise<DeployView> {
    let last: DeployView | undefined;
    await waitFor(
      async () => (last = await api.deploy(deployId)).phase === 'failed',
      () => `deploy ${deployId} failed (last: ${JSON.stringify(last)})`,
    );
    return last!;
  }

  before(async () => {
    world = await startWorld('escape');
    neighbour = await createTestNamespace(world.kube, 'checkout');
    configSha = world.github.seed.commit(CONFIG_REPO, {
      message: 'configs claiming what they may not',
      files: {
        'deploy/escape-kube/deploy.yaml': root('payments', 'kube-system'),
        'deploy/escape-kube/cm.yaml': cm('escape-kube', 'payments'),
        'deploy/escape-sluice/deploy.yaml': root('payments', 'sluice-system'),
        'deploy/escape-sluice/cm.yaml': cm('escape-sluice', 'payments'),
        'deploy/escape-neighbour/deploy.yaml': root('payments', neighbour),
        'deploy/escape-neighbour/cm.yaml': cm('escape-neighbour', 'payments'),
        'deploy/escape-cluster/deploy.yaml': root('payments', world.namespace),
        'deploy/escape-cluster/role.yaml': `apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata: { name: ${roleName} }\nrules: [{ apiGroups: ['*'], resources: ['*'], verbs: ['*'] }]\n`,
        'deploy/legit/deploy.yaml': root('payments', world.namespace),
        'deploy/legit/cm.yaml': cm('shared-settings', 'legit'),
        'deploy/takeover/deploy.yaml': root('payments', world.namespace),
        'deploy/takeover/cm.yaml': cm('shared-settings', 'takeover'),
        'deploy/impostor/deploy.yaml': root('checkout', neighbour),
        'deploy/impostor/cm.yaml': cm('impostor', 'checkout'),
      },
    });
    sluice = await startAllInOneApp(world);
    scenario = new Scenario(world, sluice);
    api = scenario.api;
    // Team checkout's admins say where its configs come from.
    await api.request('PUT', '/api/admin/teams/checkout/policy', { repositories: ['acme/checkout-configs'], namespaces: ['checkout-*'] });
    await scenario.pushConfigRepo();
    await waitFor(async () => (await api.request('GET', '/api/configs/impostor', undefined, [200, 404])).status === 200, () => 'configs discovered');
  });

  after(async () => {
    await sluice?.stop();
    await world?.kube.delete({ apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRole', name: roleName }).catch(() => undefined);
    await world?.stop();
  });

  it('the catalogue shows each config’s verdict under its team policy', async () => {
    const page = await api.get<{ configs: Array<{ name: string; policy: { allowed: boolean; reason?: string } }> }>(`/api/repos/${CONFIG_REPO}/configs`);
    const verdict = Object.fromEntries(page.configs.map((c) => [c.name, c.policy.allowed ? 'allowed' : c.policy.reason]));
    assert.deepEqual(verdict, {
      'billing-api': 'allowed',
      'escape-cluster': 'allowed', // its namespace is fine; its ClusterRole is refused at apply
      'escape-kube': 'ReservedNamespace',
      'escape-neighbour': 'NamespaceNotAllowed',
      'escape-sluice': 'ReservedNamespace',
      impostor: 'RepositoryNotAllowed',
      legit: 'allowed',
      takeover: 'allowed', // its namespace is fine; its object belongs to legit
    });
  });

  for (const [config, namespace, pattern] of [
    ['escape-kube', () => 'kube-system', /ReservedNamespace: config "escape-kube": namespace "kube-system" is reserved/],
    ['escape-sluice', () => 'sluice-system', /ReservedNamespace: config "escape-sluice": namespace "sluice-system" is Sluice's own/],
    ['escape-neighbour', () => neighbour, /NamespaceNotAllowed: config "escape-neighbour": the default policy of team "payments" does not allow namespace "checkout-/],
    ['impostor', () => neighbour, /RepositoryNotAllowed: config "impostor": the policy of team "checkout" does not allow configs from acme\/deploy-configs/],
  ] as const) {
    it(`${config}: a deploy is refused (403 policy_denied), recorded in its history, and nothing reaches ${config === 'impostor' ? "checkout's namespace" : namespace()}`, async () => {
      const res = await deploy(config, [403]);
      assert.equal(res.body.error?.code, 'policy_denied');
      let rejected: { message: string | null } | undefined;
      await waitFor(async () => (rejected = (await history(config)).find((e) => e.type === 'deploy.rejected')) !== undefined, () => `${config}: deploy.rejected in the history`);
      assert.match(rejected!.message ?? '', pattern);
      assert.equal(await find({ apiVersion: 'sluice.dev/v1alpha1', kind: 'DeployConfig', namespace: namespace(), name: config }), undefined);
      assert.equal(await find({ apiVersion: 'v1', kind: 'ConfigMap', namespace: namespace(), name: config }), undefined);
    });
  }

  it('escape-cluster: a ClusterRole in the specs fails the deploy (ForbiddenKind) and is never created', async () => {
    const { body } = await deploy('escape-cluster');
    await endsFailed(body.deployId!);
    const failed = (await history('escape-cluster')).find((e) => e.type === 'deploy.failed');
    assert.equal(failed?.reason, 'ForbiddenKind');
    assert.match(failed?.message ?? '', /ClusterRole\.rbac\.authorization\.k8s\.io is cluster-scoped and the default policy of team "payments" does not allow it/);
    assert.equal(await find({ apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRole', name: roleName }), undefined);
  });

  it('takeover: an object another config owns is refused (OwnedByAnotherConfig) and left as it was', async () => {
    const { body: legit } = await deploy('legit');
    let owned: KubeObject | undefined;
    await waitFor(async () => (owned = await find({ apiVersion: 'v1', kind: 'ConfigMap', namespace: world.namespace, name: 'shared-settings' })) !== undefined, () => `legit ${legit.deployId} applied`);
    const { body } = await deploy('takeover');
    await endsFailed(body.deployId!);
    const failed = (await history('takeover')).find((e) => e.type === 'deploy.failed');
    assert.equal(failed?.reason, 'OwnedByAnotherConfig');
    assert.match(failed?.message ?? '', /legit/);
    const after = await find({ apiVersion: 'v1', kind: 'ConfigMap', namespace: world.namespace, name: 'shared-settings' });
    assert.equal(after?.metadata.resourceVersion, owned!.metadata.resourceVersion, 'legit’s ConfigMap unchanged');
    assert.equal(after?.metadata.labels?.['sluice.dev/config'], 'legit');
    assert.deepEqual((after as unknown as { data: Record<string, string> }).data, { owner: 'legit' });
  });
});
