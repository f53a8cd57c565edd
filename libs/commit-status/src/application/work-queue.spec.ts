import { test } from 'node:test';
import assert from 'node:assert/strict';
import { WorkQueue } from './work-queue';

const tick = (ms = 5) => new Promise((r) => setTimeout(r, ms));

test('a key queued many times runs once; a key added while running runs again after, never concurrently', async () => {
  const runs: string[] = [];
  let concurrent = 0;
  let maxConcurrent = 0;
  let release!: () => void;
  const gate = new Promise<void>((r) => (release = r));
  const q = new WorkQueue(
    async (key) => {
      concurrent++;
      maxConcurrent = Math.max(maxConcurrent, concurrent);
      runs.push(key);
      if (runs.length === 1) await gate;
      concurrent--;
    },
    () => undefined,
  );
  q.add('a');
  q.add('a');
  await tick();
  q.add('a');
  q.add('a');
  release();
  await tick(20);
  await q.idle();
  assert.deepEqual(runs, ['a', 'a']);
  assert.equal(maxConcurrent, 1);
  q.stop();
});

test('failures retry with growing jittered backoff; success resets it; requeueAfterMs delays', async () => {
  let calls = 0;
  const delays: number[] = [];
  const q = new WorkQueue(
    async () => {
      calls++;
      if (calls < 3) throw new Error('transient');
      if (calls === 3) return { requeueAfterMs: 10 };
    },
    (_key, _err, delayMs) => delays.push(delayMs),
    { baseDelayMs: 4, random: () => 1 },
  );
  q.add('k');
  await tick(100);
  assert.equal(calls, 4);
  assert.deepEqual(delays, [4, 8]);
  q.stop();
});
