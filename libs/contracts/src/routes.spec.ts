import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { REPLAY_VIEWS, replayPath, serviceForPath } from './routes';

describe('serviceForPath (what a gateway or the CLI routes by)', () => {
  it('sends each service its own paths, the replays included', () => {
    const cases: Array<[string, string]> = [
      ['/webhooks/github', 'webhook-ingest'],
      ['/api/repos/acme/billing', 'repo-sync'],
      ['/api/admin/sync/0190a0a0-0000-7000-8000-000000000001', 'repo-sync'],
      ['/api/admin/replay/repo-sync', 'repo-sync'],
      ['/api/admin/replay/repo-sync/0190a0a0-0000-7000-8000-000000000001', 'repo-sync'],
      ['/api/admin/replay/kube-applier', 'kube-applier'],
      ['/api/deploys/d1/manifests', 'kube-applier'],
      ['/api/test-runs', 'kube-applier'],
      ['/api/commit-statuses', 'commit-status'],
      ['/api/admin/replay/commit-status', 'commit-status'],
      ['/api/admin/replay/commit-status/team-tokens', 'commit-status'],
      ['/api/admin/replay/repo-sync/team-tokens', 'repo-sync'],
      ['/api/admin/replay/kube-applier/team-tokens', 'kube-applier'],
      ['/api/admin/replay/kube-applier/team-policies', 'kube-applier'],
      ['/api/admin/replay/repo-sync/team-policies', 'repo-sync'],
      ['/api/admin/replay/autodeploy/team-policies', 'autodeploy'],
      ['/api/admin/replay/autodeploy/repo-knowledge', 'autodeploy'],
      ['/api/admin/replay/autodeploy/preview-facts', 'autodeploy'],
      ['/api/admin/replay', 'autodeploy'],
      ['/api/admin/replay/0190a0a0-0000-7000-8000-000000000001', 'autodeploy'],
      ['/api/configs', 'autodeploy'],
    ];
    assert.deepEqual(cases.map(([path]) => [path, serviceForPath(path)]), cases);
  });

  it('sends each replay view to the service it is named after (the start and its progress)', () => {
    for (const view of REPLAY_VIEWS) {
      const owner = view.split('/')[0];
      assert.equal(serviceForPath(replayPath(view)), owner, view);
      assert.equal(serviceForPath(`${replayPath(view)}/0190a0a0-0000-7000-8000-000000000001`), owner, view);
    }
  });
});
