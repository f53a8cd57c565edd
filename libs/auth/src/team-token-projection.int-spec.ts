import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { Inbox, openServiceDataSource } from '@sluice/event-store';
import { createTestDatabase, type TestDatabase } from '@sluice/testing';
import type { DataSource } from 'typeorm';
import { applyTokenEvent, ProjectedTokenAuthenticator, teamTokenMigrations, type TokenEvent } from './team-token-projection';
import { tokenEnvelope } from './testing';
import { tokenIssuedEvent, tokenRevokedEvent, tokenStream } from './token-events';
import { newTeamToken } from './token-hash';

const SCHEMA = 'auth_projection';

const envelope = (event: { type: string; version: number; data: unknown }, stream: string, streamVersion: number) => tokenEnvelope(event, stream, streamVersion) as TokenEvent;

describe('team_tokens projection (real PostgreSQL)', () => {
  let db: TestDatabase;
  let ds: DataSource;
  let inbox: Inbox;
  let auth: ProjectedTokenAuthenticator;
  const apply = (event: TokenEvent) => inbox.handleOnce('tokens', event.id, (m) => applyTokenEvent(m, SCHEMA, event));

  before(async () => {
    db = await createTestDatabase('auth_projection');
    ds = await openServiceDataSource({ url: db.url, schema: SCHEMA, migrations: teamTokenMigrations, poolSize: 2 });
    inbox = new Inbox(ds, SCHEMA);
    auth = new ProjectedTokenAuthenticator(ds, SCHEMA, 'the-admin-token');
  });
  after(async () => {
    await ds?.destroy();
    await db?.drop();
  });

  it('admin token from configuration; a team token once issued; unknown ids and wrong secrets are refused', async () => {
    assert.deepEqual(await auth.authenticate('the-admin-token'), { kind: 'admin' });
    const { id, token } = newTeamToken();
    assert.equal(await auth.authenticate(token), null);
    assert.equal(await apply(envelope(tokenIssuedEvent({ id, team: 'payments', token, createdBy: 'admin' }), tokenStream(id), 1)), true);
    assert.deepEqual(await auth.authenticate(token), { kind: 'team', team: 'payments' });
    assert.equal(await auth.authenticate(`${token.slice(0, -1)}${token.endsWith('A') ? 'B' : 'A'}`), null, 'same id, other secret');
    assert.equal(await auth.authenticate('not-a-token'), null);
    assert.equal(await new ProjectedTokenAuthenticator(ds, SCHEMA, undefined).authenticate('the-admin-token'), null, 'no admin token configured');
  });

  it('a redelivered event is applied once; a revocation is a tombstone that no later issue of the same id undoes', async () => {
    const { id, token } = newTeamToken();
    const issued = envelope(tokenIssuedEvent({ id, team: 'web', token, createdBy: 'admin' }), tokenStream(id), 1);
    const revoked = envelope(tokenRevokedEvent(id, 'admin'), tokenStream(id), 2);
    assert.equal(await apply(issued), true);
    assert.equal(await apply(issued), false, 'redelivery skipped by the inbox');
    assert.equal(await apply(revoked), true);
    assert.equal(await auth.authenticate(token), null);
    // A replayed log delivers the issue again under a new event id (republished): still revoked.
    assert.equal(await apply({ ...issued, id: randomUUID() }), true);
    assert.equal(await auth.authenticate(token), null);
    const [row] = await ds.query(`SELECT token_hash, revoked_at FROM ${SCHEMA}.team_tokens WHERE id = $1`, [id]);
    assert.equal(row.token_hash, null, 'the hash is dropped on revocation');
    assert.notEqual(row.revoked_at, null);
  });

  it('a revocation that arrives first still wins', async () => {
    const { id, token } = newTeamToken();
    await apply(envelope(tokenRevokedEvent(id, 'admin'), tokenStream(id), 2));
    await apply(envelope(tokenIssuedEvent({ id, team: 'web', token, createdBy: 'admin' }), tokenStream(id), 1));
    assert.equal(await auth.authenticate(token), null);
  });
});
