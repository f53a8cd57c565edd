import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { configStream, newEvent, type DeployConfigRoot, type EventData, type EventType } from '@sluice/contracts';
import { metricsRegistry } from '@sluice/platform';
import { waitUntil } from '@sluice/testing';
import request from 'supertest';
import type { DataSource } from 'typeorm';
import { v7 as uuidv7 } from 'uuid';
import { ADMIN_TOKEN, eventsOf, projectionCaughtUp, publishRepo, sha, startAutodeploy, type Harness } from '../../testing/harness';
import { BILLING_ROOT } from '../../testing/fixtures';
import { AUTODEPLOY_SCHEMA } from './migrations';
import { READ_MODEL_TABLES } from './read-model-projection';

// Issue #21: the DORA measures are a projection of autodeploy's log. A scripted history whose
// answers are known (deploys, a failure restored, a rollback restored, commits with known times),
// measured, replayed (POST /api/admin/replay), measured again: every row and every answer equal.

let h: Harness;
const auth = { Authorization: `Bearer ${ADMIN_TOKEN}` };
const KEYS: Record<string, string> = { configs: 'name', deploys: 'id', config_history: 'config, stream_version', builds: 'id', commit_times: 'sha, repo' };
const MIN = 60_000;
// A day a few days back, so the gauges' window (the last 30 days) holds the history too.
const T = Math.floor(Date.now() / 86_400_000) * 86_400_000 - 3 * 86_400_000;
const at = (minutes: number) => new Date(T + minutes * MIN).toISOString();
const WINDOW = `from=${encodeURIComponent(at(0))}&to=${encodeURIComponent(at(24 * 60))}`;

/** Every row of every rebuilt table, and of `commit_times` (not rebuilt: the fallback for deploys without `commitAt`), as to_jsonb text. */
async function dump(ds: DataSource): Promise<Record<string, string[]>> {
  const out: Record<string, string[]> = {};
  for (const table of [...READ_MODEL_TABLES, 'commit_times']) {
    const rows: Array<{ r: string }> = await ds.query(`SELECT to_jsonb(t)::text AS r FROM "${AUTODEPLOY_SCHEMA}".${table} t ORDER BY ${KEYS[table]}`);
    out[table] = rows.map((row) => row.r);
  }
  return out;
}

async function append<K extends EventType>(config: string, type: K, data: EventData<K>, minutes: number): Promise<void> {
  await h.store.append(configStream(config), 'any', [{ ...newEvent(type, data), occurredAt: at(minutes) }]);
}

const root = (name: string, team: string): DeployConfigRoot => ({ ...BILLING_ROOT, name, team, namespace: team, path: `deploy/${name}` });

function request_(config: string, deployId: string, artifact: string, extra: { commitAt?: string; cause?: 'manual' | 'reapply'; reappliedFrom?: string } = {}) {
  return {
    deployId,
    config,
    team: 'payments',
    namespace: 'payments',
    configRepo: 'acme/config',
    path: `deploy/${config}`,
    artifactRepo: 'acme/billing',
    artifactImage: 'ghcr.io/acme/billing',
    artifactSha: sha(artifact),
    configSha: sha('c'),
    imageTag: `main-${sha(artifact).slice(0, 7)}`,
    cause: extra.cause ?? ('manual' as const),
    requestedBy: 'team:payments',
    reason: 'scripted DORA history',
    reappliedFrom: extra.reappliedFrom ?? null,
    ...(extra.commitAt ? { commitAt: extra.commitAt } : {}),
  };
}

/**
 * `svc` (team payments), minutes after T:
 * - d1: commit at 0, requested 10, applied 12, succeeded 13 — lead time 12 min;
 * - d2: commit at 50, requested 60, failed 65;
 * - d3: commit at 90, requested 120, applied 130, succeeded 135 — lead time 40 min; restores d2 (65 → 135: 70 min);
 * - d4: re-apply of d1 (rolls d3 back), requested 180, applied 185, succeeded 190 — lead time 185 min (d1's commit);
 *   restores the rollback (180 → 190: 10 min).
 * Succeeded 3, failed 1, rolled back 1: failure rate 2/4; lead time p50 40 min, p90 185 min; time to restore p50 10 min.
 */
async function scriptedHistory(): Promise<void> {
  const [d1, d2, d3, d4] = [uuidv7(), uuidv7(), uuidv7(), uuidv7()];
  await append('svc', 'config.registered', { config: 'svc', root: root('svc', 'payments'), configSha: sha('c') }, 1);
  await append('svc', 'deploy.requested', request_('svc', d1, '1', { commitAt: at(0) }), 10);
  await append('svc', 'deploy.started', { deployId: d1, config: 'svc' }, 11);
  await append('svc', 'deploy.applied', { deployId: d1, config: 'svc', dryRun: false, inventory: [] }, 12);
  await append('svc', 'deploy.succeeded', { deployId: d1, config: 'svc' }, 13);
  await append('svc', 'deploy.requested', request_('svc', d2, '2', { commitAt: at(50) }), 60);
  await append('svc', 'deploy.started', { deployId: d2, config: 'svc' }, 61);
  await append('svc', 'deploy.failed', { deployId: d2, config: 'svc', reason: 'apply-failed', message: 'the cluster said no', terminal: true }, 65);
  // Queued behind nothing here, but through deploy.queued: the time rides on the request the queue promotes.
  await append('svc', 'deploy.queued', request_('svc', d3, '3', { commitAt: at(90) }), 100);
  await append('svc', 'deploy.requested', request_('svc', d3, '3', { commitAt: at(90) }), 120);
  await append('svc', 'deploy.started', { deployId: d3, config: 'svc' }, 121);
  await append('svc', 'deploy.applied', { deployId: d3, config: 'svc', dryRun: false, inventory: [] }, 130);
  await append('svc', 'deploy.succeeded', { deployId: d3, config: 'svc' }, 135);
  await append('svc', 'deploy.requested', request_('svc', d4, '1', { commitAt: at(0), cause: 'reapply', reappliedFrom: d1 }), 180);
  await append('svc', 'deploy.started', { deployId: d4, config: 'svc' }, 181);
  await append('svc', 'deploy.applied', { deployId: d4, config: 'svc', dryRun: false, inventory: [] }, 185);
  await append('svc', 'deploy.succeeded', { deployId: d4, config: 'svc' }, 190);
}

const dora = async (query: string) => (await request(h.http).get(`/api/metrics/dora?${query}`).set(auth).expect(200)).body as Record<string, unknown>;

async function gauges(): Promise<string> {
  const out: string[] = [];
  for (const name of ['sluice_dora_deployments_per_day', 'sluice_dora_lead_time_seconds', 'sluice_dora_change_failure_rate', 'sluice_dora_time_to_restore_seconds']) {
    out.push(await metricsRegistry.getSingleMetricAsString(name));
  }
  return out.join('\n');
}

before(async () => {
  h = await startAutodeploy();
  await scriptedHistory();
  await projectionCaughtUp(h.dataSource);
});

after(async () => {
  await h?.close();
});

describe('DORA measures across a replay (#21)', () => {
  it('a deploy request carries the time its commit was pushed with (commitAt), and the deploy row keeps it', async () => {
    // The live path: the pushes of sluice.repo.v1 give the commit times; the request puts them in autodeploy's log.
    await append('live', 'config.registered', { config: 'live', root: root('live', 'web'), configSha: sha('e') }, 0);
    await publishRepo(h.bus, 'repo.branch.updated', 'acme/billing', {
      repo: 'acme/billing', defaultBranch: 'main', branch: 'main', headSha: sha('a'), previousSha: null, forced: false,
      headCommit: { sha: sha('a'), message: 'fix', authorName: 'ada', authorEmail: null, timestamp: '2026-01-10T08:00:00+01:00' },
    });
    await publishRepo(h.bus, 'repo.branch.updated', 'acme/config', {
      repo: 'acme/config', defaultBranch: 'main', branch: 'main', headSha: sha('b'), previousSha: null, forced: false,
      headCommit: { sha: sha('b'), message: 'values', authorName: 'ada', authorEmail: null, timestamp: '2026-01-10T09:00:00Z' },
    });
    await waitUntil(async () => (await h.dataSource.query(`SELECT 1 FROM autodeploy.commit_times WHERE sha = ANY($1)`, [[sha('a'), sha('b')]])).length === 2, {
      message: 'both pushes recorded',
    });
    const { deployId } = (await request(h.http).post('/api/deploys').set(auth).send({ config: 'live', artifactSha: sha('a'), configSha: sha('b'), reason: 'by hand' }).expect(202)).body;
    const requested = (await eventsOf(h.store, configStream('live'))).find((e) => e.type === 'deploy.requested' && e.data.deployId === deployId);
    assert.equal(requested?.data.commitAt, '2026-01-10T07:00:00.000Z', 'the artifact commit’s time, from its push');
    await projectionCaughtUp(h.dataSource);
    const [row]: Array<{ commit_at: Date }> = await h.dataSource.query(`SELECT commit_at FROM autodeploy.deploys WHERE id = $1`, [deployId]);
    assert.equal(row?.commit_at.toISOString(), '2026-01-10T07:00:00.000Z');
  });

  it('GET /api/metrics/dora answers the scripted history; after POST /api/admin/replay every row and every answer are the same', async () => {
    const measured = await dora(`config=svc&${WINDOW}`);
    assert.deepEqual(measured.deployments, { succeeded: 3, failed: 1, rolledBack: 1, perDay: 3 });
    assert.deepEqual(measured.leadTimeSeconds, { p50: 40 * 60, p90: 185 * 60, samples: 3 });
    assert.equal(measured.changeFailureRate, 0.5);
    assert.deepEqual(measured.timeToRestoreSeconds, { p50: 10 * 60, samples: 2, unrestored: 0 });
    const team = await dora(`team=payments&${WINDOW}`);
    assert.deepEqual(team.leadTimeSeconds, measured.leadTimeSeconds);
    const gaugesBefore = await gauges();
    assert.match(gaugesBefore, /sluice_dora_deployments_per_day\{team="payments"\} 0\.1\b/);
    assert.match(gaugesBefore, /sluice_dora_lead_time_seconds\{team="payments",quantile="0\.5"\} 2400\b/);
    assert.match(gaugesBefore, /sluice_dora_lead_time_seconds\{team="payments",quantile="0\.9"\} 11100\b/);
    assert.match(gaugesBefore, /sluice_dora_change_failure_rate\{team="payments"\} 0\.5\b/);
    assert.match(gaugesBefore, /sluice_dora_time_to_restore_seconds\{team="payments"\} 600\b/);

    const rowsBefore = await dump(h.dataSource);
    const commitAts: Array<{ commit_at: Date | null }> = await h.dataSource.query(`SELECT commit_at FROM autodeploy.deploys WHERE config = 'svc' ORDER BY seq`);
    assert.deepEqual(
      commitAts.map((r) => r.commit_at?.toISOString()),
      [at(0), at(50), at(90), at(0)],
    );
    const live = await dora(`${WINDOW}`);

    const started = (await request(h.http).post('/api/admin/replay').set(auth).expect(202)).body;
    await waitUntil(async () => (await request(h.http).get(`/api/admin/replay/${started.replayId}`).set(auth)).body.status === 'done', { message: 'replay done' });

    assert.deepEqual(await dump(h.dataSource), rowsBefore, 'every rebuilt row (deploys.commit_at included) and commit_times the same');
    assert.deepEqual(await dora(`config=svc&${WINDOW}`), measured);
    assert.deepEqual(await dora(`team=payments&${WINDOW}`), team);
    assert.deepEqual(await dora(`${WINDOW}`), live);
    await new Promise((resolve) => setTimeout(resolve, 1100)); // the gauges share one read per second
    assert.equal(await gauges(), gaugesBefore);
  });

  it('lead time needs nothing but the log: with commit_times emptied, a rebuild answers the same', async () => {
    const measured = await dora(`config=svc&${WINDOW}`);
    await h.dataSource.query(`DELETE FROM autodeploy.commit_times`);
    const started = (await request(h.http).post('/api/admin/replay').set(auth).expect(202)).body;
    await waitUntil(async () => (await request(h.http).get(`/api/admin/replay/${started.replayId}`).set(auth)).body.status === 'done', { message: 'replay done' });
    assert.deepEqual(await dora(`config=svc&${WINDOW}`), measured);
  });
});
