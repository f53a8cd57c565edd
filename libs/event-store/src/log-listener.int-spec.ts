import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Client } from 'pg';
import { createTestDatabase, uniqueName, waitUntil, type TestDatabase } from '@sluice/testing';
import { LogListener } from './log-listener';

describe('LogListener', () => {
  let db: TestDatabase;
  let admin: Client;
  before(async () => {
    db = await createTestDatabase('log_listener');
    admin = new Client({ connectionString: db.url });
    await admin.connect();
  });
  after(async () => {
    await admin?.end();
    await db?.drop();
  });

  it('wakes on NOTIFY, listens again after its connection is killed (waking once), and stays stopped', { timeout: 30_000 }, async () => {
    const channel = uniqueName('sluice_events_listener', '_');
    let wakes = 0;
    const listener = new LogListener(db.url, channel, () => void wakes++);
    await listener.start();
    try {
      await admin.query(`NOTIFY ${channel}`);
      await waitUntil(async () => wakes === 1, { timeoutMs: 5_000, message: 'woken by NOTIFY' });

      const killed = await admin.query(`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = $1`, [`sluice-listen-${channel}`]);
      assert.equal(killed.rowCount, 1, 'the listening session was found and killed');
      await waitUntil(async () => wakes === 2 && listener.listening, { timeoutMs: 15_000, message: 'listening again, and woke its subscriptions once' });

      await admin.query(`NOTIFY ${channel}`);
      await waitUntil(async () => wakes === 3, { timeoutMs: 5_000, message: 'woken by a NOTIFY on the new connection' });
    } finally {
      await listener.stop();
    }
    assert.equal(listener.listening, false);
    const sessions = await admin.query(`SELECT 1 FROM pg_stat_activity WHERE application_name = $1`, [`sluice-listen-${channel}`]);
    assert.equal(sessions.rowCount, 0, 'no session left after stop');
  });
});
