import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Checkpoints, EventStore, Inbox, openServiceDataSource } from '@sluice/event-store';
import { createTestDatabase, waitUntil, type TestDatabase } from '@sluice/testing';
import type { DataSource } from 'typeorm';
import { receiveTokenEvent, TEAM_TOKENS_VIEWS, teamTokenMigrations, type TokenEvent } from './team-token-projection';
import { TeamTokensReplay } from './team-tokens-replay';
import { tokenEnvelope } from './testing';
import { tokenIssuedEvent, tokenRevokedEvent, tokenStream } from './token-events';
import { newTeamToken } from './token-hash';

const SCHEMA = 'auth_replay';

/**
 * A service's `team_tokens` rebuilt from the token events it received and kept in its own log
 * (issue #23): row for row after a history with revocations (one delivered before its issue), with
 * events received while the swap waits, and refused for rows projected before the log kept them.
 */
describe('team_tokens rebuilt from the received token events (real PostgreSQL)', () => {
  let db: TestDatabase;
  let ds: DataSource;
  let store: EventStore;
  let inbox: Inbox;
  const receive = (event: TokenEvent) => inbox.handleOnce('tokens', event.id, (m) => receiveTokenEvent(m, store, event));
  const issue = (team: string) => {
    const { id, token } = newTeamToken();
    return { id, event: tokenEnvelope(tokenIssuedEvent({ id, team, token, createdBy: 'admin' }), tokenStream(id), 1) as TokenEvent };
  };
  const revoke = (id: string) => tokenEnvelope(tokenRevokedEvent(id, 'admin'), tokenStream(id), 2) as TokenEvent;
  const rows = async () => (await ds.query(`SELECT to_jsonb(t) AS row FROM ${SCHEMA}.team_tokens t ORDER BY id`)).map((r: { row: unknown }) => r.row);

  before(async () => {
    db = await createTestDatabase('auth_replay');
    ds = await openServiceDataSource({ url: db.url, schema: SCHEMA, migrations: teamTokenMigrations, poolSize: 10 });
    store = new EventStore(ds, SCHEMA);
    inbox = new Inbox(ds, SCHEMA);
    for (let i = 0; i < 12; i++) {
      const { id, event } = issue(i % 2 ? 'payments' : 'web');
      await receive(event);
      if (i % 3 === 0) await receive(revoke(id));
    }
    // A revocation delivered before its issue (another partition's order): a tombstone the issue does not undo.
    const late = issue('web');
    await receive(revoke(late.id));
    await receive(late.event);
    assert.equal(await receive(late.event), false, 'a redelivery is skipped by the inbox');
  });
  after(async () => {
    await ds?.destroy();
    await db?.drop();
  });

  it('keeps each received event in its log, in a stream the relay does not publish, and rebuilds the rows equal to the live ones', async () => {
    const [kept] = await ds.query(`SELECT count(*)::int AS n, bool_and(stream LIKE 'received-auth-token-%') AS received FROM ${SCHEMA}.events`);
    assert.deepEqual([kept.n, kept.received], [12 + 4 + 2, true]);
    const live = await rows();
    assert.equal(live.length, 13);
    const replay = new TeamTokensReplay(ds, SCHEMA);
    const started = await replay.start('test');
    let status = started;
    await waitUntil(async () => (status = (await replay.status(started.replayId))!).status !== 'running', { timeoutMs: 30_000, message: 'rebuild finished' });
    assert.deepEqual([status.status, status.processed, status.error], ['done', 18, null]);
    assert.deepEqual(await rows(), live);
  });

  it('tokens received while the swap waits are in the swapped table', async () => {
    const replay = new TeamTokensReplay(ds, SCHEMA, { batchSize: 2 });
    const gate = ds.createQueryRunner();
    const old = ds.createQueryRunner(); // a transaction older than the new events, open through the swap
    await gate.connect();
    await old.connect();
    await gate.startTransaction();
    await old.startTransaction();
    await old.query(`SELECT pg_current_xact_id()`);
    const fresh = [issue('payments'), issue('web')];
    try {
      await new Checkpoints(SCHEMA).lock(gate.manager, TEAM_TOKENS_VIEWS);
      const started = await replay.start('test');
      await waitUntil(async () => (await ds.query(`SELECT 1 FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND query LIKE '%checkpoints%'`)).length > 0, {
        timeoutMs: 30_000,
        message: 'the rebuild waits to swap',
      });
      for (const f of fresh) await receive(f.event);
      await receive(revoke(fresh[0]!.id));
      await gate.commitTransaction();
      let status = started;
      await waitUntil(async () => (status = (await replay.status(started.replayId))!).status !== 'running', { timeoutMs: 30_000, message: 'rebuild finished' });
      assert.equal(status.status, 'done', status.error ?? '');
    } finally {
      for (const q of [gate, old]) {
        if (q.isTransactionActive) await q.rollbackTransaction();
        await q.release();
      }
    }
    const after = await ds.query(`SELECT id, team, revoked_at IS NOT NULL AS revoked FROM ${SCHEMA}.team_tokens WHERE id = ANY($1) ORDER BY id`, [fresh.map((f) => f.id)]);
    assert.deepEqual(
      after.map((r: { id: string; revoked: boolean }) => [r.id, r.revoked]),
      fresh.map((f, i) => [f.id, i === 0]).sort((a, b) => String(a[0]).localeCompare(String(b[0]))),
    );
  });

  it('is refused (409) when rows were projected before the service kept the events', async () => {
    await ds.query(`UPDATE ${SCHEMA}.team_tokens_log SET complete = false`);
    try {
      await assert.rejects(new TeamTokensReplay(ds, SCHEMA).start('test'), (e: Error & { status?: number; code?: string }) => e.status === 409 && e.code === 'team_tokens_log_incomplete');
    } finally {
      await ds.query(`UPDATE ${SCHEMA}.team_tokens_log SET complete = true`);
    }
  });
});
