import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { parseEvent } from '@sluice/contracts';
import { openServiceDataSource, toEnvelope, EventStore } from '@sluice/event-store';
import { createTestDatabase, type TestDatabase } from '@sluice/testing';
import { AUTODEPLOY_SCHEMA, AutodeployInit1732400000000, autodeployMigrations } from './migrations';

describe('autodeploy migrations: team tokens issued before sluice.auth.v1', () => {
  let db: TestDatabase;
  before(async () => {
    db = await createTestDatabase('autodeploy_migrations');
  });
  after(async () => {
    await db?.drop();
  });

  it('announces each earlier token once as auth.token.issued with its stored SHA-256', async () => {
    const old = await openServiceDataSource({ url: db.url, schema: AUTODEPLOY_SCHEMA, migrations: [AutodeployInit1732400000000], poolSize: 2 });
    const hash = createHash('sha256').update('sl_0123456789abcdef_secret').digest();
    await old.query(`INSERT INTO autodeploy.api_tokens (id, team, token_hash, created_by) VALUES ('0123456789abcdef', 'payments', $1, 'admin')`, [hash]);
    await old.destroy();

    const current = await openServiceDataSource({ url: db.url, schema: AUTODEPLOY_SCHEMA, migrations: autodeployMigrations, poolSize: 2 });
    try {
      const events = await new EventStore(current, AUTODEPLOY_SCHEMA).readStream('auth-token-0123456789abcdef');
      assert.equal(events.length, 1);
      const event = parseEvent(toEnvelope(events[0]!));
      assert.equal(event.type, 'auth.token.issued');
      assert.deepEqual(event.data, { id: '0123456789abcdef', team: 'payments', tokenHash: hash.toString('hex'), createdBy: 'admin' });
      await current.runMigrations();
      assert.equal((await current.query(`SELECT count(*)::int AS n FROM autodeploy.events`))[0].n, 1);
    } finally {
      await current.destroy();
    }
  });
});
