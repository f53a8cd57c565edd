import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Kafka, logLevel } from 'kafkajs';
import { kafkaBrokers } from '@sluice/testing';
import { KafkaMessageBus } from './kafka-bus';
import { kafkajsRequestQueue, type RequestQueueLike } from './kafkajs-idle-loop';

const RequestQueue = kafkajsRequestQueue();

describe('kafkajs idle timer loop (kafkajs issue 1556), fixed by the Kafka bus', () => {
  it('an idle connection to the real broker checks its request queue no more, and a throttled request still goes out', { timeout: 30_000 }, async () => {
    const bus = new KafkaMessageBus({ brokers: kafkaBrokers(), clientId: 'idle-loop' });
    await bus.close();

    let checks = 0;
    const original = RequestQueue.prototype.checkPendingRequests;
    RequestQueue.prototype.checkPendingRequests = function (this: RequestQueueLike) {
      checks++;
      return original.call(this);
    };
    const admin = new Kafka({ brokers: kafkaBrokers(), clientId: 'idle-loop-admin', logLevel: logLevel.NOTHING }).admin();
    try {
      await admin.connect();
      await admin.listTopics();
      const cpu0 = process.cpuUsage();
      checks = 0;
      await new Promise((resolve) => setTimeout(resolve, 1_000));
      const cpu = process.cpuUsage(cpu0);
      // kafkajs 2.2.4 as shipped: ~870 checks and ~37 ms of CPU in this second, per connection.
      assert.ok(checks <= 5, `${checks} checks of the request queue in 1 s idle`);
      assert.ok((cpu.user + cpu.system) / 1000 < 30, `CPU in 1 s idle: ${(cpu.user + cpu.system) / 1000} ms`);
      const topics = await admin.listTopics();
      assert.ok(Array.isArray(topics), 'the connection still answers');
    } finally {
      RequestQueue.prototype.checkPendingRequests = original;
      await admin.disconnect();
    }

    // A request queued while the broker throttles is still checked at the throttle's end.
    const sent: number[] = [];
    const started = Date.now();
    const queue: RequestQueueLike = {
      pending: [{}],
      throttledUntil: started + 40,
      throttleCheckTimeoutId: null,
      checkPendingRequests: () => void sent.push(Date.now() - started),
      scheduleCheckPendingRequests: RequestQueue.prototype.scheduleCheckPendingRequests,
    };
    queue.scheduleCheckPendingRequests();
    await new Promise((resolve) => setTimeout(resolve, 200));
    assert.equal(sent.length, 1);
    assert.ok(sent[0]! >= 35, `checked after ${sent[0]} ms, at the throttle's end`);
    // Nothing pending: nothing scheduled.
    const idle: RequestQueueLike = { ...queue, pending: [], throttleCheckTimeoutId: null };
    idle.scheduleCheckPendingRequests();
    assert.equal(idle.throttleCheckTimeoutId, null);
  });
});
