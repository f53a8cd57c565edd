// handleCommand on real PostgreSQL: two cycles racing on one stream are both decided, the loser
// reloaded and deciding on the winner's event; inside a caller's transaction nothing is retried.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { ConcurrencyError } from './errors';
import { handleCommand } from './handle-command';
import { openTestStore, testEvent } from './test-support';

describe('handleCommand: load → decide → append, one retry policy', () => {
  let t: Awaited<ReturnType<typeof openTestStore>>;
  before(async () => {
    t = await openTestStore('handle_command');
  });
  after(async () => t?.close());

  const count = (events: readonly unknown[]) => events.length;

  it('decides both of two racing commands, the second on the state the first left', async () => {
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const seen: number[] = [];
    const slow = handleCommand(t.store, 'counter-1', count, async (n) => {
      seen.push(n);
      if (seen.length === 1) await gate; // holds its snapshot while the other one appends
      return { events: [testEvent(n + 1)] };
    });
    await new Promise((resolve) => setTimeout(resolve, 50));
    const fast = await handleCommand(t.store, 'counter-1', count, (n) => {
      seen.push(n);
      return { events: [testEvent(n + 1)] };
    });
    release();
    await slow;
    assert.equal(fast.events.length, 1);
    const stored = await t.store.readStream('counter-1');
    assert.deepEqual(stored.map((e) => (e.data as { n: number }).n), [1, 2]);
    assert.ok(seen.includes(1), 'the losing cycle decided again on the reloaded stream');
  });

  it('in a caller’s transaction, a lost race propagates (the caller’s redelivery decides again)', async () => {
    await handleCommand(t.store, 'counter-2', count, () => ({ events: [testEvent(1)] }));
    await assert.rejects(
      t.dataSource.transaction(async (manager) => {
        await handleCommand(t.store, 'counter-2', count, async (n) => {
          await handleCommand(t.store, 'counter-2', count, () => ({ events: [testEvent(99)] }));
          return { events: [testEvent(n + 1)] };
        }, { manager });
      }),
      (error: unknown) => error instanceof ConcurrencyError,
    );
  });
});
