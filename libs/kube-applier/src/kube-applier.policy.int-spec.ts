import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { parseAllDocuments } from 'yaml';
import { applyObject, mergePatch, type KubeClient, type KubeObject } from '@sluice/kube';
import { adminClient, createTestNamespace, deleteTestNamespace } from '@sluice/kube/testing';
import type { TeamPolicySpec } from '@sluice/team-policy';
import { announceTeamPolicy } from '@sluice/team-policy/testing';
import { waitUntil } from '@sluice/testing';
import { Topics, type EventEnvelope } from '@sluice/contracts';
import { InMemorySpecSource } from './adapters/spec-sources';
import type { DeployConfigObject } from './domain/deploy-config';
import { outcomesOf, publish, request, sha, startKubeApplier, type Harness } from './testing/harness';

/*
 * Team policies in kube-applier, on the real kube-apiserver. kube-applier runs here with the
 * admin's credentials on purpose: every refusal below is Sluice's own, not RBAC's, so it would
 * hold even where an operator granted kube-applier too much.
 */

const C1 = sha('c');
const CROLE = sha('d');
const cm = (name: string) => `apiVersion: v1\nkind: ConfigMap\nmetadata: { name: ${name} }\ndata: { a: b }\n`;
const role = (name: string) => `apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata: { name: ${name} }\nrules: []\n`;

describe('kube-applier enforces team policies before anything reaches the cluster', () => {
  let admin: KubeClient;
  let team: string; // a team named like its own namespace, so its default policy allows it
  let victim: string; // another team's namespace, the one the controller watches
  let h: Harness;
  const roleName = `sluice-test-${randomUUID().slice(0, 8)}`;
  const specs = new InMemorySpecSource();

  const put = (config: string, sha: string, files: Record<string, string>) =>
    specs.put('acme/config', sha, Object.entries(files).map(([n, content]) => ({ path: `deploy/${config}/${n}`, content })));

  async function outcome(config: string, deployId: string, type: string) {
    await waitUntil(async () => (await outcomesOf(h.store, config, deployId)).some((o) => o.type === type), { message: `${type} for ${config}` });
    return (await outcomesOf(h.store, config, deployId)).find((o) => o.type === type)!;
  }

  const announcePolicy = (forTeam: string, policy: TeamPolicySpec) => announceTeamPolicy(h.bus, forTeam, policy, { dataSource: h.store.dataSource, schema: 'kube_applier' });

  const absent = async (ref: { apiVersion: string; kind: string; namespace?: string; name: string }) => assert.equal(await admin.find(ref), undefined, `${ref.kind} ${ref.namespace ?? ''}/${ref.name} must not exist`);

  before(async () => {
    admin = adminClient();
    // The repository's TeamPolicy CRD (a long-lived developer cluster may predate it).
    const crd = parseAllDocuments(readFileSync(new URL('../../../deploy/crds/sluice.dev_teampolicies.yaml', `file://${__filename}`), 'utf8'))[0]!.toJS() as KubeObject;
    await applyObject(admin, crd, { fieldManager: 'sluice-tests', force: true });
    await waitUntil(async () => {
      const got = await admin.get<KubeObject & { status?: { conditions?: Array<{ type: string; status: string }> } }>({ apiVersion: 'apiextensions.k8s.io/v1', kind: 'CustomResourceDefinition', name: 'teampolicies.sluice.dev' });
      return !!got.status?.conditions?.some((c) => c.type === 'Established' && c.status === 'True');
    }, { message: 'TeamPolicy CRD established' });
    team = await createTestNamespace(admin, 'team');
    victim = await createTestNamespace(admin, 'victim');
    put('escape', C1, { 'cm.yaml': cm('escape') });
    put('clusterwide', CROLE, { 'cm.yaml': cm('clusterwide'), 'role.yaml': role(roleName) });
    h = await startKubeApplier({
      env: { KUBE_APPLIER_RESYNC_SECONDS: '1', KUBE_APPLIER_HEALTH_POLL_SECONDS: '0.2' },
      module: { specSource: specs, kubeClient: admin, watchNamespace: victim },
    });
  });

  after(async () => {
    await h?.close();
    await admin.delete({ apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRole', name: roleName }).catch(() => undefined);
    if (team) await admin.delete({ apiVersion: 'sluice.dev/v1alpha1', kind: 'TeamPolicy', name: team }).catch(() => undefined);
    for (const ns of [team, victim]) if (ns) await deleteTestNamespace(admin, ns);
  });

  for (const [what, namespace, reason] of [
    ['kube-system', () => 'kube-system', /ReservedNamespace: .*"kube-system" is reserved/],
    ["Sluice's own namespace", () => 'sluice-system', /ReservedNamespace: .*"sluice-system" is Sluice's own/],
    ["another team's namespace", () => victim, /NamespaceNotAllowed: .*does not allow namespace "victim-/],
  ] as const) {
    it(`refuses a config targeting ${what}: deploy.failed PolicyDenied, no DeployConfig written`, async () => {
      const id = await publish(h.bus, request({ config: 'escape', namespace: namespace(), team, artifactSha: null, configSha: C1 }));
      const failed = await outcome('escape', id, 'deploy.failed');
      assert.equal(failed.data['reason'], 'PolicyDenied');
      assert.match(String(failed.data['message']), reason);
      assert.equal(failed.data['terminal'], true);
      await absent({ apiVersion: 'sluice.dev/v1alpha1', kind: 'DeployConfig', namespace: namespace(), name: 'escape' });
      await absent({ apiVersion: 'v1', kind: 'ConfigMap', namespace: namespace(), name: 'escape' });
    });
  }

  it('refuses a cluster-scoped kind the policy does not list, naming it; nothing applied', async () => {
    const id = await publish(h.bus, request({ config: 'clusterwide', namespace: team, team, artifactSha: null, configSha: CROLE }));
    const failed = await outcome('clusterwide', id, 'deploy.failed');
    assert.equal(failed.data['reason'], 'ForbiddenKind');
    assert.match(String(failed.data['message']), /ClusterRole\.rbac\.authorization\.k8s\.io is cluster-scoped and the default policy of team/);
    await absent({ apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRole', name: roleName });
    await absent({ apiVersion: 'sluice.dev/v1alpha1', kind: 'DeployConfig', namespace: team, name: 'clusterwide' });
  });

  it("stalls a hand-written DeployConfig in a namespace outside its team's policy, and applies nothing", async () => {
    const dc: KubeObject = {
      apiVersion: 'sluice.dev/v1alpha1',
      kind: 'DeployConfig',
      metadata: { name: 'smuggled', namespace: victim },
      spec: { team, artifactSha: null, configSha: C1, imageTag: null, specs: [{ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'smuggled' }, data: { a: 'b' } }] },
    };
    await applyObject(admin, dc, { fieldManager: 'a-person', force: true });
    await waitUntil(async () => {
      const got = await admin.get<DeployConfigObject>({ apiVersion: 'sluice.dev/v1alpha1', kind: 'DeployConfig', namespace: victim, name: 'smuggled' });
      return got.status?.conditions?.some((c) => c.type === 'Stalled' && c.status === 'True' && c.reason === 'PolicyDenied') ?? false;
    }, { message: 'DeployConfig stalled with PolicyDenied' });
    await absent({ apiVersion: 'v1', kind: 'ConfigMap', namespace: victim, name: 'smuggled' });
  });

  it('a namespace label selector allows only namespaces whose labels match, read from the cluster', async () => {
    await announcePolicy(team, { repositories: ['acme/*'], namespaces: [], namespaceSelector: { matchLabels: { 'tenant': team } }, clusterKinds: [] });
    const refused = await publish(h.bus, request({ config: 'escape', namespace: victim, team, artifactSha: null, configSha: C1 }));
    assert.match(String((await outcome('escape', refused, 'deploy.failed')).data['message']), new RegExp(`labelled tenant=${team}`));

    await mergePatch(admin, { apiVersion: 'v1', kind: 'Namespace', name: victim }, { metadata: { labels: { tenant: team } } });
    const allowed = await publish(h.bus, request({ config: 'escape', namespace: victim, team, artifactSha: null, configSha: C1 }));
    await outcome('escape', allowed, 'deploy.applied');
    const applied = await admin.get({ apiVersion: 'v1', kind: 'ConfigMap', namespace: victim, name: 'escape' });
    assert.equal(applied.metadata.labels?.['sluice.dev/config'], 'escape');
  });

  it('a repository outside the policy is refused', async () => {
    await announcePolicy(team, { repositories: ['other-org/*'], namespaces: [victim], namespaceSelector: null, clusterKinds: [] });
    const id = await publish(h.bus, request({ config: 'escape', namespace: victim, team, artifactSha: null, configSha: C1 }));
    assert.match(String((await outcome('escape', id, 'deploy.failed')).data['message']), /RepositoryNotAllowed: .*does not allow configs from acme\/config/);
  });

  it('a cluster-scoped kind the policy lists is applied without a namespace or owner reference, labelled, and pruned when it leaves the specs', async () => {
    await announcePolicy(team, { repositories: ['acme/config'], namespaces: [victim], namespaceSelector: null, clusterKinds: [{ group: 'rbac.authorization.k8s.io', kind: 'ClusterRole' }] });
    const id = await publish(h.bus, request({ config: 'clusterwide', namespace: victim, team, artifactSha: null, configSha: CROLE }));
    const applied = await outcome('clusterwide', id, 'deploy.applied');
    const inventory = applied.data['inventory'] as Array<{ kind: string; namespace: string | null; name: string }>;
    assert.deepEqual(inventory.find((e) => e.kind === 'ClusterRole'), { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRole', namespace: null, name: roleName });
    const created = await admin.get({ apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRole', name: roleName });
    assert.equal(created.metadata.labels?.['sluice.dev/config'], 'clusterwide');
    assert.deepEqual(created.metadata.ownerReferences ?? [], []);

    const C_NO_ROLE = sha('e');
    put('clusterwide', C_NO_ROLE, { 'cm.yaml': cm('clusterwide') });
    const next = await publish(h.bus, request({ config: 'clusterwide', namespace: victim, team, artifactSha: null, configSha: C_NO_ROLE }));
    await outcome('clusterwide', next, 'deploy.applied');
    await waitUntil(async () => (await admin.find({ apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRole', name: roleName })) === undefined, { message: 'ClusterRole pruned' });
  });

  it('builds go where deploys may: the namespace is checked again before a BuildRun, the artifact repository is not mistaken for a config repository', async () => {
    // The policy of the test above: configs from acme/config only, into the victim namespace only.
    await announcePolicy(team, { repositories: ['acme/config'], namespaces: [victim], namespaceSelector: null, clusterKinds: [] });
    const build = (namespace: string, commitSha: string): EventEnvelope => {
      const id = randomUUID();
      return {
        id,
        type: 'build.requested',
        version: 1,
        stream: 'config-builder',
        streamVersion: 1,
        occurredAt: new Date().toISOString(),
        correlationId: id,
        causationId: null,
        data: {
          buildId: randomUUID(),
          config: 'builder',
          team,
          namespace,
          target: 'staging',
          repo: 'acme/billing',
          ref: 'main',
          commitSha,
          artifactImage: `ghcr.io/acme/billing:main-${commitSha.slice(0, 7)}`,
          imageTag: `main-${commitSha.slice(0, 7)}`,
          builder: { image: 'ghcr.io/acme/builder:1', command: ['make'], timeoutSeconds: 60 },
          requestedBy: 'autodeploy',
          reason: 'push',
        },
      };
    };
    const runsIn = async (namespace: string) => (await admin.list<KubeObject & { spec: { commitSha: string } }>({ apiVersion: 'sluice.dev/v1alpha1', kind: 'BuildRun', namespace })).items;

    // Allowed namespace, artifact repository outside the config-repository list: built.
    await h.bus.publish(Topics.deploy, [build(victim, sha('e'))]);
    await waitUntil(async () => (await runsIn(victim)).some((r) => r.spec.commitSha === sha('e')), { message: 'the BuildRun in the allowed namespace' });

    // A namespace outside the policy: refused before anything is written, and recorded.
    const refused = build(team, sha('f'));
    await h.bus.publish(Topics.deploy, [refused]);
    const buildId = (refused.data as { buildId: string }).buildId;
    await waitUntil(async () => (await h.store.readStream('applier-builder')).some((e) => e.type === 'build.finished' && (e.data as { buildId: string }).buildId === buildId), {
      message: 'build.finished for the refused build',
    });
    const finished = (await h.store.readStream('applier-builder')).find((e) => e.type === 'build.finished' && (e.data as { buildId: string }).buildId === buildId)!;
    assert.equal((finished.data as { phase: string }).phase, 'Canceled');
    assert.match((finished.data as { message: string }).message, /^refused by the team policy: NamespaceNotAllowed: /);
    assert.deepEqual(await runsIn(team), []);
    await absent({ apiVersion: 'sluice.dev/v1alpha1', kind: 'DeployConfig', namespace: team, name: 'builder' });
  });

  it("a TeamPolicy object is recorded in the log, wins over the admin API's policy, says it was accepted, and its deletion restores the API's", async () => {
    const cluster = async () => (await h.store.dataSource.query(`SELECT policy FROM kube_applier.team_policies WHERE team = $1 AND source = 'cluster'`, [team])) as Array<{ policy: unknown }>;
    await announcePolicy(team, { repositories: ['acme/*'], namespaces: [team], namespaceSelector: null, clusterKinds: [] });
    const refused = await publish(h.bus, request({ config: 'escape', namespace: victim, team, artifactSha: null, configSha: C1 }));
    assert.match(String((await outcome('escape', refused, 'deploy.failed')).data['message']), /the policy of team/);

    await admin.create({ apiVersion: 'sluice.dev/v1alpha1', kind: 'TeamPolicy', metadata: { name: team }, spec: { repositories: ['acme/config'], namespaces: [victim] } });
    await waitUntil(async () => (await cluster())[0]?.policy != null, { message: 'TeamPolicy recorded' });
    const recorded = await h.store.readStream(`cluster-team-policy-${team}`);
    assert.deepEqual(recorded.map((e) => [e.type, (e.data as { source: string }).source, (e.data as { setBy: string }).setBy]), [['team.policy.set', 'cluster', `TeamPolicy/${team}`]]);
    await waitUntil(async () => {
      const got = await admin.get<KubeObject & { status?: { conditions?: Array<{ type: string; status: string }> } }>({ apiVersion: 'sluice.dev/v1alpha1', kind: 'TeamPolicy', name: team });
      return got.status?.conditions?.some((c) => c.type === 'Accepted' && c.status === 'True') ?? false;
    }, { message: 'TeamPolicy Accepted' });
    const allowed = await publish(h.bus, request({ config: 'escape', namespace: victim, team, artifactSha: null, configSha: C1 }));
    await outcome('escape', allowed, 'deploy.applied');

    await admin.delete({ apiVersion: 'sluice.dev/v1alpha1', kind: 'TeamPolicy', name: team });
    await waitUntil(async () => (await cluster())[0]?.policy === null, { message: 'TeamPolicy removal recorded' });
    const again = await publish(h.bus, request({ config: 'escape', namespace: victim, team, artifactSha: null, configSha: C1 }));
    assert.match(String((await outcome('escape', again, 'deploy.failed')).data['message']), /NamespaceNotAllowed: .*the policy of team/);
  });
});
