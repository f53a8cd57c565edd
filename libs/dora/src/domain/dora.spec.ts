import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { doraMetrics, type DeployRecord } from './dora';

const T0 = Date.parse('2026-11-01T00:00:00Z');
const at = (hours: number): Date => new Date(T0 + hours * 3_600_000);

let n = 0;
function deploy(config: string, fields: Partial<DeployRecord> & { requested: number; commit?: number; succeeded?: number; failed?: number }): DeployRecord {
  n += 1;
  return {
    id: fields.id ?? `d${n}`,
    config,
    team: fields.team ?? 'payments',
    kind: fields.kind ?? 'deploy',
    cause: fields.cause ?? 'autodeploy',
    reappliedFrom: fields.reappliedFrom ?? null,
    commitAt: fields.commit === undefined ? null : at(fields.commit),
    requestedAt: at(fields.requested),
    appliedAt: fields.succeeded === undefined ? null : at(fields.succeeded - 0.5),
    succeededAt: fields.succeeded === undefined ? null : at(fields.succeeded),
    failedAt: fields.failed === undefined ? null : at(fields.failed),
  };
}

describe('doraMetrics on a scripted history', () => {
  // billing-api over 10 days: three good deploys, one that failed (restored 4 h later by the
  // next good one), one rolled back by re-applying an earlier deploy (restored 1 h later).
  const history = [
    deploy('billing-api', { id: 'a', requested: 10, commit: 8, succeeded: 11 }), // lead 2.5 h
    deploy('billing-api', { id: 'b', requested: 30, commit: 29, failed: 31 }),
    deploy('billing-api', { id: 'c', requested: 34, commit: 30, succeeded: 35 }), // lead 4.5 h; restores b after 4 h
    deploy('billing-api', { id: 'd', requested: 50, commit: 49, succeeded: 51 }), // lead 1.5 h; rolled back by e
    deploy('billing-api', { id: 'e', requested: 60, cause: 'reapply', reappliedFrom: 'c', commit: 30, succeeded: 61 }), // lead 30.5 h; restores d after 1 h
    deploy('billing-api', { kind: 'undeploy', requested: 70, succeeded: 70.1 }),
    deploy('billing-api', { id: 'late', requested: 300, commit: 299, succeeded: 301 }), // after the window
  ];
  const window = { from: at(0), to: at(240) };

  it('counts succeeded deploys per day, failures and rollbacks (undeploys are not deploys)', () => {
    const m = doraMetrics(history, window);
    assert.deepEqual(m.window, { from: '2026-11-01T00:00:00.000Z', to: '2026-11-11T00:00:00.000Z', days: 10 });
    assert.deepEqual(m.deployments, { succeeded: 4, failed: 1, rolledBack: 1, perDay: 0.4 });
  });

  it('lead time: commit → applied, median and 90th percentile', () => {
    // 2.5 h, 4.5 h, 1.5 h, 30.5 h → sorted 1.5, 2.5, 4.5, 30.5: p50 = 2.5 h, p90 = 30.5 h
    assert.deepEqual(doraMetrics(history, window).leadTimeSeconds, { p50: 9000, p90: 109800, samples: 4 });
  });

  it('change failure rate: failed or rolled back, of the deploys that ended', () => {
    assert.equal(doraMetrics(history, window).changeFailureRate, 0.4); // (1 failed + 1 rolled back) / (4 + 1)
  });

  it('time to restore: failure → the next deploy of the config that succeeded', () => {
    // b failed at 31 h, c succeeded at 35 h: 4 h; d rolled back at 60 h (e requested), e succeeded at 61 h: 1 h
    assert.deepEqual(doraMetrics(history, window).timeToRestoreSeconds, { p50: 3600, samples: 2, unrestored: 0 });
  });

  it('an empty window has no rates, and a failure not yet restored is counted as such', () => {
    const empty = doraMetrics(history, { from: at(1000), to: at(1024) });
    assert.deepEqual([empty.deployments.succeeded, empty.changeFailureRate, empty.leadTimeSeconds.p50, empty.timeToRestoreSeconds.p50], [0, null, null, null]);
    const broken = doraMetrics([deploy('x', { requested: 1, failed: 2 })], { from: at(0), to: at(24) });
    assert.deepEqual(broken.timeToRestoreSeconds, { p50: null, samples: 0, unrestored: 1 });
    assert.equal(broken.changeFailureRate, 1);
  });

  it('daily: each day of the window from its start, its succeeded and failed deploys and their median lead time', () => {
    const m = doraMetrics(history, window);
    assert.equal(m.daily.length, 10);
    assert.deepEqual(m.daily.slice(0, 3), [
      { from: '2026-11-01T00:00:00.000Z', succeeded: 1, failed: 0, leadTimeP50: 9000 }, // a
      { from: '2026-11-02T00:00:00.000Z', succeeded: 1, failed: 1, leadTimeP50: 16200 }, // b failed at 31 h, c (4.5 h) at 35 h
      { from: '2026-11-03T00:00:00.000Z', succeeded: 2, failed: 0, leadTimeP50: 5400 }, // d (1.5 h) and e (30.5 h): the lower median
    ]);
    assert.deepEqual(m.daily.slice(3).map((d) => [d.succeeded, d.failed, d.leadTimeP50]), Array(7).fill([0, 0, null]));
    assert.equal(m.daily.reduce((sum, d) => sum + d.succeeded, 0), m.deployments.succeeded);
    // A window that is not whole days ends with a shorter day.
    const partial = doraMetrics(history, { from: at(0), to: at(36) });
    assert.deepEqual(partial.daily.map((d) => [d.from, d.succeeded, d.failed]), [
      ['2026-11-01T00:00:00.000Z', 1, 0],
      ['2026-11-02T00:00:00.000Z', 1, 1],
    ]);
  });

  it('re-applying the deploy itself is not a rollback of it', () => {
    const m = doraMetrics(
      [deploy('y', { id: 'y1', requested: 1, succeeded: 2 }), deploy('y', { id: 'y2', requested: 3, cause: 'reapply', reappliedFrom: 'y1', succeeded: 4 })],
      { from: at(0), to: at(24) },
    );
    assert.equal(m.deployments.rolledBack, 0);
  });
});
