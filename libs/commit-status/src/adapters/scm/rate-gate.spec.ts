import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ScmRateLimitedError } from '../../application/scm-errors';
import { limitFromResponse, RateGate } from './rate-gate';

function fakeClock() {
  let now = 1_000_000;
  const slept: number[] = [];
  return {
    now: () => now,
    sleep: async (ms: number) => {
      slept.push(ms);
      now += ms;
    },
    advance: (ms: number) => (now += ms),
    slept,
  };
}

test('writes with one credential are spaced by the interval; other credentials are independent', async () => {
  const clock = fakeClock();
  const gate = new RateGate({ minWriteIntervalMs: 1000, now: clock.now, sleep: clock.sleep });
  await gate.beforeWrite('a');
  await gate.beforeWrite('a');
  await gate.beforeWrite('b');
  await gate.beforeWrite('a');
  assert.deepEqual(clock.slept, [1000, 1000]);
});

test('while limited no call is allowed; after the limit it is', () => {
  const clock = fakeClock();
  const gate = new RateGate({ now: clock.now, sleep: clock.sleep });
  gate.limit('a', clock.now() + 5000);
  assert.throws(() => gate.check('a'), (e: unknown) => e instanceof ScmRateLimitedError && e.untilMs === 1_005_000);
  gate.check('b');
  clock.advance(5000);
  gate.check('a');
});

test('limits from headers: retry-after seconds and date, exhausted x-ratelimit-reset, bare 429', () => {
  const now = Date.parse('2026-01-01T00:00:00Z');
  assert.equal(limitFromResponse(429, new Headers({ 'retry-after': '3' }), now), now + 3000);
  assert.equal(limitFromResponse(403, new Headers({ 'retry-after': '2' }), now), now + 2000);
  assert.equal(limitFromResponse(403, new Headers({ 'retry-after': 'Thu, 01 Jan 2026 00:00:10 GMT' }), now), now + 10_000);
  const reset = Math.floor(now / 1000) + 60;
  assert.equal(limitFromResponse(403, new Headers({ 'x-ratelimit-remaining': '0', 'x-ratelimit-reset': String(reset) }), now), reset * 1000);
  assert.equal(limitFromResponse(200, new Headers({ 'x-ratelimit-remaining': '0', 'x-ratelimit-reset': String(reset) }), now), reset * 1000, 'an exhausted budget limits before the first failure');
  assert.equal(limitFromResponse(200, new Headers({ 'x-ratelimit-remaining': '10', 'x-ratelimit-reset': String(reset) }), now), undefined);
  assert.equal(limitFromResponse(429, new Headers(), now), now + 60_000);
  assert.equal(limitFromResponse(403, new Headers(), now), undefined, 'a plain 403 is a permission error, not a limit');
});
