import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { RepoRef } from '@sluice/contracts';
import { FakeGitHub } from '@sluice/fake-scm';
import { waitUntil } from '@sluice/testing';
import { branchCreatedPush, startRepoSync, type RepoSyncTestApp } from '../../test/repo-sync-app';

describe('repo-sync: a branch deletion (`delete` delivery) removes the branch only when GitHub no longer has it', () => {
  const fake = new FakeGitHub();
  let t: RepoSyncTestApp;
  const repo: RepoRef = { fullName: 'acme/svc', id: 11, defaultBranch: 'main', private: false, provider: 'github' };
  let head: string;

  const branchKnown = async () => {
    const res = await t.api('/api/repos/acme/svc/branches');
    return (res.body.items as Array<{ name: string }> | undefined)?.some((b) => b.name === 'feature/x') ?? false;
  };
  const deleted = () => t.publishScm('scm.ref.deleted', { deliveryId: 'replayed-delete', repo, refType: 'branch', ref: 'feature/x' });

  before(async () => {
    await fake.start();
    fake.seed.repo({ owner: 'acme', name: 'svc', defaultBranch: 'main' });
    fake.seed.commit('acme/svc', { message: 'init', files: { 'a.txt': '1' } });
    head = fake.seed.commit('acme/svc', { message: 'feature', files: { 'b.txt': '2' } });
    fake.seed.branch('acme/svc', 'feature/x', head);
    t = await startRepoSync(fake);
    await t.publishScm('scm.push.received', branchCreatedPush(repo, 'feature/x', head));
    await waitUntil(branchKnown, { message: 'branch recorded' });
  });
  after(async () => {
    await t?.close();
    await fake.stop();
  });

  it('a replayed delete of a branch GitHub still has is recorded (push-ignored, still-exists) and changes nothing', async () => {
    await deleted();
    await waitUntil(() => t.published.some((e) => e.type === 'repo.branch.push-ignored'), { message: 'push-ignored recorded' });
    const ignored = t.published.find((e) => e.type === 'repo.branch.push-ignored')!.data as Record<string, unknown>;
    assert.deepEqual({ relation: ignored['relation'], knownSha: ignored['knownSha'], deleted: ignored['deleted'] }, { relation: 'still-exists', knownSha: head, deleted: true });
    assert.equal(await branchKnown(), true);
    assert.equal(t.published.some((e) => e.type === 'repo.branch.deleted'), false);
  });

  it('once GitHub has deleted it, the same delivery deletes it from the catalogue', async () => {
    fake.seed.deleteBranch('acme/svc', 'feature/x');
    await deleted();
    await waitUntil(() => t.published.some((e) => e.type === 'repo.branch.deleted'), { message: 'branch deleted' });
    assert.equal(await branchKnown(), false);
  });
});
