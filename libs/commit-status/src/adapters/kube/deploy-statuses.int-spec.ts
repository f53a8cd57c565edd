import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import request from 'supertest';
import { errorFromResponse, KubeClient, type RequestOptions } from '@sluice/kube';
import { v7 as uuidv7 } from 'uuid';
import { ADMIN } from '../../testing/app';
import { eventually, SYSTEM_NS } from '../../testing/kube';
import { startOwnedStatuses, type OwnedStatusesFixture } from '../../testing/owned-statuses';
import { API_VERSION, type GitRepoObject } from './kube-store';

/*
 * The service with a cluster: deploy events → a CommitStatus resource per config (and the
 * GitRepo of the repository, created when missing) under the service account's token →
 * statuses on fake GitHub, status subresource mirroring them, read API from the cluster.
 * The CommitStatus is written after the consumer's transaction commits, never inside it; a
 * write that fails then stays pending and is written by the sweep.
 */

/** The service account's client, refusing CommitStatus spec writes while `refuse` is set (403, terminal). */
class RefusingClient extends KubeClient {
  refuse = false;
  refused = 0;
  override async request<T = unknown>(opts: RequestOptions): Promise<T> {
    if (this.refuse && opts.method === 'PATCH' && opts.path.includes('/commitstatuses/') && !opts.path.endsWith('/status')) {
      this.refused++;
      throw errorFromResponse(403, { kind: 'Status', status: 'Failure', code: 403, reason: 'Forbidden', message: 'refused by the test' }, undefined, `${opts.method} ${opts.path}`);
    }
    return super.request<T>(opts);
  }
}

describe('commit-status service on Kubernetes: Sluice-owned CommitStatus resources', () => {
  let f: OwnedStatusesFixture;
  let client: RefusingClient;
  let repo: string;
  let config: string;
  let a1: string;
  let a2: string;

  before(async () => {
    f = await startOwnedStatuses({ name: 'billing', commits: 2, kubeClient: (serviceAccount) => (client = new RefusingClient(serviceAccount.config)) });
    ({ repo, config } = f);
    [a1, a2] = f.commits;
  });
  after(async () => {
    await f?.close();
  });

  const resource = () => f.resource();
  const held = (sha: string) => f.statuses(sha).map((s) => s.state);
  const publish: OwnedStatusesFixture['publish'] = (type, data) => f.publish(type, data);
  const requested = (deployId: string, sha: string) => f.requested(deployId, sha);

  it('a deploy creates the GitRepo and the CommitStatus, and its lifecycle reaches GitHub and status', async () => {
    const d1 = uuidv7();
    await publish('deploy.requested', requested(d1, a1));
    const created = await eventually(async () => (await resource())?.status?.isSynced && (await resource()), 'CommitStatus synced');
    assert.equal(created.spec.sha, a1);
    assert.equal(created.spec.name, `sluice/${config}`);
    assert.equal(created.spec.url, `https://sluice.example/deploys/${d1}`);
    assert.equal(created.metadata.labels?.['app.kubernetes.io/managed-by'], 'sluice');
    const gitRepo = await f.admin.get<GitRepoObject>({ apiVersion: API_VERSION, kind: 'GitRepo', namespace: SYSTEM_NS, name: created.spec.gitRepoRef.name });
    assert.deepEqual(gitRepo.spec, { provider: 'github', owner: 'acme', name: repo.slice('acme/'.length), secretRef: { name: f.secretName, key: 'token' } });

    await publish('deploy.started', { deployId: d1, config });
    await eventually(async () => (await resource())?.status?.phase === 'in_progress' && (await resource())?.status?.isSynced, 'in_progress');
    // A newer deploy while this one is in progress: the old commit is canceled, the new one queued.
    await publish('deploy.requested', requested(uuidv7(), a2));
    await eventually(async () => (await resource())?.status?.sha === a2 && (await resource())?.status?.isSynced, 'moved to a2');
    assert.deepEqual(held(a1), ['pending', 'pending', 'error']);
    assert.deepEqual(held(a2), ['pending']);

    const res = await request(f.svc.http).get('/api/commit-statuses').query({ repo, sha: a2 }).set('Authorization', `Bearer ${ADMIN}`).expect(200);
    assert.deepEqual(
      res.body.items.map((i: { name: string; status: { phase: string } }) => `${i.name}:${i.status.phase}`),
      [`sluice-${config}:queued`],
    );
  });

  it('a CommitStatus write that fails after the commit stays pending and the sweep writes it', async () => {
    const before = (await resource())!;
    client.refuse = true;
    const d3 = uuidv7();
    await publish('deploy.requested', requested(d3, a1));
    const pending = async () =>
      (
        await f.svc.dataSource.query(`SELECT owned_pending, state->>'deployId' AS deploy_id FROM commit_status.deploy_statuses WHERE config = $1`, [config])
      )[0] as { owned_pending: boolean; deploy_id: string };
    await eventually(async () => client.refused > 0 && (await pending()).deploy_id === d3, 'state committed, write refused');
    assert.equal((await pending()).owned_pending, true);
    assert.equal((await resource())!.spec.sha, before.spec.sha, 'the CommitStatus did not move');
    client.refuse = false;
    const moved = await eventually(async () => ((await resource())?.spec.sha === a1 ? await resource() : undefined), 'written by the sweep');
    assert.equal(moved.spec.url, `https://sluice.example/deploys/${d3}`);
    await eventually(async () => (await pending()).owned_pending === false, 'pending mark cleared');
  });
});
