import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { RepoRef } from '@sluice/contracts';
import { FakeGitHub } from '@sluice/fake-scm';
import { announceTeamPolicy } from '@sluice/team-policy/testing';
import { waitUntil } from '@sluice/testing';
import { branchCreatedPush, startRepoSync, type RepoSyncTestApp } from '../../test/repo-sync-app';

describe('GET /api/repos/{owner}/{name}/configs reports each config under its team policy', () => {
  const fake = new FakeGitHub();
  let t: RepoSyncTestApp;
  const repo: RepoRef = { fullName: 'acme/team-configs', id: 7, defaultBranch: 'main', private: true, provider: 'github' };
  let head: string;

  before(async () => {
    await fake.start();
    fake.seed.repo({ owner: 'acme', name: 'team-configs', defaultBranch: 'main', private: true });
    head = fake.seed.commit('acme/team-configs', {
      message: 'configs',
      files: {
        'deploy/ok/deploy.yaml': 'team: payments\nnamespace: payments-api\n',
        'deploy/kube/deploy.yaml': 'team: payments\nnamespace: kube-system\n',
        'deploy/sluice/deploy.yaml': 'team: payments\nnamespace: sluice-system\n',
        'deploy/neighbour/deploy.yaml': 'team: payments\nnamespace: web\n',
      },
    });
    t = await startRepoSync(fake);
    await t.publishScm('scm.push.received', branchCreatedPush(repo, 'main', head));
    await waitUntil(async () => (await t.api('/api/repos/acme/team-configs/configs')).body.configs?.length === 4, { message: 'configs discovered' });
  });
  after(async () => {
    await t?.close();
    await fake.stop();
  });

  const verdicts = async () => {
    const res = await t.api('/api/repos/acme/team-configs/configs');
    assert.equal(res.status, 200);
    return Object.fromEntries((res.body.configs as Array<{ name: string; policy: { allowed: boolean; reason?: string; message?: string } }>).map((c) => [c.name, c.policy]));
  };

  it('the default policy: <team>-* allowed; kube-system, Sluice’s namespace and another team’s namespace refused, saying why', async () => {
    const v = await verdicts();
    assert.deepEqual(v['ok'], { allowed: true });
    assert.equal(v['kube']?.reason, 'ReservedNamespace');
    assert.equal(v['sluice']?.reason, 'ReservedNamespace');
    assert.equal(v['neighbour']?.reason, 'NamespaceNotAllowed');
    assert.match(v['neighbour']?.message ?? '', /default policy of team "payments" does not allow namespace "web" \(allowed: payments, payments-\*\)/);
  });

  it('a configured policy applies at once: another repository only → every config of this one refused', async () => {
    await announceTeamPolicy(t.bus, 'payments', { repositories: ['acme/payments-*', 'acme/other'], namespaces: ['payments-*', 'web'], namespaceSelector: null, clusterKinds: [] });
    await waitUntil(async () => (await verdicts())['ok']?.allowed === false, { message: 'policy projected' });
    const v = await verdicts();
    for (const name of ['ok', 'neighbour', 'kube']) assert.equal(v[name]?.reason, 'RepositoryNotAllowed', name);

    await announceTeamPolicy(t.bus, 'payments', { repositories: ['acme/*'], namespaces: ['payments-*', 'web'], namespaceSelector: { matchLabels: { team: 'payments' } }, clusterKinds: [] });
    await waitUntil(async () => (await verdicts())['neighbour']?.allowed === true, { message: 'second policy projected' });
    const after = await verdicts();
    assert.equal(after['kube']?.reason, 'ReservedNamespace', 'a pattern never opens a reserved namespace');
    assert.equal(after['sluice']?.reason, 'ReservedNamespace');
  });
});
