import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { deployConfigRoot, isRepoPathOf, repoFullName, repoPathProblem, repoRef, repoRefV1 } from './events/common';
import { repoStream } from './streams';
import { validateEventData } from './parse';
import { latestVersion, schemaOf } from './registry';

/** A project under a top-level group and `n` subgroups: GitLab allows 20 groups deep, so n ≤ 19. */
const levels = (n: number) => ['acme', ...Array.from({ length: n }, (_, i) => `sub${i}`), 'config'].join('/');
const ref = (provider: 'github' | 'gitlab' | 'bitbucket', fullName: string, id: number | null = 7) => ({ provider, id, fullName, defaultBranch: 'main', private: true });

describe('repository paths: owner/name, and GitLab group/subgroup…/name', () => {
  it('a path field takes owner/name and up to 20 nested groups, segments of [A-Za-z0-9_.-]', () => {
    for (const ok of ['acme/billing', 'acme/platform/gitlab-config', 'a.b/c_d/e-f', levels(19)]) assert.equal(repoFullName.safeParse(ok).success, true, ok);
    for (const bad of ['acme', 'acme/', '/acme/x', 'acme//x', 'acme/x/', 'acme/pl atform/x', 'acme/%2F/x', levels(20)]) {
      const r = repoFullName.safeParse(bad);
      assert.equal(r.success, false, bad);
      assert.match(r.error!.issues[0]!.message, /owner\/name repository full name \(GitLab: group\/subgroup\/name/);
    }
  });

  it('a RepoRef is owner/name on GitHub and Bitbucket, and may be a subgroup path on GitLab only', () => {
    assert.equal(repoRef.safeParse(ref('gitlab', 'acme/platform/gitlab-config')).success, true);
    assert.equal(repoRef.safeParse(ref('gitlab', levels(19))).success, true);
    assert.equal(repoRef.safeParse(ref('github', 'acme/billing')).success, true);
    for (const provider of ['github', 'bitbucket'] as const) {
      const r = repoRef.safeParse(ref(provider, 'acme/platform/billing'));
      assert.equal(r.success, false, provider);
      assert.deepEqual(r.error!.issues.map((i) => [i.path.join('.'), i.message]), [['fullName', `a ${provider} repository full name is owner/name (subgroup paths are GitLab's only)`]]);
    }
    assert.equal(repoRefV1.safeParse({ fullName: 'acme/platform/billing', id: 1, defaultBranch: 'main', private: false }).success, false, 'v1 RepoRefs were GitHub only');
    assert.deepEqual([isRepoPathOf('gitlab', 'a/b/c'), isRepoPathOf('github', 'a/b/c'), isRepoPathOf('bitbucket', 'a/b')], [true, false, true]);
    assert.equal(repoPathProblem('gitlab', levels(20)), 'a GitLab project path: group/name or group/subgroup/name (up to 20 nested groups)');
  });

  it('events carry subgroup paths: a push, a rename, a config', () => {
    const sha = 'a'.repeat(40);
    const push = {
      repo: ref('gitlab', 'acme/platform/gitlab-config'),
      ref: 'refs/heads/main', refType: 'branch', name: 'main', before: '0'.repeat(40), after: sha,
      created: false, deleted: false, forced: false, headCommit: null, commits: [], pusher: null, deliveryId: 'd-1',
    };
    assert.doesNotThrow(() => validateEventData('scm.push.received', push as never));
    const github = schemaOf('scm.push.received', latestVersion('scm.push.received'))!.safeParse({ ...push, repo: ref('github', 'acme/platform/gitlab-config') });
    assert.deepEqual(github.error?.issues.map((i) => [i.path.join('.'), i.message]), [['repo.fullName', "a github repository full name is owner/name (subgroup paths are GitLab's only)"]]);
    const root = deployConfigRoot.safeParse({
      name: 'billing-api', team: 'payments', namespace: 'payments', track: { branch: 'main' }, autodeploy: true, path: 'deploy/billing-api',
      artifact: { repo: 'acme/platform/billing', image: 'registry.example.com/billing', build: null },
      configRepo: 'acme/platform/gitlab-config', configRepoProvider: 'gitlab',
    });
    assert.equal(root.success, true, JSON.stringify(root.error?.issues));
  });

  it('streams of a subgroup project: by id, or by its whole path when the id is unknown', () => {
    assert.equal(repoStream(ref('gitlab', 'acme/platform/gitlab-config', 4711)), 'repo-gitlab-4711');
    assert.equal(repoStream(ref('gitlab', 'acme/platform/gitlab-config', null)), 'repo-gitlab-acme/platform/gitlab-config');
  });
});
