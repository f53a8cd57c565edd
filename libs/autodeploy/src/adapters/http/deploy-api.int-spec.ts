import { createHash } from 'node:crypto';
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { DeployConfigRoot } from '@sluice/contracts';
import { InProcessMessageBus } from '@sluice/messaging';
import { waitUntil } from '@sluice/testing';
import { fold } from '../../domain/state';
import { toConfigEvent } from '../../application/config-commands';
import Ajv from 'ajv';
import request from 'supertest';
import { ADMIN_TOKEN, dumpReadModels, eventsOf, projectionCaughtUp, publishOutcome, publishRepo, sha, startAutodeploy, type Harness } from '../../testing/harness';
import { BILLING_ROOT } from '../../testing/fixtures';

const S1 = sha('1');
const S2 = sha('2');
const S3 = sha('3');
const C1 = sha('c');
const C2 = sha('d');
const UNKNOWN = sha('e');

const billing: DeployConfigRoot = { ...BILLING_ROOT, autodeploy: false };
const docs: DeployConfigRoot = { ...billing, name: 'docs-site', team: 'web', namespace: 'web', artifact: null, path: 'deploy/docs-site' };
const ledger: DeployConfigRoot = { ...billing, name: 'ledger', path: 'deploy/ledger' };

let h: Harness;
let payments: string;
let web: string;
const auth = (token: string) => ({ Authorization: `Bearer ${token}` });

async function configVisible(name: string) {
  await waitUntil(async () => (await request(h.http).get(`/api/configs/${name}`).set(auth(ADMIN_TOKEN))).status === 200, {
    message: `config ${name} in the read model`,
  });
}

async function deployView(id: string) {
  await waitUntil(async () => (await request(h.http).get(`/api/deploys/${id}`).set(auth(ADMIN_TOKEN))).status === 200, { message: `deploy ${id}` });
  return (await request(h.http).get(`/api/deploys/${id}`).set(auth(ADMIN_TOKEN))).body;
}

async function phaseOf(id: string, phase: string) {
  await waitUntil(async () => (await request(h.http).get(`/api/deploys/${id}`).set(auth(ADMIN_TOKEN))).body.phase === phase, {
    message: `deploy ${id} ${phase}`,
  });
}

before(async () => {
  h = await startAutodeploy();
  for (const [repo, branch, head] of [
    ['acme/billing', 'main', S1],
    ['acme/billing', 'feature/login', S2],
    ['acme/billing', 'main', S3],
    ['acme/config', 'main', C1],
    ['acme/config', 'main', C2],
  ] as const) {
    await publishRepo(h.bus, 'repo.branch.updated', repo, { repo, defaultBranch: 'main', branch, headSha: head, previousSha: null, headCommit: null, forced: false });
  }
  for (const root of [billing, docs, ledger]) await publishRepo(h.bus, 'repo.config.discovered', 'acme/config', { config: root, configSha: C1 });
  await configVisible('billing-api');
  await configVisible('docs-site');
  await configVisible('ledger');
  payments = (await request(h.http).post('/api/admin/tokens').set(auth(ADMIN_TOKEN)).send({ team: 'payments' }).expect(201)).body.token;
  web = (await request(h.http).post('/api/admin/tokens').set(auth(ADMIN_TOKEN)).send({ team: 'web' }).expect(201)).body.token;
});

after(async () => {
  await h?.close();
});

describe('authentication (401)', () => {
  it('refuses a request without a token', async () => {
    const res = await request(h.http).get('/api/configs').expect(401);
    assert.deepEqual(res.body.error, { code: 'unauthorized', message: 'missing bearer token: send Authorization: Bearer <token>' });
  });

  it('refuses a malformed Authorization header', async () => {
    const res = await request(h.http).get('/api/configs').set('Authorization', 'Basic abc').expect(401);
    assert.equal(res.body.error.message, 'malformed Authorization header: expected Bearer <token>');
  });

  it('refuses an unknown token, and a team token with a wrong secret', async () => {
    assert.equal((await request(h.http).get('/api/configs').set(auth('nope')).expect(401)).body.error.message, 'invalid or revoked token');
    const forged = `${payments.slice(0, 20)}${'A'.repeat(payments.length - 20)}`;
    await request(h.http).get('/api/configs').set(auth(forged)).expect(401);
  });

  it('stores issued tokens only as SHA-256 hashes', async () => {
    const rows: Array<{ token_hash: Buffer }> = await h.dataSource.query(`SELECT token_hash FROM autodeploy.api_tokens`);
    assert.equal(rows.length >= 2, true);
    for (const row of rows) assert.equal(row.token_hash.length, 32);
    const dump = JSON.stringify(await h.dataSource.query(`SELECT * FROM autodeploy.api_tokens`));
    assert.equal(dump.includes(payments.slice(20)), false);
  });
});

describe('GET /api/configs', () => {
  it('admin sees every config; a team sees its own', async () => {
    const all = await request(h.http).get('/api/configs').set(auth(ADMIN_TOKEN)).expect(200);
    assert.deepEqual(all.body.configs.map((c: { name: string }) => c.name), ['billing-api', 'docs-site', 'ledger']);
    const own = await request(h.http).get('/api/configs').set(auth(web)).expect(200);
    assert.deepEqual(own.body.configs.map((c: { name: string }) => c.name), ['docs-site']);
  });

  it('filters by ?team=', async () => {
    const res = await request(h.http).get('/api/configs?team=payments').set(auth(ADMIN_TOKEN)).expect(200);
    assert.deepEqual(res.body.configs.map((c: { name: string }) => c.name), ['billing-api', 'ledger']);
    await request(h.http).get('/api/configs?team=payments').set(auth(payments)).expect(200);
  });

  it('shows one config with its root fields and state', async () => {
    const res = await request(h.http).get('/api/configs/docs-site').set(auth(web)).expect(200);
    assert.equal(res.body.team, 'web');
    assert.equal(res.body.artifact, null);
    assert.deepEqual(res.body.current, { artifactSha: null, configSha: null, deployId: null });
    assert.equal(res.body.status, 'active');
    assert.equal(res.body.pin, null);
  });

  it('404 for an unknown config, 400 for a name that is not a DNS label', async () => {
    const missing = await request(h.http).get('/api/configs/nope').set(auth(ADMIN_TOKEN)).expect(404);
    assert.deepEqual(missing.body.error, { code: 'config_not_found', message: 'config "nope" is not known' });
    const bad = await request(h.http).get('/api/configs/Bad_Name').set(auth(ADMIN_TOKEN)).expect(400);
    assert.equal(bad.body.error.message, 'param.name: a DNS label: lowercase letters, digits and -');
  });
});

describe('POST /api/deploys', () => {
  let first: string;

  it('accepts a known (artifactSha, configSha), pins the config and records who and why', async () => {
    const res = await request(h.http).post('/api/deploys').set(auth(payments)).send({ config: 'billing-api', artifactSha: S1, configSha: C1, reason: 'release 1' }).expect(202);
    assert.equal(res.body.created, true);
    first = res.body.deployId;
    const view = await deployView(first);
    assert.equal(view.phase, 'applying');
    assert.equal(view.imageTag, 'main-1111111');
    assert.equal(view.cause, 'manual');
    assert.equal(view.requestedBy, 'team:payments');
    assert.equal(view.reason, 'release 1');
    assert.ok(view.timestamps.requestedAt);
    const events = await eventsOf(h.store, 'config-billing-api');
    assert.deepEqual(events.slice(-2).map((e) => e.type), ['config.pinned', 'deploy.requested']);
    assert.equal(events.at(-2)?.data.by, 'team:payments');
  });

  it('an identical request returns the same deploy', async () => {
    const res = await request(h.http).post('/api/deploys').set(auth(payments)).send({ config: 'billing-api', artifactSha: S1, configSha: C1 }).expect(202);
    assert.deepEqual(res.body, { deployId: first, created: false });
  });

  it('queues a second pair behind the deploy in flight; the image tag names the branch of the artifact commit', async () => {
    const res = await request(h.http).post('/api/deploys').set(auth(ADMIN_TOKEN)).send({ config: 'billing-api', artifactSha: S2, configSha: C2 }).expect(202);
    const view = await deployView(res.body.deployId);
    assert.equal(view.phase, 'queued');
    assert.equal(view.imageTag, 'feature-login-2222222');
    assert.equal(view.requestedBy, 'admin');
    await publishOutcome(h.bus, 'deploy.succeeded', { deployId: first, config: 'billing-api' });
    await phaseOf(first, 'succeeded');
    await phaseOf(res.body.deployId, 'applying');
  });

  it('400 naming the field for malformed bodies', async () => {
    const missing = await request(h.http).post('/api/deploys').set(auth(payments)).send({ config: 'billing-api', artifactSha: S1 }).expect(400);
    assert.equal(missing.body.error.message, 'body.configSha: required');
    const badSha = await request(h.http).post('/api/deploys').set(auth(payments)).send({ config: 'billing-api', artifactSha: 'abc', configSha: C1 }).expect(400);
    assert.equal(badSha.body.error.message, 'body.artifactSha: a 40-character lowercase hex commit SHA');
    const extra = await request(h.http).post('/api/deploys').set(auth(payments)).send({ config: 'billing-api', artifactSha: S1, configSha: C1, force: true }).expect(400);
    assert.match(extra.body.error.message, /force/);
  });

  it('404 for an unknown config', async () => {
    const res = await request(h.http).post('/api/deploys').set(auth(ADMIN_TOKEN)).send({ config: 'nope', artifactSha: S1, configSha: C1 }).expect(404);
    assert.equal(res.body.error.message, 'config "nope" is not known');
  });

  it('403 for another team’s config', async () => {
    const res = await request(h.http).post('/api/deploys').set(auth(web)).send({ config: 'billing-api', artifactSha: S1, configSha: C1 }).expect(403);
    assert.equal(res.body.error.message, 'team:web may not act on configs of team "payments"');
  });

  it('422 naming the pairs an artifactful config accepts, recorded in the log', async () => {
    const res = await request(h.http).post('/api/deploys').set(auth(payments)).send({ config: 'ledger', artifactSha: null, configSha: C1, reason: 'oops' }).expect(422);
    assert.deepEqual(res.body.error, {
      code: 'invalid_state_pair',
      message: 'config "ledger" is artifactful: it accepts (artifactSha, configSha) or (null, null), got (null, ccccccc…)',
    });
    const rejected = (await eventsOf(h.store, 'config-ledger')).at(-1);
    assert.equal(rejected?.type, 'deploy.rejected');
    assert.equal(rejected?.data.requestedBy, 'team:payments');
    assert.equal(rejected?.data.reason, 'oops');
  });

  it('422 naming the pairs an artifactless config accepts', async () => {
    const res = await request(h.http).post('/api/deploys').set(auth(web)).send({ config: 'docs-site', artifactSha: S1, configSha: C1 }).expect(422);
    assert.equal(res.body.error.message, 'config "docs-site" is artifactless: it accepts (null, configSha) or (null, null), got (1111111…, ccccccc…)');
  });

  it('422 for SHAs that are not known commits of the right repository', async () => {
    const artifact = await request(h.http).post('/api/deploys').set(auth(payments)).send({ config: 'ledger', artifactSha: UNKNOWN, configSha: C1 }).expect(422);
    assert.equal(artifact.body.error.message, `artifactSha ${UNKNOWN} is not a known commit of acme/billing`);
    // C1 is a commit of acme/config, not of acme/billing
    const wrongRepo = await request(h.http).post('/api/deploys').set(auth(payments)).send({ config: 'ledger', artifactSha: C1, configSha: C1 }).expect(422);
    assert.equal(wrongRepo.body.error.message, `artifactSha ${C1} is not a known commit of acme/billing`);
    const config = await request(h.http).post('/api/deploys').set(auth(web)).send({ config: 'docs-site', artifactSha: null, configSha: S1 }).expect(422);
    assert.equal(config.body.error.message, `configSha ${S1} is not a known commit of acme/config`);
  });
});

describe('history, deploy detail, re-apply', () => {
  it('lists deploys newest first with limit/before paging', async () => {
    const all = await request(h.http).get('/api/configs/billing-api/deploys').set(auth(payments)).expect(200);
    assert.equal(all.body.deploys.length, 2);
    const [newest, oldest] = all.body.deploys;
    assert.equal(newest.artifactSha, S2);
    const page1 = await request(h.http).get('/api/configs/billing-api/deploys?limit=1').set(auth(payments)).expect(200);
    assert.deepEqual(page1.body.deploys.map((d: { id: string }) => d.id), [newest.id]);
    assert.equal(page1.body.next, newest.id);
    const page2 = await request(h.http).get(`/api/configs/billing-api/deploys?limit=1&before=${page1.body.next}`).set(auth(payments)).expect(200);
    assert.deepEqual(page2.body.deploys.map((d: { id: string }) => d.id), [oldest.id]);
  });

  it('GET /api/configs/{name}/history: every decision and outcome with who and why, newest first', async () => {
    const res = await request(h.http).get('/api/configs/billing-api/history?limit=3').set(auth(payments)).expect(200);
    assert.equal(res.body.history.length, 3);
    const versions = res.body.history.map((e: { streamVersion: number }) => e.streamVersion);
    assert.deepEqual(versions, [...versions].sort((a: number, b: number) => b - a));
    const older = await request(h.http).get(`/api/configs/billing-api/history?before=${res.body.next}`).set(auth(payments)).expect(200);
    const pinned = older.body.history.find((e: { type: string }) => e.type === 'config.pinned');
    assert.equal(pinned.actor, 'team:payments');
    const requested = older.body.history.find((e: { type: string; reason: string }) => e.type === 'deploy.requested' && e.reason === 'release 1');
    assert.equal(requested.actor, 'team:payments');
    await request(h.http).get('/api/configs/billing-api/history?before=x').set(auth(payments)).expect(400);
  });

  it('400 for a bad limit or an unknown cursor', async () => {
    const limit = await request(h.http).get('/api/configs/billing-api/deploys?limit=0').set(auth(payments)).expect(400);
    assert.equal(limit.body.error.message, 'query.limit: at least 1');
    const cursor = await request(h.http).get(`/api/configs/billing-api/deploys?before=${'0'.repeat(8)}-0000-7000-8000-000000000000`).set(auth(payments)).expect(400);
    assert.match(cursor.body.error.message, /^query.before: .* is not a deploy of config "billing-api"$/);
  });

  it('GET /api/deploys/{id}: 400 for a malformed id, 404 for an unknown one', async () => {
    const bad = await request(h.http).get('/api/deploys/xyz').set(auth(ADMIN_TOKEN)).expect(400);
    assert.equal(bad.body.error.message, 'param.id: a deploy id (UUID)');
    const unknown = '01900000-0000-7000-8000-000000000000';
    const missing = await request(h.http).get(`/api/deploys/${unknown}`).set(auth(ADMIN_TOKEN)).expect(404);
    assert.equal(missing.body.error.message, `deploy ${unknown} is not known`);
  });

  it('re-applies an older deploy: a new deploy of exactly its pair and image tag', async () => {
    const [, oldest] = (await request(h.http).get('/api/configs/billing-api/deploys').set(auth(payments))).body.deploys;
    const res = await request(h.http).post(`/api/deploys/${oldest.id}/reapply`).set(auth(payments)).send({ reason: 'roll back' }).expect(202);
    assert.notEqual(res.body.deployId, oldest.id);
    const view = await deployView(res.body.deployId);
    assert.equal(view.cause, 'reapply');
    assert.equal(view.reappliedFrom, oldest.id);
    assert.deepEqual([view.artifactSha, view.configSha, view.imageTag], [oldest.artifactSha, oldest.configSha, oldest.imageTag]);
    assert.equal(view.reason, 'roll back');
  });

  it('abandons the deploy in flight (its outcome never came); 409 once it is not in flight', async () => {
    const inFlight = (await request(h.http).get('/api/configs/billing-api').set(auth(payments))).body.inFlightDeployId;
    assert.ok(inFlight);
    await request(h.http).post(`/api/deploys/${inFlight}/abandon`).set(auth(payments)).send({ reason: 'applier lost it' }).expect(200);
    await phaseOf(inFlight, 'failed');
    const view = await deployView(inFlight);
    assert.deepEqual(view.failure, { reason: 'Abandoned', message: 'abandoned by team:payments: applier lost it', terminal: true });
    const again = await request(h.http).post(`/api/deploys/${inFlight}/abandon`).set(auth(payments)).expect(409);
    assert.equal(again.body.error.code, 'deploy_not_in_flight');
  });

  it('re-apply: 404 for an unknown deploy, 400 for a malformed id', async () => {
    await request(h.http).post('/api/deploys/01900000-0000-7000-8000-000000000000/reapply').set(auth(ADMIN_TOKEN)).expect(404);
    await request(h.http).post('/api/deploys/nope/reapply').set(auth(ADMIN_TOKEN)).expect(400);
  });
});

describe('pin, unpin, undeploy, removal', () => {
  it('pins and unpins, recording who and why', async () => {
    await request(h.http).post('/api/configs/docs-site/pin').set(auth(web)).send({ reason: 'freeze' }).expect(200, { config: 'docs-site', pinned: true });
    await waitUntil(async () => (await request(h.http).get('/api/configs/docs-site').set(auth(web))).body.pin?.by === 'team:web');
    const pinned = (await request(h.http).get('/api/configs/docs-site').set(auth(web))).body;
    assert.equal(pinned.pin.reason, 'freeze');
    await request(h.http).post('/api/configs/docs-site/unpin').set(auth(web)).expect(200, { config: 'docs-site', pinned: false });
    await waitUntil(async () => (await request(h.http).get('/api/configs/docs-site').set(auth(web))).body.pin === null);
  });

  it('pin: 404 for an unknown config, 400 for a bad reason', async () => {
    await request(h.http).post('/api/configs/nope/pin').set(auth(ADMIN_TOKEN)).expect(404);
    const res = await request(h.http).post('/api/configs/docs-site/pin').set(auth(web)).send({ reason: 5 }).expect(400);
    assert.match(res.body.error.message, /^body.reason: /);
  });

  it('undeploys: requests (null, null)', async () => {
    const deploy = await request(h.http).post('/api/deploys').set(auth(web)).send({ config: 'docs-site', artifactSha: null, configSha: C1 }).expect(202);
    const res = await request(h.http).post('/api/configs/docs-site/undeploy').set(auth(web)).send({ reason: 'retire' }).expect(202);
    const view = await deployView(res.body.deployId);
    assert.deepEqual([view.kind, view.artifactSha, view.configSha, view.cause, view.phase], ['undeploy', null, null, 'undeploy', 'queued']);
    await publishOutcome(h.bus, 'deploy.failed', { deployId: deploy.body.deployId, config: 'docs-site', reason: 'Unhealthy', message: 'x', terminal: true });
    await phaseOf(res.body.deployId, 'applying');
    const events = await eventsOf(h.store, 'config-docs-site');
    assert.equal(events.at(-1)?.type, 'undeploy.requested');
  });

  it('409 for deploys, pins and undeploys of a config removed from its repository', async () => {
    await publishRepo(h.bus, 'repo.config.removed', 'acme/config', { name: 'docs-site', configRepo: 'acme/config', configSha: C2 });
    await waitUntil(async () => (await request(h.http).get('/api/configs/docs-site').set(auth(web))).body.status === 'removed');
    const res = await request(h.http).post('/api/deploys').set(auth(web)).send({ config: 'docs-site', artifactSha: null, configSha: C2 }).expect(409);
    assert.deepEqual(res.body.error, {
      code: 'config_removed',
      message: 'config "docs-site" was removed from its config repository; it accepts no deploys until it is discovered again',
    });
    await request(h.http).post('/api/configs/docs-site/pin').set(auth(web)).expect(409);
    await request(h.http).post('/api/configs/docs-site/undeploy').set(auth(web)).expect(409);
    // history stays
    const history = await request(h.http).get('/api/configs/docs-site/deploys').set(auth(web)).expect(200);
    assert.equal(history.body.deploys.length, 2);
  });
});

describe('admin: events, tokens, replay, OpenAPI', () => {
  it('GET /api/events pages through the raw log of a stream', async () => {
    const page = await request(h.http).get('/api/events?stream=config-billing-api&limit=2').set(auth(ADMIN_TOKEN)).expect(200);
    assert.deepEqual(page.body.events.map((e: { type: string }) => e.type), ['config.registered', 'config.pinned']);
    const next = await request(h.http).get(`/api/events?stream=config-billing-api&limit=2&after=${page.body.next}`).set(auth(ADMIN_TOKEN)).expect(200);
    assert.equal(next.body.events[0].type, 'deploy.requested');
    assert.equal(next.body.events[0].data.requestedBy, 'team:payments');
    const bad = await request(h.http).get('/api/events?after=x').set(auth(ADMIN_TOKEN)).expect(400);
    assert.match(bad.body.error.message, /^query.after: a log position/);
  });

  it('lists and revokes team tokens; a revoked token gets 401 at once', async () => {
    const issued = (await request(h.http).post('/api/admin/tokens').set(auth(ADMIN_TOKEN)).send({ team: 'payments' }).expect(201)).body;
    await request(h.http).get('/api/configs').set(auth(issued.token)).expect(200);
    const list = (await request(h.http).get('/api/admin/tokens').set(auth(ADMIN_TOKEN)).expect(200)).body.tokens;
    const listed = list.find((t: { id: string }) => t.id === issued.id);
    assert.deepEqual(Object.keys(listed).sort(), ['createdAt', 'createdBy', 'id', 'team']);
    assert.equal(listed.createdBy, 'admin');
    await request(h.http).delete(`/api/admin/tokens/${issued.id}`).set(auth(ADMIN_TOKEN)).expect(204);
    await request(h.http).get('/api/configs').set(auth(issued.token)).expect(401);
    const again = await request(h.http).delete(`/api/admin/tokens/${issued.id}`).set(auth(ADMIN_TOKEN)).expect(404);
    assert.equal(again.body.error.message, `token ${issued.id} is not known`);
    await request(h.http).delete('/api/admin/tokens/xyz').set(auth(ADMIN_TOKEN)).expect(400);

    // Announced to the other services through the log: the SHA-256, never the token.
    // GET /api/events reads below the oldest transaction still open on the server (a stable
    // order for paging): on a loaded PostgreSQL the two appends show a moment later.
    let log: Array<{ type: string; data: unknown }> = [];
    await waitUntil(async () => {
      log = (await request(h.http).get(`/api/events?stream=auth-token-${issued.id}`).set(auth(ADMIN_TOKEN)).expect(200)).body.events;
      return log.length >= 2;
    }, { timeoutMs: 10_000, message: "the token's two events in GET /api/events" });
    assert.deepEqual(log.map((e: { type: string }) => e.type), ['auth.token.issued', 'auth.token.revoked']);
    assert.deepEqual(log[0].data, { id: issued.id, team: 'payments', tokenHash: createHash('sha256').update(issued.token).digest('hex'), createdBy: 'admin' });
    assert.deepEqual(log[1].data, { id: issued.id, revokedBy: 'admin' });
    const [raw] = await h.dataSource.query(`SELECT string_agg(data::text, ' ') AS text FROM autodeploy.events WHERE stream = $1`, [`auth-token-${issued.id}`]);
    assert.equal(raw.text.includes(issued.token.split('_')[2]), false, 'no part of the secret is in the log');
  });

  it('POST /api/admin/tokens: 400 without a team', async () => {
    const res = await request(h.http).post('/api/admin/tokens').set(auth(ADMIN_TOKEN)).send({}).expect(400);
    assert.equal(res.body.error.message, 'body.team: required');
  });

  it('a team enters as a DNS label: POST /api/admin/tokens {team} and GET /api/configs?team= refuse anything else, naming the rule', async () => {
    for (const team of ['Pay!ments/../x', 'Payments', 'pay ments']) {
      const issued = await request(h.http).post('/api/admin/tokens').set(auth(ADMIN_TOKEN)).send({ team }).expect(400);
      assert.match(issued.body.error.message, /^body\.team: a team name is a DNS label/, team);
      const listed = await request(h.http).get('/api/configs').query({ team }).set(auth(ADMIN_TOKEN)).expect(400);
      assert.match(listed.body.error.message, /^query\.team: a team name is a DNS label/, team);
    }
    assert.equal((await request(h.http).get('/api/configs?team=payments').set(auth(ADMIN_TOKEN)).expect(200)).body.configs.length > 0, true);
  });

  it('answers a JSON body sent without content-type: application/json with 415, after authentication', async () => {
    const body = JSON.stringify({ team: 'payments' });
    const res = await request(h.http).post('/api/admin/tokens').set(auth(ADMIN_TOKEN)).set('content-type', 'application/x-www-form-urlencoded').send(body).expect(415);
    assert.equal(res.body.error.code, 'unsupported_media_type');
    assert.match(res.body.error.message, /content-type: application\/json/);
    await request(h.http).post('/api/admin/tokens').set('content-type', 'text/plain').send(body).expect(401);
  });

  it('answers a wrong method with 405 and Allow, before authentication', async () => {
    const res = await request(h.http).put('/api/configs/billing-api').expect(405).expect('allow', 'GET, HEAD');
    assert.equal(res.body.error.code, 'method_not_allowed');
    await request(h.http).get('/api/deploys').expect(405).expect('allow', 'POST');
    const missing = await request(h.http).get('/api/nothing-here').expect(404);
    assert.deepEqual(missing.body, { error: { code: 'not_found', message: 'no route for GET /api/nothing-here' } });
  });

  it('replay rebuilds the read models byte for byte, with progress', async () => {
    await projectionCaughtUp(h.dataSource);
    const live = await dumpReadModels(h.dataSource);
    const started = await request(h.http).post('/api/admin/replay').set(auth(ADMIN_TOKEN)).expect(202);
    assert.ok(started.body.total > 0);
    await waitUntil(async () => (await request(h.http).get(`/api/admin/replay/${started.body.replayId}`).set(auth(ADMIN_TOKEN))).body.status === 'done', {
      message: 'replay done',
    });
    const done = (await request(h.http).get(`/api/admin/replay/${started.body.replayId}`).set(auth(ADMIN_TOKEN))).body;
    assert.equal(done.processed, done.total);
    assert.equal(await dumpReadModels(h.dataSource), live);
    await request(h.http).get('/api/admin/replay/01900000-0000-7000-8000-000000000000').set(auth(ADMIN_TOKEN)).expect(404);
  });

  it('serves the OpenAPI document at /api/docs-json', async () => {
    const res = await request(h.http).get('/api/docs-json').expect(200);
    for (const path of [
      '/api/configs',
      '/api/configs/{name}',
      '/api/configs/{name}/deploys',
      '/api/configs/{name}/history',
      '/api/configs/{name}/undeploy',
      '/api/configs/{name}/pin',
      '/api/configs/{name}/unpin',
      '/api/deploys',
      '/api/deploys/{id}',
      '/api/deploys/{id}/reapply',
      '/api/deploys/{id}/abandon',
      '/api/events',
      '/api/admin/replay',
      '/api/admin/replay/{id}',
      '/api/admin/tokens',
      '/api/admin/tokens/{id}',
    ]) {
      assert.ok(res.body.paths[path], `OpenAPI path ${path}`);
    }
    assert.ok(res.body.paths['/api/deploys'].post.requestBody);
  });

  it('live responses match the schemas the OpenAPI document declares', async () => {
    const doc = (await request(h.http).get('/api/docs-json').expect(200)).body;
    const ajv = new Ajv({ strict: false });
    const schemaOf = (path: string, method: string, status: string) => doc.paths[path][method].responses[status].content['application/json'].schema;
    const [deploy] = (await request(h.http).get('/api/configs/billing-api/deploys').set(auth(ADMIN_TOKEN))).body.deploys;
    const checks: Array<[string, string, string, string, object]> = [
      ['/api/configs', 'get', '200', '/api/configs', {}],
      ['/api/configs/{name}', 'get', '200', '/api/configs/billing-api', {}],
      ['/api/configs/{name}/deploys', 'get', '200', '/api/configs/billing-api/deploys', {}],
      ['/api/configs/{name}/history', 'get', '200', '/api/configs/billing-api/history', {}],
      ['/api/deploys/{id}', 'get', '200', `/api/deploys/${deploy.id}`, {}],
      ['/api/deploys/{id}', 'get', '404', '/api/deploys/01900000-0000-7000-8000-000000000000', {}],
    ];
    for (const [path, method, status, url] of checks) {
      const live = await request(h.http).get(url).set(auth(ADMIN_TOKEN)).expect(Number(status));
      const validate = ajv.compile(schemaOf(path, method, status));
      assert.ok(validate(live.body), `${url}: ${ajv.errorsText(validate.errors)}`);
    }
  });
});

describe('API requests racing the consumer on one config stream', () => {
  it('decides every request and every push once, with no dead letters and no gaps in the stream', async () => {
    const racing: DeployConfigRoot = { ...docs, name: 'racing', autodeploy: true, track: { branch: 'racing' }, path: 'deploy/racing' };
    await publishRepo(h.bus, 'repo.config.discovered', 'acme/config', { config: racing, configSha: C1 });
    await configVisible('racing');
    const heads = Array.from({ length: 8 }, (_, i) => sha((i + 1).toString(16)).replace(/^./, 'a'));
    const pushes = (async () => {
      for (const head of heads) {
        await publishRepo(h.bus, 'repo.branch.updated', 'acme/config', { repo: 'acme/config', defaultBranch: 'main', branch: 'racing', headSha: head, previousSha: null, headCommit: null, forced: false });
      }
    })();
    const pins = Promise.all(
      Array.from({ length: 8 }, (_, i) => request(h.http).post(`/api/configs/racing/${i % 2 === 0 ? 'pin' : 'unpin'}`).set(auth(ADMIN_TOKEN)).send({ reason: `race ${i}` })),
    );
    const [, responses] = await Promise.all([pushes, pins]);
    assert.deepEqual(responses.map((r) => r.status), Array(8).fill(200));
    // every push was handled before the stream is inspected (the last one moved the branch head)
    await waitUntil(async () => {
      const [row]: Array<{ n: number }> = await h.dataSource.query(`SELECT count(*)::int AS n FROM autodeploy.branches WHERE repo = 'acme/config' AND branch = 'racing' AND head_sha = $1`, [heads.at(-1)]);
      return row?.n === 1;
    });
    const stored = await h.store.readStream('config-racing');
    assert.deepEqual(stored.map((e) => e.streamVersion), stored.map((_, i) => i + 1), 'no gaps, no duplicates');
    const state = fold(stored.map(toConfigEvent).filter((e) => e !== null));
    const active = Object.values(state.deploys).filter((d) => d.phase === 'applying' || d.phase === 'queued');
    assert.ok(active.length <= 2);
    assert.ok(Object.values(state.deploys).filter((d) => d.phase === 'applying').length <= 1, 'one in flight');
    assert.ok(h.bus instanceof InProcessMessageBus);
    assert.deepEqual((h.bus as InProcessMessageBus).deadLetters, []);
  });
});

describe('team isolation: every endpoint × a foreign team token → 403', () => {
  it('refuses each endpoint', async () => {
    const [deploy] = (await request(h.http).get('/api/configs/billing-api/deploys').set(auth(payments))).body.deploys;
    const replay = (await request(h.http).post('/api/admin/replay').set(auth(ADMIN_TOKEN))).body.replayId;
    await waitUntil(async () => (await request(h.http).get(`/api/admin/replay/${replay}`).set(auth(ADMIN_TOKEN))).body.status === 'done');
    const cases: Array<[string, string, object?]> = [
      ['get', '/api/configs?team=payments'],
      ['get', '/api/configs/billing-api'],
      ['get', '/api/configs/billing-api/deploys'],
      ['get', '/api/configs/billing-api/history'],
      ['post', '/api/deploys', { config: 'billing-api', artifactSha: S1, configSha: C1 }],
      ['get', `/api/deploys/${deploy.id}`],
      ['post', `/api/deploys/${deploy.id}/reapply`, {}],
      ['post', `/api/deploys/${deploy.id}/abandon`, {}],
      ['post', '/api/configs/billing-api/undeploy', {}],
      ['post', '/api/configs/billing-api/pin', {}],
      ['post', '/api/configs/billing-api/unpin', {}],
      ['get', '/api/events'],
      ['post', '/api/admin/replay', {}],
      ['get', `/api/admin/replay/${replay}`],
      ['post', '/api/admin/tokens', { team: 'web' }],
      ['get', '/api/admin/tokens'],
      ['delete', '/api/admin/tokens/0123456789abcdef'],
    ];
    const recordedBefore = (await eventsOf(h.store, 'config-billing-api')).length;
    for (const [method, path, body] of cases) {
      const call =
        method === 'get' ? request(h.http).get(path) : method === 'delete' ? request(h.http).delete(path) : request(h.http).post(path).send(body ?? {});
      const res = await call.set(auth(web));
      assert.equal(res.status, 403, `${method.toUpperCase()} ${path} → ${res.status} ${JSON.stringify(res.body)}`);
      assert.equal(res.body.error.code, 'forbidden');
    }
    assert.equal((await eventsOf(h.store, 'config-billing-api')).length, recordedBefore, 'no foreign request was recorded');
  });
});
