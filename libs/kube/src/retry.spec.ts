import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { errorFromResponse, KubeInvalidError } from './errors';
import { AbortedError, Backoff, sleep, withRetry } from './retry';

describe('Backoff', () => {
  it('grows the ceiling exponentially up to the maximum and jitters below it', () => {
    const ceilings: number[] = [];
    const b = new Backoff({ initialDelayMs: 100, maxDelayMs: 1000, factor: 2, random: () => 1 });
    for (let i = 0; i < 6; i++) ceilings.push(b.next());
    assert.deepEqual(ceilings, [100, 200, 400, 800, 1000, 1000]);

    const jittered = new Backoff({ initialDelayMs: 100, random: () => 0.25 });
    assert.equal(jittered.next(), 25);
  });

  it('lets the server Retry-After win, capped at the maximum', () => {
    const b = new Backoff({ initialDelayMs: 100, maxDelayMs: 5000, random: () => 0 });
    assert.equal(b.next(2000), 2000);
    assert.equal(b.next(60_000), 5000);
  });

  it('starts over after reset', () => {
    const b = new Backoff({ initialDelayMs: 100, random: () => 1 });
    b.next();
    b.next();
    b.reset();
    assert.equal(b.next(), 100);
  });
});

describe('withRetry', () => {
  const fast = { initialDelayMs: 1, maxDelayMs: 2 };

  it('retries 429, 5xx and network failures until the call succeeds', async () => {
    const failures = [
      errorFromResponse(429, ''),
      errorFromResponse(503, ''),
      Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' }),
    ];
    let calls = 0;
    const result = await withRetry(async () => {
      calls++;
      const f = failures.shift();
      if (f) throw f;
      return 'ok';
    }, fast);
    assert.equal(result, 'ok');
    assert.equal(calls, 4);
  });

  it('does not retry terminal errors', async () => {
    let calls = 0;
    await assert.rejects(
      withRetry(async () => {
        calls++;
        throw errorFromResponse(422, { kind: 'Status', reason: 'Invalid' });
      }, fast),
      KubeInvalidError,
    );
    assert.equal(calls, 1);
  });

  it('gives up after maxAttempts with the last error', async () => {
    let calls = 0;
    await assert.rejects(
      withRetry(
        async () => {
          calls++;
          throw errorFromResponse(500, `boom ${calls}`);
        },
        { ...fast, maxAttempts: 3 },
      ),
      /boom 3/,
    );
    assert.equal(calls, 3);
  });

  it('stops waiting when aborted', async () => {
    const ac = new AbortController();
    const pending = sleep(10_000, ac.signal);
    ac.abort();
    await assert.rejects(pending, AbortedError);
  });
});
