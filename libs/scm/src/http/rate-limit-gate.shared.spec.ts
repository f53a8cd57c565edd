import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { RateLimitGate, SHARED_LIMIT_READ_MS, type GateClock, type SharedRateLimit } from './rate-limit-gate';

function fakeClock(start = 1_000_000): GateClock & { t: number } {
  const clock = { t: start, now: () => clock.t, sleep: async (ms: number) => void (clock.t += ms) };
  return clock;
}

/** The shared row, in memory, on the same fake clock (what PgSharedRateLimit keeps in PostgreSQL). */
function sharedRow(clock: { t: number }) {
  const row = { limitedUntil: 0, nextWriteAt: 0, reads: 0, failing: false };
  const state: SharedRateLimit = {
    limitFor: async (ms) => {
      if (row.failing) throw new Error('database away');
      row.limitedUntil = Math.max(row.limitedUntil, clock.t + ms);
    },
    limitedFor: async () => {
      row.reads++;
      if (row.failing) throw new Error('database away');
      return Math.max(0, row.limitedUntil - clock.t);
    },
    reserveWrite: async (intervalMs) => {
      if (row.failing) throw new Error('database away');
      const slot = Math.max(row.nextWriteAt, clock.t);
      row.nextWriteAt = slot + intervalMs;
      return slot - clock.t;
    },
  };
  return { row, state };
}

describe('RateLimitGate shared between replicas', () => {
  it('records a Retry-After in the shared state, and another gate waits it out before its first call', async () => {
    const clock = fakeClock();
    const { row, state } = sharedRow(clock);
    const a = new RateLimitGate(clock, 0);
    a.share(state);
    await a.acquire();
    a.release(429, (name) => ({ 'retry-after': '30' })[name]);
    await a.flushShared();
    assert.equal(row.limitedUntil, clock.t + 30_000);

    const b = new RateLimitGate(clock, 0); // a second replica, or this one restarted
    b.share(state);
    const before = clock.t;
    await b.acquire();
    assert.equal(clock.t - before, 30_000, 'held until the limit ends');
    b.release(200);
  });

  it('reads the shared limit at most once per SHARED_LIMIT_READ_MS, once for concurrent callers', async () => {
    const clock = fakeClock();
    const { row, state } = sharedRow(clock);
    const gate = new RateLimitGate(clock, 0);
    gate.share(state);
    await gate.acquire();
    gate.release(200); // no budget headers: nothing to probe for, concurrent calls go at once
    await Promise.all([gate.acquire(), gate.acquire(), gate.acquire()]);
    for (let i = 0; i < 3; i++) gate.release(200);
    assert.equal(row.reads, 1);
    clock.t += SHARED_LIMIT_READ_MS;
    await gate.acquire();
    gate.release(200);
    assert.equal(row.reads, 2);
  });

  it('spaces writes through the shared row; when it cannot be reached, alone (and says so)', async () => {
    const clock = fakeClock();
    const { row, state } = sharedRow(clock);
    const errors: unknown[] = [];
    const [a, b] = [new RateLimitGate(clock, 0, 10, 1000), new RateLimitGate(clock, 0, 10, 1000)];
    a.share(state, (e) => errors.push(e));
    b.share(state, (e) => errors.push(e));
    const start = clock.t;
    await a.writeSlot();
    await b.writeSlot();
    await a.writeSlot();
    assert.equal(clock.t - start, 2000, 'three writes of two replicas: a second apart');
    row.failing = true;
    const alone = clock.t;
    await a.writeSlot();
    await a.writeSlot();
    assert.equal(clock.t - alone, 1000, 'this replica’s own spacing');
    assert.equal(errors.length, 2);
    // A failed read lets the call go (GitHub's own answers still hold it back).
    clock.t += SHARED_LIMIT_READ_MS;
    await a.acquire();
    a.release(200);
    assert.equal(errors.length, 3);
  });
});
