import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { INestApplication } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { MessagingModule } from '@sluice/messaging';
import { createTestDatabase, waitUntil, type TestDatabase } from '@sluice/testing';
import { EventStore } from '../event-store';
import { LogAppends } from '../log-appends';
import { Projection } from '../log-subscription';
import { testEvent } from '../test-support';
import { EventStoreModule } from './event-store.module';

describe('LogAppends: readers woken by the log’s NOTIFY through the EventStoreModule', () => {
  let db: TestDatabase;
  let app: INestApplication;
  before(async () => {
    db = await createTestDatabase('log_appends');
    const moduleRef = await Test.createTestingModule({
      imports: [MessagingModule.forRoot(), EventStoreModule.forRoot({ url: db.url, schema: 'appends_test' })],
    }).compile();
    app = moduleRef.createNestApplication({ logger: false });
    await app.init();
  });
  after(async () => {
    await app?.close();
    await db?.drop();
  });

  it('a projection whose fallback poll is a minute projects an append at once, woken by its announcement', { timeout: 30_000 }, async () => {
    const appends = app.get(LogAppends);
    const store = app.get(EventStore);
    assert.equal(appends.listening, true, 'the module listens on the server');
    const projected: number[] = [];
    const projection = new Projection(store, async (events) => void projected.push(...events.map((e) => (e.data as { n: number }).n)), {
      name: 'appends-test',
      pollIntervalMs: () => (appends.listening ? 60_000 : 100),
    });
    const unsubscribe = appends.subscribe(() => projection.wake());
    projection.start();
    try {
      await new Promise((resolve) => setTimeout(resolve, 300)); // its first poll found nothing: it waits its minute now
      const started = Date.now();
      await store.append('s-1', 0, [testEvent(7)]);
      await waitUntil(async () => projected.includes(7), { timeoutMs: 10_000, message: 'projected after the NOTIFY' });
      assert.ok(Date.now() - started < 5_000, `projected ${Date.now() - started} ms after the append`);
    } finally {
      unsubscribe();
      await projection.stop();
    }
  });
});
