import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { EventStore, openServiceDataSource } from '@sluice/event-store';
import { createLogger } from '@sluice/platform';
import { createTestDatabase } from '@sluice/testing';
import type { DataSource } from 'typeorm';
import { EventStoreSyncedSink } from './synced-event-sink';

describe('commit-status.synced of a GitLab subgroup project', () => {
  let database: Awaited<ReturnType<typeof createTestDatabase>>;
  let dataSource: DataSource;
  let store: EventStore;
  let sink: EventStoreSyncedSink;
  const sha = 'c'.repeat(40);
  const synced = (provider: 'github' | 'gitlab' | 'bitbucket', fullName: string) =>
    sink.synced({ repo: { provider, apiUrl: 'https://scm.example.com/api', fullName }, sha, name: 'sluice/ledger', phase: 'success', isSynced: true, syncFailure: null });

  before(async () => {
    database = await createTestDatabase('synced_sink');
    dataSource = await openServiceDataSource({ url: database.url, schema: 'commit_status', poolSize: 2 });
    store = new EventStore(dataSource, 'commit_status');
    sink = new EventStoreSyncedSink(store, createLogger('synced-sink-spec'));
  });
  after(async () => {
    await dataSource?.destroy();
    await database?.drop();
  });

  it('is appended on repo-gitlab-<group/sub/name>, the path in repo', async () => {
    await synced('gitlab', 'acme/platform/gitlab-config');
    const events = await store.readStream('repo-gitlab-acme/platform/gitlab-config');
    assert.deepEqual(events.map((e) => [e.type, (e.data as { repo: string }).repo, (e.data as { provider: string }).provider]), [['commit-status.synced', 'acme/platform/gitlab-config', 'gitlab']]);
  });

  it('a GitHub or Bitbucket path that is not owner/name is not emitted; owner/name still is', async () => {
    await synced('github', 'acme/platform/x');
    await synced('bitbucket', 'acme/platform/x');
    assert.deepEqual(await store.readStream('repo-acme/platform/x'), []);
    assert.deepEqual(await store.readStream('repo-bitbucket-acme/platform/x'), []);
    await synced('github', 'acme/billing');
    assert.equal((await store.readStream('repo-acme/billing')).length, 1);
  });
});
