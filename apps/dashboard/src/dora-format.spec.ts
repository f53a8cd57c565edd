import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { dayLabel, formatDuration, formatPerDay, formatRate, plural, windowDaysOf, windowOf } from './dora-format';

describe('the DORA page’s helpers', () => {
  it('asks for today so far and the days before it, from midnight UTC', () => {
    const now = new Date('2026-12-04T10:12:36.500Z');
    assert.deepEqual(windowOf(7, now), { from: '2026-11-28T00:00:00.000Z', to: '2026-12-04T10:12:36.500Z' });
    assert.deepEqual(windowOf(1, now), { from: '2026-12-04T00:00:00.000Z', to: '2026-12-04T10:12:36.500Z' });
    assert.equal(windowOf(90, now).from, '2026-09-06T00:00:00.000Z');
  });

  it('offers 7, 30 and 90 days; anything else is 30', () => {
    assert.deepEqual(['7', '90', '30', '5', 'x', null].map(windowDaysOf), [7, 90, 30, 30, 30, 30]);
  });

  it('writes durations in the unit a person reads them in', () => {
    assert.deepEqual([null, 0, 42.4, 89, 90, 720, 5399, 5400, 12_600, 172_799, 172_800, 190_000].map(formatDuration), [
      '—',
      '0 s',
      '42 s',
      '89 s',
      '2 min',
      '12 min',
      '90 min',
      '1.5 h',
      '3.5 h',
      '48 h',
      '2 d',
      '2.2 d',
    ]);
  });

  it('writes rates, deploys per day, days and counts', () => {
    assert.deepEqual([null, 0, 0.333, 0.4, 1].map(formatRate), ['—', '0 %', '33.3 %', '40 %', '100 %']);
    assert.deepEqual([0, 0.133, 2.5].map(formatPerDay), ['0 / day', '0.13 / day', '2.5 / day']);
    assert.equal(dayLabel('2026-12-04T00:00:00.000Z'), 'Dec 4');
    assert.equal(dayLabel('2026-11-30T23:59:00.000Z'), 'Nov 30', 'a UTC day whatever the local zone');
    assert.deepEqual([0, 1, 2].map((n) => plural(n, 'deploy')), ['0 deploys', '1 deploy', '2 deploys']);
  });
});
