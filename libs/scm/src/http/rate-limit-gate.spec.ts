import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { RateLimitGate, type GateClock } from './rate-limit-gate';

function fakeClock(start = 1_000_000): GateClock & { t: number } {
  const clock = {
    t: start,
    now: () => clock.t,
    sleep: async (ms: number) => {
      clock.t += ms;
    },
  };
  return clock;
}

const headers = (h: Record<string, string>) => (name: string) => h[name];

describe('RateLimitGate', () => {
  it('lets requests through while budget is unknown or left', async () => {
    const clock = fakeClock();
    const gate = new RateLimitGate(clock, 0);
    await gate.acquire();
    gate.release(200, headers({ 'x-ratelimit-remaining': '10', 'x-ratelimit-reset': String(clock.t / 1000 + 60) }));
    await gate.acquire();
    gate.release(200);
    assert.equal(clock.t, 1_000_000);
  });

  it('waits for the reset once the primary budget is spent', async () => {
    const clock = fakeClock();
    const gate = new RateLimitGate(clock, 0);
    await gate.acquire();
    gate.release(200, headers({ 'x-ratelimit-remaining': '0', 'x-ratelimit-reset': String(clock.t / 1000 + 30) }));
    assert.equal(gate.isLimited(), true);
    await gate.acquire();
    assert.equal(clock.t, 1_000_000 + 30_000);
    gate.release(200, headers({ 'x-ratelimit-remaining': '4999', 'x-ratelimit-reset': String(clock.t / 1000 + 3600) }));
    assert.equal(gate.isLimited(), false);
  });

  it('never lets concurrent requests overdraw the remaining budget', async () => {
    const clock = fakeClock();
    const gate = new RateLimitGate(clock, 0);
    await gate.acquire();
    gate.release(200, headers({ 'x-ratelimit-remaining': '2', 'x-ratelimit-reset': String(clock.t / 1000 + 10) }));
    await gate.acquire();
    await gate.acquire();
    let third = false;
    const pending = gate.acquire().then(() => (third = true));
    await new Promise((r) => setImmediate(r));
    assert.equal(third, false, 'a third request waits while two are in flight on a budget of two');
    gate.release(200, headers({ 'x-ratelimit-remaining': '1', 'x-ratelimit-reset': String(clock.t / 1000 + 10) }));
    gate.release(200, headers({ 'x-ratelimit-remaining': '0', 'x-ratelimit-reset': String(clock.t / 1000 + 10) }));
    await pending;
    assert.equal(clock.t, 1_000_000 + 10_000, 'it went only after the reset');
  });

  it('honours retry-after on 403/429 (secondary limits)', async () => {
    const clock = fakeClock();
    const gate = new RateLimitGate(clock, 0);
    await gate.acquire();
    gate.release(429, headers({ 'retry-after': '7' }));
    await gate.acquire();
    assert.equal(clock.t, 1_000_000 + 7_000);
    gate.release(200);
    await gate.acquire();
    gate.release(403, headers({ 'retry-after': '3' }));
    assert.equal(gate.isLimited(), true);
    await gate.acquire();
    assert.equal(clock.t, 1_000_000 + 10_000);
  });

  it('keeps at most maxInFlight requests in flight, whatever the budget', async () => {
    const clock = fakeClock();
    const gate = new RateLimitGate(clock, 0, 2);
    await gate.acquire();
    gate.release(200, headers({ 'x-ratelimit-remaining': '5000', 'x-ratelimit-reset': String(clock.t / 1000 + 60) }));
    await gate.acquire();
    await gate.acquire();
    let third = false;
    const pending = gate.acquire().then(() => (third = true));
    await new Promise((r) => setImmediate(r));
    assert.equal(third, false, 'a third request waits while two are in flight');
    gate.release(200, headers({ 'x-ratelimit-remaining': '4999', 'x-ratelimit-reset': String(clock.t / 1000 + 60) }));
    await pending;
    assert.equal(third, true, 'it goes as soon as one answers');
    assert.equal(clock.t, 1_000_000, 'without waiting for any reset');
  });

  it('spaces writes of the credentials by the write interval, in the order they asked', async () => {
    const clock = fakeClock();
    const gate = new RateLimitGate(clock, 0, 10, 1000);
    await gate.writeSlot();
    await gate.writeSlot();
    await gate.writeSlot();
    assert.equal(clock.t, 1_000_000 + 2000);
  });

  it('reads limits from retry-after as seconds or an HTTP date, and from GitLab\'s ratelimit-* headers', async () => {
    const clock = fakeClock(Date.parse('2026-01-01T00:00:00Z'));
    const gate = new RateLimitGate(clock, 0);
    await gate.acquire();
    gate.release(403, headers({ 'retry-after': 'Thu, 01 Jan 2026 00:00:10 GMT' }));
    assert.equal(gate.blockedUntil(), clock.t + 10_000);
    const gitlab = new RateLimitGate(clock, 0);
    await gitlab.acquire();
    gitlab.release(429, headers({ 'ratelimit-remaining': '0', 'ratelimit-reset': String(clock.t / 1000 + 30) }));
    assert.equal(gitlab.blockedUntil(), clock.t + 30_000);
  });

  it('a bare 429 limits for a minute; a plain 403 is a permission error, not a limit', async () => {
    const clock = fakeClock();
    const gate = new RateLimitGate(clock, 0);
    await gate.acquire();
    gate.release(403);
    assert.equal(gate.blockedUntil(), null);
    await gate.acquire();
    gate.release(429);
    assert.equal(gate.blockedUntil(), clock.t + 60_000);
  });

  it('blockedUntil tells an exhausted budget before any refusal, and nothing once the window rolled over', async () => {
    const clock = fakeClock();
    const gate = new RateLimitGate(clock, 0);
    await gate.acquire();
    gate.release(200, headers({ 'x-ratelimit-remaining': '0', 'x-ratelimit-reset': String(clock.t / 1000 + 5) }));
    assert.equal(gate.blockedUntil(), clock.t + 5000);
    clock.t += 5000;
    assert.equal(gate.blockedUntil(), null);
  });
});
