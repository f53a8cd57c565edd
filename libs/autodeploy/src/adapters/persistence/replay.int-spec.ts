import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { configStream, newEvent, type DeployConfigRoot, type EventData, type EventType } from '@sluice/contracts';
import { ViewRebuild, type StoredEvent } from '@sluice/event-store';
import { waitUntil } from '@sluice/testing';
import request from 'supertest';
import type { DataSource, EntityManager } from 'typeorm';
import { v7 as uuidv7 } from 'uuid';
import { ADMIN_TOKEN, projectionCaughtUp, sha, startAutodeploy, type Harness } from '../../testing/harness';
import { BILLING_ROOT } from '../../testing/fixtures';
import { AUTODEPLOY_SCHEMA } from './migrations';
import { projectReadModels, READ_MODEL_PROJECTION, READ_MODEL_TABLES } from './read-model-projection';

// Replay of autodeploy's read models (issue #23): a blue/green rebuild from the log, compared row
// by row (to_jsonb text) with the live tables the projection kept, on the real PostgreSQL.

let h: Harness;
const auth = { Authorization: `Bearer ${ADMIN_TOKEN}` };
const KEYS: Record<(typeof READ_MODEL_TABLES)[number], string> = { configs: 'name', deploys: 'id', config_history: 'config, stream_version', builds: 'id' };

/** Every row of every read model, as its to_jsonb text, by primary key. */
async function dump(ds: DataSource, schema = AUTODEPLOY_SCHEMA): Promise<Record<string, string[]>> {
  const out: Record<string, string[]> = {};
  for (const table of READ_MODEL_TABLES) {
    const rows: Array<{ r: string }> = await ds.query(`SELECT to_jsonb(t)::text AS r FROM "${schema}".${table} t ORDER BY ${KEYS[table]}`);
    out[table] = rows.map((row) => row.r);
  }
  return out;
}

async function indexes(ds: DataSource): Promise<string[]> {
  const rows: Array<{ d: string }> = await ds.query(
    `SELECT indexname || ' ' || indexdef AS d FROM pg_indexes WHERE schemaname = $1 AND tablename = ANY($2) ORDER BY 1`,
    [AUTODEPLOY_SCHEMA, [...READ_MODEL_TABLES]],
  );
  return rows.map((r) => r.d);
}

async function schemasLeft(ds: DataSource): Promise<string[]> {
  const rows: Array<{ n: string }> = await ds.query(`SELECT nspname AS n FROM pg_namespace WHERE nspname LIKE 'autodeploy\\_%' ORDER BY 1`);
  return rows.map((r) => r.n);
}

async function append<K extends EventType>(config: string, type: K, data: EventData<K>): Promise<void> {
  await h.store.append(configStream(config), 'any', [newEvent(type, data)]);
}

const root = (name: string, team: string): DeployConfigRoot => ({ ...BILLING_ROOT, name, team, namespace: team, path: `deploy/${name}` });

function target(config: string, team: string, deployId: string, artifactSha: string | null) {
  return {
    deployId,
    config,
    team,
    namespace: team,
    configRepo: 'acme/config',
    path: `deploy/${config}`,
    artifactRepo: artifactSha ? 'acme/billing' : null,
    artifactImage: artifactSha ? 'ghcr.io/acme/billing' : null,
    artifactSha,
    configSha: artifactSha ? sha('c') : null,
    imageTag: artifactSha ? `main-${artifactSha.slice(0, 7)}` : null,
    cause: 'manual' as const,
    requestedBy: 'team:payments',
    reason: 'scripted history',
    reappliedFrom: null,
  };
}

/** A history that goes through every kind of event the projection folds, in many transactions. */
async function scriptedHistory(): Promise<void> {
  await append('alpha', 'config.registered', { config: 'alpha', root: { ...root('alpha', 'payments') }, configSha: sha('c') });
  await append('beta', 'config.registered', { config: 'beta', root: { ...root('beta', 'web') }, configSha: sha('c') });
  await append('gamma', 'config.registered', { config: 'gamma', root: { ...root('gamma', 'web') }, configSha: sha('c') });
  const [d1, d2, d3, d4, d5] = [uuidv7(), uuidv7(), uuidv7(), uuidv7(), uuidv7()];
  // alpha: a deploy that succeeds with step reports, one queued and superseded, one that fails.
  await append('alpha', 'deploy.requested', target('alpha', 'payments', d1, sha('1')));
  await append('alpha', 'deploy.started', { deployId: d1, config: 'alpha' });
  await append('alpha', 'deploy.step', {
    deployId: d1, config: 'alpha', step: 'check-image', state: 'done', result: 'digest sha256:abc', error: null, childId: null, startedAt: null, endedAt: null,
  });
  await append('alpha', 'deploy.applied', { deployId: d1, config: 'alpha', dryRun: false, inventory: [{ apiVersion: 'apps/v1', kind: 'Deployment', namespace: 'payments', name: 'alpha' }] });
  await append('alpha', 'deploy.succeeded', { deployId: d1, config: 'alpha' });
  await append('alpha', 'deploy.queued', target('alpha', 'payments', d2, sha('2')));
  await append('alpha', 'deploy.queued', target('alpha', 'payments', d3, sha('3')));
  await append('alpha', 'deploy.superseded', { deployId: d2, config: 'alpha', supersededBy: d3 });
  await append('alpha', 'deploy.requested', target('alpha', 'payments', d3, sha('3')));
  await append('alpha', 'deploy.started', { deployId: d3, config: 'alpha' });
  await append('alpha', 'deploy.failed', { deployId: d3, config: 'alpha', reason: 'apply-failed', message: 'the cluster said no', terminal: true });
  // alpha moves to team web: its deploys move with it.
  await append('alpha', 'config.registered', { config: 'alpha', root: { ...root('alpha', 'web') }, configSha: sha('d') });
  // beta: pinned and unpinned, a build, a drift that the next deploy clears, log lines.
  await append('beta', 'config.pinned', { config: 'beta', by: 'team:web', reason: 'freeze' });
  await append('beta', 'config.unpinned', { config: 'beta', by: 'team:web', reason: 'thaw' });
  const b1 = uuidv7();
  const ref = { buildId: b1, config: 'beta', target: 'staging' as const, commitSha: sha('4') };
  await append('beta', 'build.requested', {
    ...ref, team: 'web', namespace: 'web', repo: 'acme/billing', ref: 'main', artifactImage: 'ghcr.io/acme/billing', imageTag: 'main-4444444',
    builder: { image: 'ghcr.io/acme/builder:1.2', command: ['make'], timeoutSeconds: 600 }, requestedBy: 'autodeploy', reason: 'push to main',
  });
  await append('beta', 'build.scheduled', { ...ref, buildRun: 'beta-1', namespace: 'web' });
  await append('beta', 'build.started', { ...ref, startedAt: '2026-03-01T10:00:00.123456Z' });
  await append('beta', 'build.finished', { ...ref, phase: 'Succeeded', message: 'pushed', finishedAt: null });
  await append('beta', 'gitops.drift.detected', { config: 'beta', repo: 'acme/config', branch: 'main', sha: sha('5'), path: 'deploy/beta/values.yaml', key: 'image.tag', found: 'main-0000000', expected: 'main-4444444', pusher: 'mallory' });
  await append('beta', 'deploy.requested', target('beta', 'web', d4, sha('4')));
  await append('beta', 'deploy.log', { deployId: d4, config: 'beta', source: 'kubernetes', lines: [{ at: null, text: 'Scaled up' }] });
  await append('beta', 'deploy.applied', { deployId: d4, config: 'beta', dryRun: true, inventory: [] });
  await append('beta', 'deploy.succeeded', { deployId: d4, config: 'beta' });
  // gamma: undeployed, then removed.
  await append('gamma', 'undeploy.requested', target('gamma', 'web', d5, null));
  await append('gamma', 'deploy.undeployed', { deployId: d5, config: 'gamma' });
  await append('gamma', 'config.removed', { config: 'gamma', configSha: sha('e') });
}

/** A rebuild whose projection stops before batch `stopAt` until released (or throws there). */
function gatedRebuild(stopAt: number, options: { fail?: boolean } = {}) {
  let release!: () => void;
  const released = new Promise<void>((resolve) => (release = resolve));
  let reached!: () => void;
  const stopped = new Promise<void>((resolve) => (reached = resolve));
  let batch = 0;
  const rebuild = new ViewRebuild(h.dataSource, {
    schema: AUTODEPLOY_SCHEMA,
    checkpoint: READ_MODEL_PROJECTION,
    tables: READ_MODEL_TABLES,
    batchSize: 4,
    project: async (events: readonly StoredEvent[], m: EntityManager, schema: string) => {
      if (++batch === stopAt) {
        reached();
        if (options.fail) throw new Error('projection crashed mid-rebuild');
        await released;
      }
      await projectReadModels(events, m, schema);
    },
  });
  return { rebuild, release, stopped };
}

before(async () => {
  h = await startAutodeploy();
  await scriptedHistory();
  await projectionCaughtUp(h.dataSource);
});

after(async () => {
  await h?.close();
});

describe('replay: blue/green rebuild of the read models', () => {
  it('POST /api/admin/replay rebuilds every row of every read model byte for byte, with progress, and swaps it in', async () => {
    const live = await dump(h.dataSource);
    assert.equal(live.configs.length, 3);
    assert.equal(live.deploys.length, 5);
    assert.equal(live.builds.length, 1);
    const liveIndexes = await indexes(h.dataSource);
    const [{ n }]: Array<{ n: string }> = await h.dataSource.query(`SELECT count(*) AS n FROM autodeploy.events`);

    const started = (await request(h.http).post('/api/admin/replay').set(auth).expect(202)).body;
    assert.ok(started.total >= Number(n));
    await waitUntil(async () => (await request(h.http).get(`/api/admin/replay/${started.replayId}`).set(auth)).body.status === 'done', { message: 'replay done' });
    const done = (await request(h.http).get(`/api/admin/replay/${started.replayId}`).set(auth).expect(200)).body;
    assert.equal(done.processed, done.total);
    assert.equal(done.processed, Number(n));
    assert.equal(done.error, null);

    assert.deepEqual(await dump(h.dataSource), live);
    assert.deepEqual(await indexes(h.dataSource), liveIndexes, 'the swapped-in tables carry the live index names and definitions');
    assert.deepEqual(await schemasLeft(h.dataSource), [], 'no copy or retired schema is left');
    await request(h.http).get('/api/admin/replay/01900000-0000-7000-8000-000000000000').set(auth).expect(404);
  });

  it('the API answers from the live tables while the copy is half built; events during the rebuild reach both', async () => {
    const before = await dump(h.dataSource);
    const configsBefore = (await request(h.http).get('/api/configs').set(auth).expect(200)).body;
    const { rebuild, release, stopped } = gatedRebuild(3);
    const { status, finished } = await rebuild.start('test');
    await stopped;
    const running = (await request(h.http).get(`/api/admin/replay/${status.rebuildId}`).set(auth).expect(200)).body;
    assert.equal(running.status, 'running');
    assert.ok(running.processed > 0 && running.processed < running.total, `progress ${running.processed}/${running.total}`);

    // Half built: the copy has part of the rows; the API and the live tables have them all.
    const copy = await dump(h.dataSource, rebuild.copySchema);
    assert.ok(copy.config_history.length > 0 && copy.config_history.length < before.config_history.length);
    assert.deepEqual(await dump(h.dataSource), before);
    assert.deepEqual((await request(h.http).get('/api/configs').set(auth).expect(200)).body, configsBefore);

    // Asked again meanwhile: the running rebuild answers.
    const again = (await request(h.http).post('/api/admin/replay').set(auth).expect(202)).body;
    assert.equal(again.replayId, status.rebuildId);

    // The live projection keeps projecting into the live tables.
    await append('alpha', 'config.pinned', { config: 'alpha', by: 'team:web', reason: 'during the rebuild' });
    await waitUntil(async () => (await request(h.http).get('/api/configs/alpha').set(auth)).body.pin?.reason === 'during the rebuild', { message: 'pin visible during the rebuild' });
    await projectionCaughtUp(h.dataSource);
    const live = await dump(h.dataSource);

    release();
    await finished;
    assert.equal((await rebuild.status(status.rebuildId))?.status, 'done');
    assert.deepEqual(await dump(h.dataSource), live);
    assert.equal((await request(h.http).get('/api/configs/alpha').set(auth).expect(200)).body.pin.reason, 'during the rebuild');
    assert.deepEqual(await schemasLeft(h.dataSource), []);
  });

  it('a rebuild that fails midway leaves the live tables untouched; the next one starts over', async () => {
    const before = await dump(h.dataSource);
    const { rebuild, stopped } = gatedRebuild(2, { fail: true });
    const { status, finished } = await rebuild.start('test');
    await stopped;
    await assert.rejects(finished, /projection crashed mid-rebuild/);
    const failed = await rebuild.status(status.rebuildId);
    assert.equal(failed?.status, 'failed');
    assert.equal(failed?.error, 'projection crashed mid-rebuild');
    assert.deepEqual(await dump(h.dataSource), before);
    assert.deepEqual(await schemasLeft(h.dataSource), []);

    // A crash (no chance to clean up) leaves a copy behind and a rebuild recorded as running.
    await h.dataSource.query(`CREATE SCHEMA autodeploy_rebuild; CREATE TABLE autodeploy_rebuild.configs (LIKE autodeploy.configs)`);
    await h.dataSource.query(`INSERT INTO autodeploy.view_rebuilds (id, name, requested_by) VALUES ($1, $2, 'crashed')`, [uuidv7(), READ_MODEL_PROJECTION]);
    const started = (await request(h.http).post('/api/admin/replay').set(auth).expect(202)).body;
    await waitUntil(async () => (await request(h.http).get(`/api/admin/replay/${started.replayId}`).set(auth)).body.status === 'done', { message: 'replay done' });
    assert.deepEqual(await dump(h.dataSource), before);
    const [crashed]: Array<{ status: string; error: string }> = await h.dataSource.query(`SELECT status, error FROM autodeploy.view_rebuilds WHERE requested_by = 'crashed'`);
    assert.deepEqual(crashed, { status: 'failed', error: 'interrupted' });
    assert.deepEqual(await schemasLeft(h.dataSource), []);
  });
});
