import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { PeriodicTask } from './periodic-task';

describe('PeriodicTask', () => {
  it('runs its pass every interval, never two at once; a failure goes to onError and the next pass runs; stop waits for the pass under way', async () => {
    let active = 0;
    let most = 0;
    let passes = 0;
    const errors: string[] = [];
    const task = new PeriodicTask(
      async () => {
        passes += 1;
        active += 1;
        most = Math.max(most, active);
        await new Promise((r) => setTimeout(r, 30));
        active -= 1;
        if (passes === 1) throw new Error('first pass failed');
      },
      (e) => errors.push(e.message),
    );
    task.start(10);
    await new Promise((r) => setTimeout(r, 150));
    await task.stop();
    const after = passes;
    await new Promise((r) => setTimeout(r, 50));
    assert.ok(after >= 2, `passes: ${after}`);
    assert.equal(most, 1, 'never two passes at once');
    assert.deepEqual(errors, ['first pass failed']);
    assert.equal(active, 0, 'stop waited for the pass under way');
    assert.equal(passes, after, 'nothing runs after stop');
  });
});
