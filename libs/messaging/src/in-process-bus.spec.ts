import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { EventEnvelope } from '@sluice/contracts';
import { createMessageBus } from './create-message-bus';
import { PermanentDeliveryError } from './errors';
import { InProcessMessageBus } from './in-process-bus';
import { consumerReadiness } from './consumer-status';
import { KafkaMessageBus } from './kafka-bus';
import type { DeliveryContext } from './port';
import { deferred, envelope, interleaved, recordingLogger, versionsByStream } from './test-support';

const TOPIC = 'sluice.test.v1';
const fastRetry = { baseDelayMs: 1, maxDelayMs: 5 };

function newBus(options: ConstructorParameters<typeof InProcessMessageBus>[0] = {}) {
  return new InProcessMessageBus({ retry: fastRetry, shutdownGraceMs: 20, ...options });
}

describe('InProcessMessageBus', () => {
  it('delivers each stream in publish order, to every group, asynchronously', async () => {
    const bus = newBus();
    const received = new Map<string, EventEnvelope[]>([['a', []], ['b', []]]);
    for (const group of ['a', 'b']) {
      await bus.subscribe({
        group,
        topics: [TOPIC],
        handler: async (e) => {
          // Uneven handler latency must not reorder anything.
          await new Promise((r) => setTimeout(r, Math.random() * 3));
          received.get(group)!.push(e);
        },
      });
    }
    const published = interleaved(['s1', 's2', 's3'], 10);
    await bus.publish(TOPIC, published.slice(0, 15));
    await bus.publish(TOPIC, published.slice(15));
    assert.equal(received.get('a')!.length, 0, 'publish resolves after enqueue, before handlers ran');
    await bus.drain();

    for (const group of ['a', 'b']) {
      const byStream = versionsByStream(received.get(group)!);
      for (const stream of ['s1', 's2', 's3']) assert.deepEqual(byStream.get(stream), [1, 2, 3, 4, 5, 6, 7, 8, 9, 10], `${group}/${stream}`);
    }
    await bus.close();
  });

  it('delivers copies, not the publisher objects', async () => {
    const bus = newBus();
    const seen: EventEnvelope[] = [];
    await bus.subscribe({ group: 'g', topics: [TOPIC], handler: async (e) => void seen.push(e) });
    const original = envelope('s', 1, { nested: { n: 1 } });
    await bus.publish(TOPIC, [original]);
    await bus.drain();
    assert.deepEqual(seen, [original]);
    assert.notEqual(seen[0], original);
    await bus.close();
  });

  it('redelivers after a failure (at-least-once): a failing-once handler sees the message twice', async () => {
    const bus = newBus();
    const attempts: Array<[number, number]> = [];
    let failedOnce = false;
    await bus.subscribe({
      group: 'g',
      topics: [TOPIC],
      handler: async (e, context) => {
        attempts.push([e.streamVersion, context.attempt]);
        if (e.streamVersion === 1 && !failedOnce) {
          failedOnce = true;
          throw new Error('database blip');
        }
      },
    });
    await bus.publish(TOPIC, [envelope('s', 1), envelope('s', 2)]);
    await bus.drain();
    assert.deepEqual(attempts, [[1, 1], [1, 2], [2, 1]]);
    assert.equal(bus.deadLetters.length, 0);
    await bus.close();
  });

  it('retries an unclassified failure up to maxAttempts, then dead-letters to <topic>.dlq and moves on', async () => {
    const logger = recordingLogger();
    const bus = newBus({ logger });
    const handled: number[] = [];
    const attemptTimes: number[] = [];
    await bus.subscribe({
      group: 'deploys',
      topics: [TOPIC],
      maxAttempts: 3,
      handler: async (e) => {
        if (e.streamVersion === 2) {
          attemptTimes.push(Date.now());
          throw new Error('poison');
        }
        handled.push(e.streamVersion);
      },
    });
    const dlqSeen: Array<{ envelope: EventEnvelope; context: DeliveryContext }> = [];
    await bus.subscribe({ group: 'dlq-reader', topics: [`${TOPIC}.dlq`], handler: async (e, context) => void dlqSeen.push({ envelope: e, context }) });

    const poison = envelope('s', 2);
    await bus.publish(TOPIC, [envelope('s', 1), poison, envelope('s', 3)]);
    await bus.drain();

    assert.deepEqual(handled, [1, 3], 'the partition moves on past the poison message');
    assert.equal(attemptTimes.length, 3);
    assert.equal(bus.deadLetters.length, 1);
    assert.deepEqual(bus.deadLetters[0]!.info, { group: 'deploys', error: 'Error: poison', attempts: 3, originalTopic: TOPIC, originalPartition: 0, originalOffset: '1' });
    assert.equal(dlqSeen.length, 1);
    assert.deepEqual(dlqSeen[0]!.envelope, poison);
    assert.equal(dlqSeen[0]!.context.topic, `${TOPIC}.dlq`);
    assert.equal(dlqSeen[0]!.context.deadLetter?.attempts, 3);
    assert.ok(logger.entries.some((l) => l.level === 'error' && l.message === 'message dead-lettered'));
    await bus.close();
  });

  it('dead-letters at once, without retrying, when the handler throws PermanentDeliveryError', async () => {
    const bus = newBus();
    let calls = 0;
    await bus.subscribe({
      group: 'g',
      topics: [TOPIC],
      handler: async () => {
        calls++;
        throw new PermanentDeliveryError('unknown event version');
      },
    });
    await bus.publish(TOPIC, [envelope('s', 1)]);
    await bus.drain();
    assert.equal(calls, 1);
    assert.equal(bus.deadLetters[0]!.info.attempts, 1);
    assert.equal(bus.deadLetters[0]!.info.error, 'PermanentDeliveryError: unknown event version');
    await bus.close();
  });

  it('dead-letters a value that is not an envelope without calling the handler', async () => {
    const bus = newBus();
    let calls = 0;
    await bus.subscribe({ group: 'g', topics: [TOPIC], handler: async () => void calls++ });
    await bus.publish(TOPIC, [{ ...envelope('s', 1), id: 'not-a-uuid' }]);
    await bus.drain();
    assert.equal(calls, 0);
    assert.equal(bus.deadLetters.length, 1);
    assert.equal(bus.deadLetters[0]!.info.attempts, 0);
    assert.match(bus.deadLetters[0]!.info.error, /not an event envelope: id/);
    await bus.close();
  });

  it('survives handlers that throw synchronously or reject with non-errors', async () => {
    const bus = newBus();
    await bus.subscribe({
      group: 'g',
      topics: [TOPIC],
      maxAttempts: 2,
      handler: ((e: EventEnvelope) => {
        if (e.streamVersion === 1) throw new Error('sync');
        return Promise.reject('a string');
      }) as never,
    });
    await bus.publish(TOPIC, [envelope('s', 1), envelope('s', 2)]);
    await bus.drain();
    assert.deepEqual(bus.deadLetters.map((d) => d.info.error), ['Error: sync', 'a string']);
    await bus.close();
  });

  it('keeps messages published before a group subscribes and resumes a group where it stopped', async () => {
    const bus = newBus();
    await bus.publish(TOPIC, [envelope('s', 1), envelope('s', 2)]);
    const first: number[] = [];
    const blocked = deferred();
    const secondStarted = deferred();
    const subscription = await bus.subscribe({
      group: 'g',
      topics: [TOPIC],
      handler: async (e) => {
        if (e.streamVersion === 2) {
          secondStarted.resolve();
          await blocked.promise; // still running when the subscription stops
        }
        first.push(e.streamVersion);
      },
    });
    await secondStarted.promise;
    await subscription.stop(); // abandons version 2 after the grace period: not acknowledged
    await bus.publish(TOPIC, [envelope('s', 3)]);

    const second: Array<[number, number]> = [];
    await bus.subscribe({ group: 'g', topics: [TOPIC], handler: async (e, c) => void second.push([e.streamVersion, c.attempt]) });
    await bus.drain();
    assert.deepEqual(first, [1]);
    assert.deepEqual(second, [[2, 1], [3, 1]], 'the abandoned message is redelivered, then what came meanwhile');
    blocked.resolve();
    await bus.close();
  });

  it('lets a handler still running at stop() finish within the grace period and counts it as handled', async () => {
    const bus = newBus({ shutdownGraceMs: 1000 });
    const release = deferred();
    const started = deferred();
    const handled: number[] = [];
    const subscription = await bus.subscribe({
      group: 'g',
      topics: [TOPIC],
      handler: async (e) => {
        started.resolve();
        await release.promise;
        handled.push(e.streamVersion);
      },
    });
    await bus.publish(TOPIC, [envelope('s', 1)]);
    await started.promise;
    const stopping = subscription.stop();
    setTimeout(() => release.resolve(), 20);
    await stopping;
    const again: number[] = [];
    await bus.subscribe({ group: 'g', topics: [TOPIC], handler: async (e) => void again.push(e.streamVersion) });
    await bus.drain();
    assert.deepEqual(handled, [1]);
    assert.deepEqual(again, []);
    await bus.close();
  });

  it('refuses to publish after close and reports not ready', async () => {
    const bus = newBus();
    assert.equal(bus.isReady(), true);
    await bus.close();
    assert.equal(bus.isReady(), false);
    await assert.rejects(bus.publish(TOPIC, [envelope('s', 1)]), { name: 'MessageBusClosedError' });
  });
});

describe('createMessageBus', () => {
  it('picks Kafka when brokers are given, the in-process bus otherwise', async () => {
    assert.ok(createMessageBus() instanceof InProcessMessageBus);
    assert.ok(createMessageBus({ brokers: [] }) instanceof InProcessMessageBus);
    const kafka = createMessageBus({ brokers: ['127.0.0.1:1'] });
    assert.ok(kafka instanceof KafkaMessageBus);
    assert.equal(kafka.isReady(), false, 'not connected yet');
    await kafka.close();
  });
});

describe('InProcessMessageBus through an outage', () => {
  const outage = () => Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' });

  it('retries a transient failure far beyond maxAttempts, holding the stream, and dead-letters nothing', async () => {
    const bus = newBus();
    const handled: number[] = [];
    let failures = 0;
    await bus.subscribe({
      group: 'deploys',
      topics: [TOPIC],
      maxAttempts: 2,
      handler: async (e) => {
        if (e.streamVersion === 1 && failures < 20) {
          failures++;
          throw outage();
        }
        handled.push(e.streamVersion);
      },
    });
    await bus.publish(TOPIC, [envelope('s', 1), envelope('s', 2)]);
    await bus.drain();
    assert.equal(failures, 20);
    assert.deepEqual(handled, [1, 2], 'order kept: version 2 waited for version 1');
    assert.deepEqual(bus.deadLetters, []);
    await bus.close();
  });

  it('reports the group as retrying since its first failure while it fails', async () => {
    const bus = newBus({ retry: { baseDelayMs: 5, maxDelayMs: 5 } });
    const release = deferred<void>();
    let down = true;
    void release.promise.then(() => {
      down = false;
    });
    await bus.subscribe({
      group: 'deploys',
      topics: [TOPIC],
      handler: async () => {
        if (down) throw outage();
      },
    });
    const before = Date.now();
    await bus.publish(TOPIC, [envelope('s', 1)]);
    await new Promise((r) => setTimeout(r, 50));
    const [retrying] = bus.retrying();
    assert.equal(retrying?.group, 'deploys');
    assert.equal(retrying?.topic, TOPIC);
    assert.equal(retrying?.lastClass, 'transient');
    assert.equal(retrying?.failing, 1);
    assert.ok(retrying!.since >= before && retrying!.since <= Date.now());
    release.resolve();
    await bus.drain();
    assert.equal(bus.retrying()[0]?.failing, 0, 'kept during the quiet period, with nothing failing');
    await bus.close();
  });

  it('redrives dead letters back to their topic once, for every group (inboxes absorb the repeats)', async () => {
    const bus = newBus();
    const seen: number[] = [];
    let broken = true;
    await bus.subscribe({
      group: 'deploys',
      topics: [TOPIC],
      handler: async (e) => {
        if (broken) throw new PermanentDeliveryError('cannot yet');
        seen.push(e.streamVersion);
      },
    });
    await bus.publish(TOPIC, [envelope('s', 1), envelope('s', 2)]);
    await bus.drain();
    assert.equal(bus.deadLetters.length, 2);
    broken = false;
    assert.equal(await bus.redrive(TOPIC), 2);
    await bus.drain();
    assert.deepEqual(seen, [1, 2]);
    assert.equal(await bus.redrive(TOPIC), 0, 'what was redriven is not sent again');
    await assert.rejects(bus.redrive(`${TOPIC}.dlq`), RangeError);
    await bus.close();
  });
});

describe('consumerReadiness', () => {
  it('is ready while nothing failed for longer than the threshold, and names who is stalled and why', () => {
    const now = Date.parse('2024-05-01T12:00:00Z');
    const retrying = [{ group: 'autodeploy', topic: 'sluice.scm.v1', since: now - 90_000, failing: 1, lastError: 'KubeNetworkError', lastClass: 'transient' as const }];
    assert.deepEqual(consumerReadiness([], 60_000, now), { ok: true, detail: 'ok' });
    assert.equal(consumerReadiness(retrying, 120_000, now).ok, true);
    const stalled = consumerReadiness(retrying, 60_000, now);
    assert.equal(stalled.ok, false);
    assert.equal(stalled.detail, 'stalled: group autodeploy on sluice.scm.v1 retrying since 2024-05-01T11:58:30.000Z (90 s, transient KubeNetworkError)');
  });
});
