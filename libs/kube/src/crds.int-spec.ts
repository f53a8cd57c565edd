import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { patchStatus } from './apply';
import type { KubeClient } from './client';
import { KubeInvalidError } from './errors';
import type { KubeObject } from './types';
import { adminClient, createTestNamespace, deleteTestNamespace } from './testing/env';

const SHA_A = 'a'.repeat(40);
const SHA_B = '0123456789abcdef0123456789abcdef01234567';

describe('sluice.dev CRDs on a real kube-apiserver', () => {
  let client: KubeClient;
  let ns: string;

  before(async () => {
    client = adminClient();
    ns = await createTestNamespace(client, 'crds');
  });
  after(async () => {
    await deleteTestNamespace(client, ns);
  });

  const deployConfig = (name: string, spec: Record<string, unknown>): KubeObject => ({
    apiVersion: 'sluice.dev/v1alpha1',
    kind: 'DeployConfig',
    metadata: { name, namespace: ns },
    spec,
  });
  const validSpec = {
    team: 'payments',
    artifactSha: SHA_A,
    configSha: SHA_B,
    imageTag: 'feature-login-aaaaaaa',
    specs: [{ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'settings' }, data: { LOG_LEVEL: 'debug' } }],
  };

  async function rejection(p: Promise<unknown>): Promise<KubeInvalidError> {
    const err = await p.then(
      () => assert.fail('expected the API server to reject the object'),
      (e: unknown) => e,
    );
    assert.ok(err instanceof KubeInvalidError, `expected KubeInvalidError, got ${String(err)}`);
    return err;
  }
  const fields = (err: KubeInvalidError) => err.causes.map((c) => c.field).join(',');

  it('installs all four CRDs, established, with short names and the sluice category', async () => {
    for (const name of ['deployconfigs.sluice.dev', 'commitstatuses.sluice.dev', 'gitrepos.sluice.dev', 'teampolicies.sluice.dev']) {
      const crd = await client.get<KubeObject & { status: { conditions: Array<{ type: string; status: string }> } }>({
        apiVersion: 'apiextensions.k8s.io/v1',
        kind: 'CustomResourceDefinition',
        name,
      });
      const cond = (t: string) => crd.status.conditions.find((c) => c.type === t)?.status;
      assert.equal(cond('Established'), 'True', `${name} established`);
      assert.equal(cond('NamesAccepted'), 'True', `${name} names accepted`);
    }
    const dc = await client.resource('sluice.dev/v1alpha1', 'DeployConfig');
    assert.deepEqual(dc.shortNames, ['sdc']);
    assert.deepEqual(dc.categories, ['sluice']);
    assert.equal(dc.namespaced, true);
    const statusSubresources = (
      await client.request<{ resources: Array<{ name: string }> }>({ method: 'GET', path: '/apis/sluice.dev/v1alpha1' })
    ).resources
      .map((r) => r.name)
      .filter((n) => n.endsWith('/status'))
      .sort();
    assert.deepEqual(statusSubresources, ['buildruns/status', 'commitstatuses/status', 'deployconfigs/status', 'gitrepos/status', 'teampolicies/status']);
    const tp = await client.resource('sluice.dev/v1alpha1', 'TeamPolicy');
    assert.deepEqual(tp.shortNames, ['stp']);
    assert.equal(tp.namespaced, false, 'a TeamPolicy is cluster-scoped: only cluster admins write it');
  });

  it('refuses a TeamPolicy whose name is not a team (a DNS label) or whose namespaces are malformed', async () => {
    for (const [name, spec] of [
      ['payments.eu', { repositories: ['*'], namespaces: ['payments'] }],
      ['payments', { repositories: ['*'], namespaces: ['Payments'] }],
      ['payments', { repositories: ['../x'], namespaces: [] }],
    ] as const) {
      const err = await client.create({ apiVersion: 'sluice.dev/v1alpha1', kind: 'TeamPolicy', metadata: { name }, spec } as KubeObject).then(
        () => assert.fail(`TeamPolicy ${name} ${JSON.stringify(spec)} accepted`),
        (e: unknown) => e,
      );
      assert.ok(err instanceof KubeInvalidError, `expected KubeInvalidError, got ${String(err)}`);
    }
  });

  it('takes TeamPolicy repository patterns of GitLab subgroups (group/sub/*), and refuses a wildcard before the last segment', async () => {
    const policy = (name: string, repositories: string[]) => ({ apiVersion: 'sluice.dev/v1alpha1', kind: 'TeamPolicy', metadata: { name }, spec: { repositories, namespaces: ['ledger'] } }) as KubeObject;
    // Dry runs: validated by the API server, nothing stored in the cluster other specs share.
    const created = await client.create(policy('crds-gitlab-subgroups', ['acme/platform/*', 'acme/data/infra/cfg*', 'acme/billing']), { dryRun: true });
    assert.deepEqual((created.spec as { repositories: string[] }).repositories, ['acme/platform/*', 'acme/data/infra/cfg*', 'acme/billing']);
    const err = await rejection(client.create(policy('crds-gitlab-bad', ['acme/*/x']), { dryRun: true }));
    assert.match(fields(err), /spec\.repositories\[0\]/);
  });

  const buildRun = (name: string, spec: Record<string, unknown>): KubeObject => ({
    apiVersion: 'sluice.dev/v1alpha1',
    kind: 'BuildRun',
    metadata: { name, namespace: ns },
    spec: {
      config: 'billing-api',
      target: 'staging',
      repo: 'acme/billing',
      ref: 'main',
      commitSha: SHA_B,
      image: 'ghcr.io/acme/builder:1.2',
      command: ['make', 'image'],
      timeoutSeconds: 600,
      ...spec,
    },
  });

  it('BuildRun: accepts a build, moves its phase through the status subresource, and keeps its spec immutable', async () => {
    const created = await client.create(buildRun('billing-api-staging-1', {}));
    assert.equal((created.spec as { commitSha: string }).commitSha, SHA_B);
    const updated = await patchStatus(client, { apiVersion: 'sluice.dev/v1alpha1', kind: 'BuildRun', namespace: ns, name: 'billing-api-staging-1' }, { phase: 'Running', jobName: 'billing-api-staging-1' });
    assert.equal((updated['status'] as { phase: string }).phase, 'Running');
    const err = await client
      .request({
        method: 'PATCH',
        path: `/apis/sluice.dev/v1alpha1/namespaces/${ns}/buildruns/billing-api-staging-1`,
        contentType: 'application/merge-patch+json',
        body: { spec: { commitSha: SHA_A } },
      })
      .then(() => assert.fail('a BuildRun spec was changed'), (e: unknown) => e);
    assert.ok(err instanceof KubeInvalidError && /immutable/.test(err.message), String(err));
    const bad = await patchStatus(client, { apiVersion: 'sluice.dev/v1alpha1', kind: 'BuildRun', namespace: ns, name: 'billing-api-staging-1' }, { phase: 'Done' }).then(
      () => assert.fail('an unknown phase was accepted'),
      (e: unknown) => e,
    );
    assert.ok(bad instanceof KubeInvalidError, String(bad));
  });

  it('BuildRun: builds a GitLab project in a subgroup (repo group/subgroup/name); a path with an empty segment is refused', async () => {
    const created = await client.create(buildRun('ledger-staging-1', { repo: 'acme/platform/services/ledger' }), { dryRun: true });
    assert.equal((created.spec as { repo: string }).repo, 'acme/platform/services/ledger');
    const err = await rejection(client.create(buildRun('ledger-staging-2', { repo: 'acme//ledger' }), { dryRun: true }));
    assert.match(fields(err), /spec\.repo/);
  });

  it('BuildRun: refuses what one object can tell is wrong (CEL and schema), with the rule\'s message', async () => {
    for (const [spec, message] of [
      [{ commitSha: 'abc123' }, /commitSha must be 40 lowercase hex characters/],
      [{ timeoutSeconds: 5 }, /timeoutSeconds must be between 30 and 21600/],
      [{ timeoutSeconds: 86_400 }, /timeoutSeconds must be between 30 and 21600/],
      [{ image: 'ghcr.io/acme/builder' }, /image must be a lowercase image reference with a tag or a sha256 digest/],
      [{ image: 'GHCR.io/Acme/builder:1' }, /image must be a lowercase image reference/],
      [{ command: [] }, /command/],
      [{ target: 'Production' }, /target/],
    ] as const) {
      const err = await client.create(buildRun(`bad-${Math.random().toString(16).slice(2, 8)}`, spec)).then(
        () => assert.fail(`BuildRun ${JSON.stringify(spec)} accepted`),
        (e: unknown) => e,
      );
      assert.ok(err instanceof KubeInvalidError, `${JSON.stringify(spec)}: ${String(err)}`);
      assert.match(err.message, message, JSON.stringify(spec));
    }
    const digest = await client.create(buildRun('by-digest', { image: `ghcr.io/acme/builder@sha256:${'c'.repeat(64)}` }));
    assert.ok(digest.metadata.uid);
  });

  it('DeployConfig status maps each target to its running BuildRun', async () => {
    await client.create(deployConfig('with-builds', validSpec));
    const status = await patchStatus(client, { apiVersion: 'sluice.dev/v1alpha1', kind: 'DeployConfig', namespace: ns, name: 'with-builds' }, { currentBuilds: { staging: 'with-builds-staging-1' } });
    assert.deepEqual((status['status'] as { currentBuilds: unknown }).currentBuilds, { staging: 'with-builds-staging-1' });
  });

  it('accepts a deployed DeployConfig and keeps the manifests in specs verbatim', async () => {
    const created = await client.create(deployConfig('billing-api', validSpec));
    assert.deepEqual(created.spec, validSpec);
  });

  it('accepts the virtual (undeployed) config with null SHAs and no specs', async () => {
    const virtual = { team: 'payments', artifactSha: null, configSha: null, imageTag: null, specs: [] };
    const created = await client.create(deployConfig('virtual', virtual));
    assert.deepEqual(created.spec, virtual);
  });

  it('rejects a DeployConfig whose artifactSha is not 40 lowercase hex characters', async () => {
    const err = await rejection(client.create(deployConfig('bad-sha', { ...validSpec, artifactSha: 'ABC123' })));
    assert.match(fields(err), /spec\.artifactSha/);
  });

  it('rejects the invalid state (artifactSha, null configSha)', async () => {
    const err = await rejection(client.create(deployConfig('half', { ...validSpec, configSha: null })));
    assert.match(err.message, /artifactSha requires configSha/);
  });

  it('rejects a DeployConfig without a team and a spec manifest without kind', async () => {
    const { team: _team, ...noTeam } = validSpec;
    assert.match(fields(await rejection(client.create(deployConfig('no-team', noTeam)))), /spec\.team/);
    const noKind = { ...validSpec, specs: [{ apiVersion: 'v1', metadata: { name: 'x' } }] };
    assert.match(fields(await rejection(client.create(deployConfig('no-kind', noKind)))), /spec\.specs\[0\]\.kind/);
  });

  it('validates status through the status subresource: phase enum and condition shape', async () => {
    const ref = { apiVersion: 'sluice.dev/v1alpha1', kind: 'DeployConfig', namespace: ns, name: 'billing-api' };
    const ok = await patchStatus(client, ref, {
      phase: 'Applied',
      observedGeneration: 1,
      lastAppliedAt: '2026-01-01T00:00:00Z',
      conditions: [
        { type: 'Ready', status: 'Unknown', reason: 'Progressing', message: 'waiting for rollout', lastTransitionTime: '2026-01-01T00:00:00Z' },
      ],
      inventory: [{ apiVersion: 'v1', kind: 'ConfigMap', namespace: ns, name: 'settings' }],
    });
    assert.equal((ok.status as { phase: string }).phase, 'Applied');

    assert.match(fields(await rejection(patchStatus(client, ref, { phase: 'Exploded' }))), /status\.phase/);
    const badCondition = [{ type: 'Ready', status: 'Maybe', reason: 'x', message: '', lastTransitionTime: '2026-01-01T00:00:00Z' }];
    assert.match(fields(await rejection(patchStatus(client, ref, { conditions: badCondition }))), /status\.conditions\[0\]\.status/);
  });

  it('shows the printer columns', async () => {
    const table = await client.request<{ columnDefinitions: Array<{ name: string }>; rows: unknown[] }>({
      method: 'GET',
      path: `/apis/sluice.dev/v1alpha1/namespaces/${ns}/deployconfigs`,
      accept: 'application/json;as=Table;v=v1;g=meta.k8s.io',
    });
    const names = table.columnDefinitions.map((c) => c.name);
    for (const col of ['Name', 'Team', 'Phase', 'Ready', 'Image-Tag', 'Artifact', 'Config', 'Age']) assert.ok(names.includes(col), col);
  });

  it('accepts a valid GitRepo and CommitStatus and rejects wrong enums and SHAs', async () => {
    const gitRepo = (name: string, spec: Record<string, unknown>): KubeObject => ({
      apiVersion: 'sluice.dev/v1alpha1',
      kind: 'GitRepo',
      metadata: { name, namespace: ns },
      spec,
    });
    const repo = await client.create(gitRepo('billing', { provider: 'github', owner: 'acme', name: 'billing', secretRef: { name: 'gh' } }));
    assert.deepEqual((repo.spec as { secretRef: unknown }).secretRef, { name: 'gh', key: 'token' }, 'secretRef.key defaults to token');
    await client.create(gitRepo('nested', { provider: 'gitlab', owner: 'acme/platform', name: 'billing', secretRef: { name: 'gl' } }));
    assert.match(fields(await rejection(client.create(gitRepo('svn', { provider: 'svn', owner: 'a', name: 'b', secretRef: { name: 's' } })))), /spec\.provider/);
    const nestedOnGithub = gitRepo('nested-gh', { provider: 'github', owner: 'a/b', name: 'c', secretRef: { name: 's' } });
    assert.match((await rejection(client.create(nestedOnGithub))).message, /only for gitlab/);

    const commitStatus = (name: string, spec: Record<string, unknown>): KubeObject => ({
      apiVersion: 'sluice.dev/v1alpha1',
      kind: 'CommitStatus',
      metadata: { name, namespace: ns },
      spec,
    });
    const validStatus = { gitRepoRef: { name: 'billing' }, sha: SHA_B, name: 'sluice/deploy', description: 'Deploying', phase: 'in_progress', url: 'https://sluice.example/deploys/1' };
    await client.create(commitStatus('ok', validStatus));
    assert.match(fields(await rejection(client.create(commitStatus('bad-phase', { ...validStatus, phase: 'done' })))), /spec\.phase/);
    assert.match(fields(await rejection(client.create(commitStatus('bad-sha', { ...validStatus, sha: 'deadbeef' })))), /spec\.sha/);

    const csRef = { apiVersion: 'sluice.dev/v1alpha1', kind: 'CommitStatus', namespace: ns, name: 'ok' };
    const synced = await patchStatus(client, csRef, {
      isSynced: true,
      updatedAt: '2026-01-01T00:00:00Z',
      syncFailure: null,
      repo: 'acme/billing',
      sha: SHA_B,
      phase: 'in_progress',
      provider: { github: { checkRunId: 4242 } },
      observedGeneration: 1,
    });
    assert.deepEqual((synced.status as { provider: unknown }).provider, { github: { checkRunId: 4242 } });
  });
});
