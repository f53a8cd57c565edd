// Issue 21, DORA metrics: GET /api/metrics/dora and the Prometheus gauges, on a history
// scripted through the all-in-one app (signed webhooks, the API) whose answer is known:
// three deploys that succeeded, the second rolled back by re-applying the first.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { CONFIG_NAME, Scenario } from './support/scenario';
import { startAllInOneApp, type AllInOneApp } from './support/sluice';
import { startWorld, type World } from './support/world';

interface Dora {
  config: string | null;
  team: string | null;
  deployments: { succeeded: number; failed: number; rolledBack: number; perDay: number };
  leadTimeSeconds: { p50: number | null; p90: number | null; samples: number };
  changeFailureRate: number | null;
  timeToRestoreSeconds: { p50: number | null; samples: number; unrestored: number };
}

describe('DORA metrics, all-in-one', { timeout: 300_000 }, () => {
  let world: World;
  let sluice: AllInOneApp;
  let scenario: Scenario;
  const started = new Date();

  const get = async (path: string, token = sluice.adminToken) => {
    const res = await fetch(`${sluice.process.url}${path}`, { headers: { authorization: `Bearer ${token}` } });
    return { status: res.status, text: await res.text() };
  };

  before(async () => {
    world = await startWorld('dora');
    sluice = await startAllInOneApp(world, { KUBE_APPLIER_TARGET: 'dry-run', COMMIT_STATUS_STORE: 'postgres' });
    scenario = await Scenario.discovered(world, sluice);
    // 1. A builds and deploys; 2. B builds and deploys; 3. A is re-applied: B is rolled back.
    const a = await scenario.pushArtifact('a');
    await scenario.buildCompleted(a);
    const first = await scenario.waitForDeployOf(a, (d) => d.phase === 'succeeded');
    const b = await scenario.pushArtifact('b');
    await scenario.buildCompleted(b);
    await scenario.waitForDeployOf(b, (d) => d.phase === 'succeeded');
    const { deployId } = await scenario.api.post<{ deployId: string }>(`/api/deploys/${first.id}/reapply`, { reason: 'b is broken' });
    await scenario.waitForPhase(deployId, 'succeeded');
  });

  after(async () => {
    await sluice?.stop();
    await world?.stop();
  });

  it('measures the config: 3 deploys, 1 rolled back and restored, lead time from each commit', async () => {
    const res = await get(`/api/metrics/dora?config=${CONFIG_NAME}&from=${started.toISOString()}`);
    assert.equal(res.status, 200, res.text);
    const dora = JSON.parse(res.text) as Dora;
    assert.equal(dora.config, CONFIG_NAME);
    assert.deepEqual({ ...dora.deployments, perDay: undefined }, { succeeded: 3, failed: 0, rolledBack: 1, perDay: undefined });
    assert.ok(dora.deployments.perDay > 0);
    assert.equal(dora.changeFailureRate, 0.333, '1 rolled back of 3');
    assert.equal(dora.timeToRestoreSeconds.samples, 1);
    assert.equal(dora.timeToRestoreSeconds.unrestored, 0);
    assert.ok(dora.timeToRestoreSeconds.p50! >= 0 && dora.timeToRestoreSeconds.p50! < 120, JSON.stringify(dora.timeToRestoreSeconds));
    assert.equal(dora.leadTimeSeconds.samples, 3, 'each deployed commit has its time from the push');
    assert.ok(dora.leadTimeSeconds.p50! >= 0, JSON.stringify(dora.leadTimeSeconds));
  });

  it('a team measures its own team only; bad windows are 400 naming the field', async () => {
    const { token } = await scenario.api.post<{ token: string }>('/api/admin/tokens', { team: 'payments' });
    const own = await get('/api/metrics/dora', token);
    assert.equal(own.status, 200, own.text);
    assert.equal((JSON.parse(own.text) as Dora).team, 'payments');
    const { token: web } = await scenario.api.post<{ token: string }>('/api/admin/tokens', { team: 'web' });
    assert.equal((await get('/api/metrics/dora?team=payments', web)).status, 403);
    const empty = JSON.parse((await get('/api/metrics/dora', web)).text) as Dora;
    assert.deepEqual([empty.deployments.succeeded, empty.changeFailureRate], [0, null]);
    const backwards = await get('/api/metrics/dora?from=2026-12-01T00:00:00Z&to=2026-11-01T00:00:00Z');
    assert.equal(backwards.status, 400);
    assert.match(backwards.text, /from.*must be before to/);
    const garbled = await get('/api/metrics/dora?from=yesterday');
    assert.equal(garbled.status, 400);
    assert.match(garbled.text, /expected an ISO 8601 date-time/);
  });

  it('exports the measures per team as Prometheus gauges', async () => {
    const metrics = await get('/metrics');
    assert.match(metrics.text, /sluice_dora_deployments_per_day\{team="payments"[^}]*\} 0\.1/);
    assert.match(metrics.text, /sluice_dora_change_failure_rate\{team="payments"[^}]*\} 0\.333/);
    assert.match(metrics.text, /sluice_dora_lead_time_seconds\{team="payments",quantile="0\.5"[^}]*\} \d+/);
    // Time to restore: the one rollback (B re-applied away) restored when the re-apply of A succeeded,
    // the same median the API gives the team over the gauges' window (the last 30 days).
    const restore = /sluice_dora_time_to_restore_seconds\{team="payments"[^}]*\} (\d+(?:\.\d+)?)/.exec(metrics.text);
    assert.ok(restore, 'sluice_dora_time_to_restore_seconds for payments');
    const team = JSON.parse((await get('/api/metrics/dora?team=payments')).text) as Dora;
    assert.deepEqual([team.timeToRestoreSeconds.samples, team.timeToRestoreSeconds.unrestored], [1, 0]);
    assert.equal(Number(restore[1]), team.timeToRestoreSeconds.p50);
    assert.ok(Number(restore[1]) >= 0 && Number(restore[1]) < 120, restore[0]);
  });
});
