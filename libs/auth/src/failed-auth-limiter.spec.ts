import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { clientKey, FailedAuthLimiter } from './failed-auth-limiter';

describe('FailedAuthLimiter', () => {
  const clock = () => {
    let t = 1_000_000;
    return { now: () => t, advance: (ms: number) => (t += ms) };
  };

  it('blocks an address after maxFailures within the window, for blockMs, and only that address', () => {
    const c = clock();
    const limiter = new FailedAuthLimiter({ maxFailures: 3, windowMs: 10_000, blockMs: 30_000, maxClients: 100 }, c.now);
    limiter.recordFailure('10.0.0.1');
    limiter.recordFailure('10.0.0.1');
    assert.equal(limiter.blockedFor('10.0.0.1'), 0);
    limiter.recordFailure('10.0.0.1');
    assert.equal(limiter.blockedFor('10.0.0.1'), 30_000);
    assert.equal(limiter.blockedFor('10.0.0.2'), 0);
    c.advance(29_000);
    assert.equal(limiter.blockedFor('10.0.0.1'), 1_000);
    c.advance(1_000);
    assert.equal(limiter.blockedFor('10.0.0.1'), 0);
  });

  it('starts counting afresh in a new window', () => {
    const c = clock();
    const limiter = new FailedAuthLimiter({ maxFailures: 3, windowMs: 10_000, blockMs: 30_000, maxClients: 100 }, c.now);
    limiter.recordFailure('10.0.0.1');
    limiter.recordFailure('10.0.0.1');
    c.advance(10_000);
    limiter.recordFailure('10.0.0.1');
    limiter.recordFailure('10.0.0.1');
    assert.equal(limiter.blockedFor('10.0.0.1'), 0);
  });

  it('tracks at most maxClients addresses, forgetting the least recently failing', () => {
    const limiter = new FailedAuthLimiter({ maxFailures: 2, windowMs: 10_000, blockMs: 30_000, maxClients: 100 });
    limiter.recordFailure('192.0.2.1');
    limiter.recordFailure('192.0.2.1');
    for (let i = 0; i < 10_000; i++) limiter.recordFailure(`198.51.${i >> 8}.${i & 255}`);
    assert.equal(limiter.size, 100);
    assert.equal(limiter.blockedFor('192.0.2.1'), 0, 'forgotten');
  });

  it('counts IPv6 addresses by their /64 and IPv4-mapped ones as IPv4', () => {
    assert.equal(clientKey('2001:db8:1:2:aaaa::1'), '2001:db8:1:2::/64');
    assert.equal(clientKey('2001:0db8:0001:0002:ffff:1:2:3'), '2001:db8:1:2::/64');
    assert.equal(clientKey('2001:db8::1'), '2001:db8:0:0::/64');
    assert.equal(clientKey('::1'), '0:0:0:0::/64');
    assert.equal(clientKey('::ffff:127.0.0.1'), '127.0.0.1');
    assert.equal(clientKey('127.0.0.1'), '127.0.0.1');
    assert.equal(clientKey(undefined), 'unknown');
    const limiter = new FailedAuthLimiter({ maxFailures: 2, windowMs: 10_000, blockMs: 30_000, maxClients: 100 });
    limiter.recordFailure('2001:db8:1:2::a');
    limiter.recordFailure('2001:db8:1:2::b');
    assert.ok(limiter.blockedFor('2001:db8:1:2::c') > 0);
    assert.equal(limiter.blockedFor('2001:db8:1:3::a'), 0);
  });
});
