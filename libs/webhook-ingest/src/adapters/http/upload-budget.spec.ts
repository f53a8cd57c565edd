import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { UploadBudget, UploadBudgetExceededError } from './upload-budget';

describe('UploadBudget', () => {
  it('admits at most maxReaders bodies at once, with Retry-After on the next', () => {
    const budget = new UploadBudget({ maxBytes: 100, maxReaders: 2, retryAfterSeconds: 7 });
    const a = budget.admit();
    budget.admit();
    assert.throws(() => budget.admit(), (e: unknown) => e instanceof UploadBudgetExceededError && e.status === 429 && e.retryAfterSeconds === 7);
    a.release();
    assert.doesNotThrow(() => budget.admit());
  });

  it('never lets the held bytes of all bodies pass maxBytes; a refused take holds nothing', () => {
    const budget = new UploadBudget({ maxBytes: 100, maxReaders: 5, retryAfterSeconds: 1 });
    const a = budget.admit();
    const b = budget.admit();
    const refused = (e: unknown) => e instanceof UploadBudgetExceededError && /bytes/.test(e.message);
    a.take(60);
    assert.throws(() => b.take(41), refused);
    b.take(40);
    assert.deepEqual(budget.inUse, { bytes: 100, readers: 2 });
    assert.throws(() => a.take(1), refused);
    a.release();
    assert.deepEqual(budget.inUse, { bytes: 40, readers: 1 });
    assert.doesNotThrow(() => b.take(60));
  });

  it('gives back everything on release, once, however often release is called', () => {
    const budget = new UploadBudget({ maxBytes: 100, maxReaders: 1, retryAfterSeconds: 1 });
    const a = budget.admit();
    a.take(30);
    a.take(20);
    a.release();
    a.release();
    assert.deepEqual(budget.inUse, { bytes: 0, readers: 0 });
    assert.throws(() => a.take(1));
  });

  it('refuses limits that would admit nothing', () => {
    assert.throws(() => new UploadBudget({ maxBytes: 0, maxReaders: 1, retryAfterSeconds: 1 }));
    assert.throws(() => new UploadBudget({ maxBytes: 1, maxReaders: 0, retryAfterSeconds: 1 }));
  });
});
