import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { EncodedJson, latestVersion, parseEvent } from '@sluice/contracts';
import { waitUntil } from '@sluice/testing';
import { ConcurrencyError } from './errors';
import { DuplicateEventIdError } from './event-store';
import { Inbox } from './inbox';
import { openTestStore, testEvent } from './test-support';

describe('EventStore on PostgreSQL', () => {
  let ctx: Awaited<ReturnType<typeof openTestStore>>;
  before(async () => {
    ctx = await openTestStore();
  });
  after(async () => ctx?.close());

  it('appends at the expected version and reads the stream back in order', async () => {
    const appended = await ctx.store.append('s-1', 0, [testEvent(1), testEvent(2)], { correlationId: 'c-1' });
    assert.deepEqual(appended.map((e) => e.streamVersion), [1, 2]);
    await ctx.store.append('s-1', 2, [testEvent(3)]);
    const events = await ctx.store.readStream('s-1');
    assert.deepEqual(events.map((e) => (e.data as { n: number }).n), [1, 2, 3]);
    assert.equal(events[0].correlationId, 'c-1');
    assert.equal(await ctx.store.streamVersion('s-1'), 3);
  });

  it('keeps event data exactly, read parsed or as its stored JSON text', async () => {
    const data = { text: 'say "hi"\n\\ \u00fcn\u00efcode \u2713 \u0001', list: [1, 2.5, null, { deep: [true, false] }], empty: {}, none: null };
    const [event] = await ctx.store.appendMany([{ stream: 'data-1', expectedVersion: 0, events: [{ type: 'test.happened', version: 1, data }] }]);
    assert.deepEqual((await ctx.store.readStream('data-1'))[0]!.data, data);
    // readAll sees a transaction once every older one on the server ended (other test files run beside this one).
    let encoded: unknown;
    await waitUntil(async () => {
      encoded = (await ctx.store.readAll(undefined, { stream: 'data-1', encodedData: true })).find((e) => e.id === event!.id)?.data;
      return encoded !== undefined;
    }, { timeoutMs: 30_000, message: 'the event visible to log readers' });
    assert.ok(encoded instanceof EncodedJson);
    assert.deepEqual(JSON.parse(encoded.json), data);
  });

  it('rejects a stale or future expected version with ConcurrencyError', async () => {
    await ctx.store.append('s-2', 0, [testEvent(1)]);
    await assert.rejects(ctx.store.append('s-2', 0, [testEvent(2)]), ConcurrencyError);
    await assert.rejects(ctx.store.append('s-2', 5, [testEvent(2)]), ConcurrencyError);
    await ctx.store.append('s-2', 'any', [testEvent(2)]);
    assert.equal(await ctx.store.streamVersion('s-2'), 2);
  });

  it('appendMany writes several streams in one statement, in the order given, or nothing when one expectation fails', async () => {
    await ctx.store.append('m-a', 0, [testEvent(1)]);
    const stored = await ctx.store.appendMany([
      { stream: 'm-a', expectedVersion: 1, events: [testEvent(2), testEvent(3)] },
      { stream: 'm-b', expectedVersion: 'any', events: [testEvent(10)] },
    ]);
    assert.deepEqual(stored.map((e) => [e.stream, e.streamVersion]), [['m-a', 2], ['m-a', 3], ['m-b', 1]]);
    const positions = stored.map((e) => BigInt(e.position.globalPosition));
    assert.deepEqual([...positions].sort((a, b) => (a < b ? -1 : 1)), positions, 'log order is the order given');
    assert.deepEqual((await ctx.store.readStream('m-a')).map((e) => e.id).slice(1), stored.slice(0, 2).map((e) => e.id));

    await assert.rejects(
      ctx.store.appendMany([
        { stream: 'm-b', expectedVersion: 'any', events: [testEvent(11)] },
        { stream: 'm-a', expectedVersion: 1, events: [testEvent(4)] },
      ]),
      (e) => e instanceof ConcurrencyError && e.stream === 'm-a',
    );
    assert.deepEqual([await ctx.store.streamVersion('m-a'), await ctx.store.streamVersion('m-b')], [3, 1], 'nothing appended');
    await assert.rejects(ctx.store.appendMany([{ stream: 'm-c', expectedVersion: 0, events: [testEvent(1)] }, { stream: 'm-c', expectedVersion: 'any', events: [testEvent(2)] }]), /each stream may appear once/);
  });

  it('50 concurrent writers at one expected version: exactly one wins per version, no duplicate versions', async () => {
    const stream = 's-race';
    for (let version = 0; version < 5; version++) {
      const results = await Promise.allSettled(
        Array.from({ length: 50 }, (_, writer) => ctx.store.append(stream, version, [testEvent(writer)])),
      );
      const won = results.filter((r) => r.status === 'fulfilled');
      const lost = results.filter((r) => r.status === 'rejected');
      assert.equal(won.length, 1, `version ${version}: exactly one writer appends`);
      assert.equal(lost.length, 49);
      for (const r of lost) assert.ok((r as PromiseRejectedResult).reason instanceof ConcurrencyError);
    }
    const events = await ctx.store.readStream(stream);
    assert.deepEqual(events.map((e) => e.streamVersion), [1, 2, 3, 4, 5]);
  });

  it('refuses a second event with the same id', async () => {
    const id = '0193b6a0-0000-7000-8000-0000000000aa';
    await ctx.store.append('s-3', 0, [{ ...testEvent(1), id }]);
    await assert.rejects(ctx.store.append('s-4', 0, [{ ...testEvent(1), id }]), DuplicateEventIdError);
  });

  it('reads an event stored as version 1 back upcast to the latest version', async () => {
    const repo = { fullName: 'acme/billing', id: 1, defaultBranch: 'main', private: false };
    const [stored] = await ctx.store.append('repo-acme/billing', 0, [
      {
        type: 'scm.build.completed',
        version: 1,
        data: { deliveryId: 'd1', repo, sha: 'a'.repeat(40), branch: 'main', buildName: 'ci', source: 'workflow_run', conclusion: 'success' },
      },
    ]);
    assert.equal(stored.version, 1);
    const [raw] = await ctx.store.readStream('repo-acme/billing');
    const event = parseEvent(raw);
    assert.equal(event.version, latestVersion('scm.build.completed'));
    assert.equal((event.data as { url: string | null }).url, null);
  });

  it('inbox applies an event once per consumer', async () => {
    const inbox = new Inbox(ctx.dataSource, 'test_service');
    const id = '0193b6a0-0000-7000-8000-0000000000bb';
    let applied = 0;
    const effects = async () => {
      applied++;
    };
    assert.equal(await inbox.handleOnce('projector', id, effects), true);
    assert.equal(await inbox.handleOnce('projector', id, effects), false);
    assert.equal(await inbox.handleOnce('other-consumer', id, effects), true);
    assert.equal(applied, 2);
  });

  it('rolls the inbox row back with failed effects, so a redelivery is applied', async () => {
    const inbox = new Inbox(ctx.dataSource, 'test_service');
    const id = '0193b6a0-0000-7000-8000-0000000000cc';
    await assert.rejects(
      inbox.handleOnce('flaky', id, async () => {
        throw new Error('boom');
      }),
      /boom/,
    );
    assert.equal(await inbox.handleOnce('flaky', id, async () => undefined), true);
  });
});
