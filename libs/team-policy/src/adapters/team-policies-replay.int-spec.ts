import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { tokenEnvelope } from '@sluice/auth/testing';
import { EventStore, Inbox, openServiceDataSource, START } from '@sluice/event-store';
import { createTestDatabase, waitUntil, type TestDatabase } from '@sluice/testing';
import type { DataSource } from 'typeorm';
import { teamPolicyRemovedEvent, teamPolicySetEvent, teamPolicyStream } from '../domain/events';
import { PgTeamPolicyWriter, receiveTeamPolicyEvent, teamPolicyMigrations, type TeamPolicyEvent } from './pg-team-policies';
import { TeamPoliciesReplay } from './team-policies-replay';

const SCHEMA = 'policy_replay';
const policy = (namespace: string) => ({ repositories: ['acme/*'], namespaces: [namespace], namespaceSelector: null, clusterKinds: [] });

/**
 * A service's `team_policies` rebuilt from its own log (issue #23): the policies it set itself
 * (here as autodeploy's admin API does) and those it received from another service (kube-applier's
 * TeamPolicy mirror), kept at their source stream's version — so a late, older `set` still loses
 * to a removal after the rebuild — and its own events coming back from the broker not kept twice.
 */
describe('team_policies rebuilt from the policy events of the service log (real PostgreSQL)', () => {
  let db: TestDatabase;
  let ds: DataSource;
  let store: EventStore;
  let inbox: Inbox;
  let writer: PgTeamPolicyWriter;
  const receive = (event: TeamPolicyEvent) => inbox.handleOnce('policies', event.id, (m) => receiveTeamPolicyEvent(m, store, event));
  const cluster = (team: string, version: number, set: boolean) =>
    tokenEnvelope(set ? teamPolicySetEvent(team, 'cluster', policy(`${team}-v${version}`), 'kube-applier') : teamPolicyRemovedEvent(team, 'cluster', 'kube-applier'), teamPolicyStream(team, 'cluster'), version) as TeamPolicyEvent;
  const rows = async () => (await ds.query(`SELECT to_jsonb(t) AS row FROM ${SCHEMA}.team_policies t ORDER BY team, source`)).map((r: { row: unknown }) => r.row);
  const rebuild = async (replay = new TeamPoliciesReplay(ds, SCHEMA)) => {
    const started = await replay.start('test');
    let status = started;
    await waitUntil(async () => (status = (await replay.status(started.replayId))!).status !== 'running', { timeoutMs: 30_000, message: 'rebuild finished' });
    return status;
  };

  before(async () => {
    db = await createTestDatabase('policy_replay');
    ds = await openServiceDataSource({ url: db.url, schema: SCHEMA, migrations: teamPolicyMigrations, poolSize: 10 });
    store = new EventStore(ds, SCHEMA);
    inbox = new Inbox(ds, SCHEMA);
    writer = new PgTeamPolicyWriter(ds, store, 'api');
    // Its own policies (set, changed, removed), and each coming back from the broker.
    await writer.set('payments', policy('payments'), 'admin');
    await writer.set('payments', policy('payments-2'), 'admin');
    await writer.set('web', policy('web'), 'admin');
    await writer.remove('web', 'admin');
    for (const own of await store.readAll(START, { limit: 100 })) await receive(own as unknown as TeamPolicyEvent);
    // Another service's: in order, then a removal overtaken by nothing, then an older set delivered late (a new id).
    await receive(cluster('payments', 1, true));
    await receive(cluster('payments', 2, true));
    await receive(cluster('search', 1, true));
    await receive(cluster('search', 2, false));
    const late = cluster('search', 1, true);
    await receive(late);
    assert.equal(await receive(late), false, 'a redelivery is skipped by the inbox');
  });
  after(async () => {
    await ds?.destroy();
    await db?.drop();
  });

  it('keeps what it received at its source version, its own events once, and rebuilds the rows equal to the live ones', async () => {
    const streams: Array<{ stream: string; versions: number[] }> = await ds.query(
      `SELECT stream, array_agg(stream_version ORDER BY stream_version) AS versions FROM ${SCHEMA}.events GROUP BY stream ORDER BY stream`,
    );
    assert.deepEqual(streams, [
      { stream: 'received-cluster-team-policy-payments', versions: [1, 2] },
      { stream: 'received-cluster-team-policy-search', versions: [1, 2] },
      { stream: 'team-policy-payments', versions: [1, 2] },
      { stream: 'team-policy-web', versions: [1, 2] },
    ]);
    const live = await rows();
    assert.deepEqual(
      live.map((r: { team: string; source: string; version: number; policy: unknown }) => [r.team, r.source, r.version, r.policy === null]),
      [['payments', 'api', 2, false], ['payments', 'cluster', 2, false], ['search', 'cluster', 2, true], ['web', 'api', 2, true]],
    );
    const status = await rebuild();
    assert.deepEqual([status.status, status.processed, status.error], ['done', 8, null]);
    assert.deepEqual(await rows(), live);
    assert.equal((await writer.policyOf('payments')).namespaces[0], 'payments-v2', "the cluster's policy over the API's, as before");
  });

  it('policies set while the rebuild runs are in the swapped table', async () => {
    const replay = new TeamPoliciesReplay(ds, SCHEMA, { batchSize: 1 });
    const running = rebuild(replay);
    await writer.set('docs', policy('docs'), 'admin');
    await receive(cluster('docs', 1, true));
    const status = await running;
    assert.equal(status.status, 'done', status.error ?? '');
    const docs = (await rows()).filter((r: { team: string }) => r.team === 'docs');
    assert.deepEqual(docs.map((r: { source: string }) => r.source), ['api', 'cluster']);
  });

  it('is refused (409) when a row was projected before the service kept its events', async () => {
    await ds.query(`UPDATE ${SCHEMA}.team_policies_log SET complete = false`);
    try {
      await assert.rejects(new TeamPoliciesReplay(ds, SCHEMA).start('test'), (e: Error & { status?: number; code?: string }) => e.status === 409 && e.code === 'team_policies_log_incomplete');
    } finally {
      await ds.query(`UPDATE ${SCHEMA}.team_policies_log SET complete = true`);
    }
  });
});
