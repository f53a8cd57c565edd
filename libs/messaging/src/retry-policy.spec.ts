import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { backoffDelayMs, DEFAULT_RETRY_POLICY, resolveRetryPolicy } from './retry-policy';

describe('retry policy', () => {
  const policy = { maxAttempts: 10, baseDelayMs: 100, maxDelayMs: 1000 };

  it('doubles the delay per failure, keeps half of it fixed and caps it', () => {
    assert.equal(backoffDelayMs(1, policy, () => 0), 50);
    assert.equal(backoffDelayMs(1, policy, () => 1), 100);
    assert.equal(backoffDelayMs(3, policy, () => 0), 200);
    assert.equal(backoffDelayMs(3, policy, () => 1), 400);
    assert.equal(backoffDelayMs(20, policy, () => 1), 1000);
    assert.equal(backoffDelayMs(20, policy, () => 0), 500);
  });

  it('defaults to 5 attempts; a subscription may override them; nonsense is refused', () => {
    assert.deepEqual(resolveRetryPolicy(), DEFAULT_RETRY_POLICY);
    assert.equal(resolveRetryPolicy({ baseDelayMs: 5 }).maxAttempts, 5);
    assert.equal(resolveRetryPolicy({ maxAttempts: 3 }, 7).maxAttempts, 7);
    assert.throws(() => resolveRetryPolicy({ maxAttempts: 0 }), RangeError);
  });
});
