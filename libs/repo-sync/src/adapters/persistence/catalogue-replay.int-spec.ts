import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import type { RepoRef } from '@sluice/contracts';
import { FakeGitHub } from '@sluice/fake-scm';
import { Checkpoints } from '@sluice/event-store';
import { waitUntil } from '@sluice/testing';
import { branchCreatedPush, catalogueRows, replayCatalogue, startRepoSync, type RepoSyncTestApp } from '../../test/repo-sync-app';
import { CATALOGUE_VIEWS } from './catalogue-projection';
import { CatalogueReplay } from './catalogue-replay';
import { REPO_SYNC_SCHEMA } from './migrations';

/**
 * The catalogue's blue/green rebuild (issue #23) where it can go wrong: writes that land while it
 * runs, the foreign keys between its tables after the swap, a catalogue older than its log, and
 * who may ask. The row-for-row comparisons after long histories are the last cases of
 * scm-consumer.int-spec and global-sync.int-spec.
 */
describe('repo-sync catalogue replay', () => {
  const fake = new FakeGitHub();
  let t: RepoSyncTestApp;
  const repo: RepoRef = { fullName: 'acme/orders', id: 4100, defaultBranch: 'main', private: false, provider: 'github' };
  const sha = (n: number) => n.toString(16).padStart(40, 'a');
  const branchesOf = async (fullName: string): Promise<string[]> =>
    (await t.dataSource.query(`SELECT name FROM repo_sync.branches WHERE repo = $1 ORDER BY name`, [fullName])).map((r: { name: string }) => r.name);

  before(async () => {
    await fake.start();
    t = await startRepoSync(fake);
    for (let i = 0; i < 40; i++) await t.publishScm('scm.push.received', branchCreatedPush(repo, `b-${String(i).padStart(2, '0')}`, sha(i)));
    await waitUntil(async () => (await branchesOf(repo.fullName)).length === 40, { timeoutMs: 20_000, message: '40 branches recorded' });
  });
  after(async () => {
    await t?.close();
    await fake.stop();
  });

  it('pushes recorded after the copy was built and before the swap are in the swapped catalogue, which equals the log', async () => {
    const replay = new CatalogueReplay(t.dataSource, { batchSize: 2 });
    // The swap waits at its checkpoint until released: pushes land in the live tables meanwhile,
    // after the copy read the log; the swap's tail must bring them over.
    const gate = t.dataSource.createQueryRunner();
    await gate.connect();
    await gate.startTransaction();
    // And a transaction older than the pushes stays open through the swap (any long one on the
    // server): the log's readers that wait for it would not see the pushes yet.
    const old = t.dataSource.createQueryRunner();
    await old.connect();
    await old.startTransaction();
    await old.query(`SELECT pg_current_xact_id()`);
    try {
      await new Checkpoints(REPO_SYNC_SCHEMA).lock(gate.manager, CATALOGUE_VIEWS);
      const started = await replay.start('test');
      assert.equal(started.status, 'running');
      await waitUntil(
        async () => (await t.dataSource.query(`SELECT 1 FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND query LIKE '%checkpoints%'`)).length > 0,
        { timeoutMs: 30_000, message: 'the rebuild built its copy and waits to swap' },
      );
      for (let i = 40; i < 60; i++) await t.publishScm('scm.push.received', branchCreatedPush(repo, `b-${i}`, sha(i)));
      await waitUntil(async () => (await branchesOf(repo.fullName)).length === 60, { timeoutMs: 20_000, message: 'the pushes recorded in the live tables' });
      await gate.commitTransaction();
      let status = started;
      await waitUntil(async () => (status = (await replay.status(started.replayId))!).status !== 'running', { timeoutMs: 30_000, message: 'rebuild finished' });
      assert.equal(status.status, 'done', status.error ?? '');
      assert.ok(status.processed > started.total, `the tail after the copy was projected too: ${status.processed} of ${started.total} at the start`);
    } finally {
      for (const q of [gate, old]) {
        if (q.isTransactionActive) await q.rollbackTransaction();
        await q.release();
      }
    }
    assert.equal((await branchesOf(repo.fullName)).length, 60, 'no push lost by the swap');
    const live = await catalogueRows(t.dataSource);
    await replayCatalogue(t);
    assert.deepEqual(await catalogueRows(t.dataSource), live);
  });

  it('after the swap the tables keep their keys: a rename moves branches, commits and builds', async () => {
    const keys: Array<{ conname: string; tbl: string; ref: string }> = await t.dataSource.query(
      `SELECT conname, conrelid::regclass::text AS tbl, confrelid::regclass::text AS ref FROM pg_constraint WHERE contype = 'f' AND connamespace = 'repo_sync'::regnamespace ORDER BY conname`,
    );
    for (const table of ['branches', 'builds', 'commits']) {
      assert.ok(keys.some((k) => k.tbl === `repo_sync.${table}` && k.ref === 'repo_sync.repos'), `${table} references repo_sync.repos: ${JSON.stringify(keys)}`);
    }
    assert.deepEqual((await t.dataSource.query(`SELECT nspname FROM pg_namespace WHERE nspname LIKE 'repo_sync_%'`)).length, 0, 'no copy or retired schema left');
    const renamed = { ...repo, fullName: 'acme/order-service' };
    await t.publishScm('scm.repository.renamed', { deliveryId: 'rename-1', repo: renamed, previousFullName: repo.fullName, action: 'renamed' });
    await waitUntil(async () => (await branchesOf(renamed.fullName)).length === 60, { timeoutMs: 20_000, message: 'branches follow the rename' });
    const [commits] = await t.dataSource.query(`SELECT count(*)::int AS n FROM repo_sync.commits WHERE repo = $1`, [renamed.fullName]);
    assert.equal(commits.n, 60);
    assert.deepEqual(await branchesOf(repo.fullName), []);
  });

  it('a catalogue written before its log held all of it is not rebuilt (409), and only the admin may ask', async () => {
    assert.equal((await t.api('/api/admin/replay/repo-sync', { method: 'POST', token: null })).status, 401);
    assert.equal((await t.api(`/api/admin/replay/repo-sync/${randomUUID()}`)).status, 404);
    assert.equal((await t.api('/api/admin/replay/repo-sync/not-a-uuid')).status, 400);
    await t.dataSource.query(`UPDATE repo_sync.catalogue_log SET complete = false`);
    try {
      const before = await catalogueRows(t.dataSource);
      const refused = await t.api('/api/admin/replay/repo-sync', { method: 'POST' });
      assert.equal(refused.status, 409);
      assert.equal(refused.body.error.code, 'catalogue_log_incomplete');
      assert.match(refused.body.error.message, /would lose them/);
      assert.deepEqual(await catalogueRows(t.dataSource), before);
    } finally {
      await t.dataSource.query(`UPDATE repo_sync.catalogue_log SET complete = true`);
    }
  });
});
