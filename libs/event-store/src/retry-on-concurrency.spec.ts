import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ConcurrencyError } from './errors';
import { CONCURRENCY_RETRY, retryOnConcurrency } from './retry-on-concurrency';

const noWait = { sleep: async () => undefined };

describe('retryOnConcurrency: the one retry policy for a cycle that lost a race', () => {
  it('runs the cycle again after a ConcurrencyError, telling onRetry, until it succeeds', async () => {
    const retried: number[] = [];
    const result = await retryOnConcurrency(
      async (n) => {
        if (n < 3) throw new ConcurrencyError('config-a', n);
        return `done on ${n}`;
      },
      { ...noWait, onRetry: (n) => retried.push(n) },
    );
    assert.equal(result, 'done on 3');
    assert.deepEqual(retried, [1, 2]);
  });

  it(`gives up with the conflict after ${CONCURRENCY_RETRY.attempts} attempts`, async () => {
    let attempts = 0;
    await assert.rejects(
      retryOnConcurrency(async () => {
        attempts++;
        throw new ConcurrencyError('config-a', 1);
      }, noWait),
      ConcurrencyError,
    );
    assert.equal(attempts, CONCURRENCY_RETRY.attempts);
  });

  it('never retries any other error', async () => {
    let attempts = 0;
    await assert.rejects(
      retryOnConcurrency(async () => {
        attempts++;
        throw new TypeError('a bug');
      }, noWait),
      TypeError,
    );
    assert.equal(attempts, 1);
  });

  it('waits between attempts with jitter, within the cap', async () => {
    const waits: number[] = [];
    await retryOnConcurrency(
      async (n) => {
        if (n < CONCURRENCY_RETRY.attempts) throw new ConcurrencyError('s', n);
        return n;
      },
      { sleep: async (ms) => void waits.push(ms) },
    );
    assert.equal(waits.length, CONCURRENCY_RETRY.attempts - 1);
    assert.ok(waits.every((ms) => ms >= 0 && ms <= CONCURRENCY_RETRY.capMs), JSON.stringify(waits));
  });
});
