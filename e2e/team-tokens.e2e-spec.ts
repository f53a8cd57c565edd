// Team tokens issued by autodeploy work on every service's API: distributed (one database
// per service, real Kafka, tokens reach the others only as sluice.auth.v1 events) and
// all-in-one (embedded PostgreSQL, in-process bus, one port routed by path).
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { DynamicModule, INestApplication } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { allInOneConfigSchema, startAllInOne, type AllInOne } from '@sluice/all-in-one';
import { AutodeployModule, autodeployEventStoreOptions } from '@sluice/autodeploy';
import { COMMIT_STATUS_SCHEMA, commitStatusConfigSchema, commitStatusMigrations, CommitStatusModule } from '@sluice/commit-status';
import { latestVersion, Topics, type EventData, type EventEnvelope, type EventType } from '@sluice/contracts';
import { EventStoreModule, startSluiceConsumers } from '@sluice/event-store';
import { FakeGitHub } from '@sluice/fake-scm';
import { InMemorySpecSource, KUBE_APPLIER_SCHEMA, kubeApplierConfigSchema, kubeApplierMigrations, KubeApplierModule } from '@sluice/kube-applier';
import { MESSAGE_BUS, MessagingModule, type MessageBus } from '@sluice/messaging';
import { configureApp, loadConfig } from '@sluice/platform';
import { REPO_SYNC_SCHEMA, repoSyncMigrations, RepoSyncModule } from '@sluice/repo-sync';
import { GitHubScm } from '@sluice/scm';
import { createTestDatabase, kafkaBrokers, uniqueName, waitUntil, type TestDatabase } from '@sluice/testing';
import { v7 as uuidv7 } from 'uuid';

const ADMIN = 'e2e-team-tokens-admin-token-0123456789';

type Answer = { status: number; body: any }; // eslint-disable-line @typescript-eslint/no-explicit-any

async function call(url: string, token: string | null, init: { method?: string; body?: unknown } = {}): Promise<Answer> {
  const headers: Record<string, string> = token === null ? {} : { authorization: `Bearer ${token}` };
  if (init.body !== undefined) headers['content-type'] = 'application/json';
  const res = await fetch(url, { method: init.method ?? 'GET', headers, body: init.body === undefined ? undefined : JSON.stringify(init.body) });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : null };
}

/** The first event of `stream`, as a relay publishes it. */
function envelopeOf<K extends EventType>(type: K, stream: string, data: EventData<K>): EventEnvelope {
  const id = uuidv7();
  return { id, type, version: latestVersion(type), stream, streamVersion: 1, occurredAt: new Date().toISOString(), correlationId: id, causationId: null, data };
}

/** An undeploy request as autodeploy publishes it: kube-applier records it (with its team) without reading specs. */
function undeployRequest(config: string, team: string): EventEnvelope {
  return envelopeOf('undeploy.requested', `config-${config}`, {
    deployId: uuidv7(),
    config,
    team,
    namespace: team,
    configRepo: 'acme/deploy',
    path: `deploy/${config}`,
    artifactRepo: null,
    artifactImage: null,
    artifactSha: null,
    configSha: null,
    imageTag: null,
    cause: 'undeploy',
    requestedBy: 'admin',
    reason: 'e2e',
    reappliedFrom: null,
  });
}

/** The reads a team token is checked on, per service, given the deploys kube-applier recorded. */
function reads(urls: { repoSync: string; commitStatus: string; kubeApplier: string }, deploys: { payments: string; web: string }) {
  return {
    repos: `${urls.repoSync}/api/repos`,
    commitStatuses: `${urls.commitStatus}/api/commit-statuses?repo=acme/billing`,
    ownManifests: `${urls.kubeApplier}/api/deploys/${deploys.payments}/manifests`,
    otherManifests: `${urls.kubeApplier}/api/deploys/${deploys.web}/manifests`,
    sync: `${urls.repoSync}/api/admin/sync`,
  };
}

/**
 * The whole contract for one installation: a token issued by autodeploy is accepted
 * everywhere once propagated, 401/403 where due, refused everywhere once revoked, and a
 * redelivered issue does not bring it back.
 */
async function provesTeamTokens(
  autodeploy: string,
  urls: ReturnType<typeof reads>,
  redeliver: (envelope: EventEnvelope) => Promise<void>,
  services: { repoSync: string; commitStatus: string; kubeApplier: string },
): Promise<void> {
  const issue = async (team: string) => (await call(`${autodeploy}/api/admin/tokens`, ADMIN, { method: 'POST', body: { team } })).body as { id: string; token: string };
  const payments = await issue('payments');
  const everyRead = [urls.repos, urls.commitStatuses, urls.ownManifests];

  for (const url of everyRead) await waitUntil(async () => (await call(url, payments.token)).status === 200, { timeoutMs: 60_000, message: `team token accepted at ${url}` });
  const other = await call(urls.otherManifests, payments.token);
  assert.deepEqual(other, { status: 403, body: { error: { code: 'forbidden', message: 'team:payments may not act on configs of team "web"' } } });
  const sync = await call(urls.sync, payments.token, { method: 'POST' });
  assert.deepEqual([sync.status, sync.body.error.code], [403, 'forbidden']);
  assert.equal((await call(urls.otherManifests, ADMIN)).status, 200, 'the admin sees every team');
  for (const url of everyRead) {
    const none = await call(url, null);
    assert.deepEqual([none.status, none.body.error.code], [401, 'unauthorized'], url);
    assert.equal((await call(url, `${payments.token.slice(0, -2)}xx`)).status, 401, `a wrong secret at ${url}`);
  }

  assert.equal((await call(`${autodeploy}/api/admin/tokens/${payments.id}`, ADMIN, { method: 'DELETE' })).status, 204);
  assert.equal((await call(`${autodeploy}/api/configs`, payments.token)).status, 401, 'refused by autodeploy at once');
  for (const url of everyRead) await waitUntil(async () => (await call(url, payments.token)).status === 401, { timeoutMs: 60_000, message: `revoked token refused at ${url}` });

  // Redeliver the issue (as read from the log) ahead of a new token on the same one-partition topic.
  const log = (await call(`${autodeploy}/api/events?stream=auth-token-${payments.id}`, ADMIN)).body.events as Array<EventEnvelope & { position?: string }>;
  const { position: _position, ...issued } = log.find((e) => e.type === 'auth.token.issued')!;
  await redeliver(issued);
  const sentinel = await issue('web');
  for (const url of [urls.repos, urls.commitStatuses]) await waitUntil(async () => (await call(url, sentinel.token)).status === 200, { timeoutMs: 60_000, message: `later token accepted at ${url}` });
  await waitUntil(async () => (await call(urls.otherManifests, sentinel.token)).status === 200, { timeoutMs: 60_000, message: 'later token accepted by kube-applier' });
  for (const url of everyRead) assert.equal((await call(url, payments.token)).status, 401, `still revoked at ${url}`);

  // Each service's team_tokens rebuilt from the token events it kept in its log (issue #23): the same rows, so the same answers.
  for (const [service, base] of [['repo-sync', services.repoSync], ['commit-status', services.commitStatus], ['kube-applier', services.kubeApplier]] as const) {
    const rows = () => call(`${base}/api/admin/replay/${service}/team-tokens`, payments.token, { method: 'POST' });
    assert.equal((await rows()).status, 401, `a revoked team token may not rebuild ${service}'s tokens`);
    const started = await call(`${base}/api/admin/replay/${service}/team-tokens`, ADMIN, { method: 'POST' });
    assert.equal(started.status, 202, `${service}: ${JSON.stringify(started.body)}`);
    await waitUntil(async () => (await call(`${base}/api/admin/replay/${service}/team-tokens/${started.body.replayId}`, ADMIN)).body.status === 'done', {
      timeoutMs: 30_000,
      message: `${service}'s team tokens rebuilt`,
    });
  }
  for (const url of everyRead) assert.equal((await call(url, payments.token)).status, 401, `revoked after the rebuild at ${url}`);
  for (const url of [urls.repos, urls.commitStatuses]) assert.equal((await call(url, sentinel.token)).status, 200, `the later token still accepted after the rebuild at ${url}`);
}

/** A config of `team` discovered by repo-sync: its repositories become the team's to read (SLUICE_CATALOGUE_VISIBILITY=team). */
function configDiscovered(config: string, team: string): EventEnvelope {
  return envelopeOf('repo.config.discovered', 'repo-acme/deploy', {
    config: { name: config, team, namespace: team, artifact: { repo: 'acme/billing', image: 'ghcr.io/acme/billing', build: null }, track: { branch: 'main' }, autodeploy: false, configRepo: 'acme/deploy', path: `deploy/${config}` },
    configSha: 'c'.repeat(40),
  });
}

/** Seeds one config and one deploy per team through the bus, then runs the whole proof. */
async function seedAndProve(bus: MessageBus, autodeploy: string, services: { repoSync: string; commitStatus: string; kubeApplier: string }): Promise<void> {
  await bus.publish(Topics.repo, [configDiscovered('billing-api', 'payments'), configDiscovered('docs', 'web')]);
  const payments = undeployRequest('billing-api', 'payments');
  const web = undeployRequest('docs', 'web');
  await bus.publish(Topics.deploy, [payments, web]);
  const deploys = { payments: (payments.data as { deployId: string }).deployId, web: (web.data as { deployId: string }).deployId };
  const paths = reads(services, deploys);
  await waitUntil(async () => (await call(paths.otherManifests, ADMIN)).status === 200, { timeoutMs: 60_000, message: 'kube-applier recorded the deploys' });
  await provesTeamTokens(autodeploy, paths, (envelope) => bus.publish(Topics.auth, [envelope]), services);
}

describe('team tokens across services, distributed (a database each, Kafka)', () => {
  const fake = new FakeGitHub();
  const prefix = `${uniqueName('e2e-tokens')}.`;
  const databases: TestDatabase[] = [];
  const apps: INestApplication[] = [];
  const urls: Record<string, string> = {};
  let bus: MessageBus;

  async function service(name: string, imports: (db: TestDatabase) => DynamicModule[]): Promise<INestApplication> {
    const db = await createTestDatabase(`e2e_tokens_${name.replace(/-/g, '_')}`);
    databases.push(db);
    const messaging = MessagingModule.forRoot({
      brokers: kafkaBrokers(),
      clientId: `${name}-e2e`,
      topicPrefix: prefix,
      groupPrefix: prefix,
      // One partition: token events of different tokens keep their order (the redelivery check relies on it).
      partitions: 1,
      retry: { maxAttempts: 5, baseDelayMs: 50, maxDelayMs: 500 },
    });
    const ref = await Test.createTestingModule({ imports: [messaging, ...imports(db)] }).compile();
    const app = configureApp(ref.createNestApplication({ logger: false }));
    apps.push(app);
    await app.init();
    await startSluiceConsumers(app);
    await app.listen(0, '127.0.0.1');
    urls[name] = `http://127.0.0.1:${((app.getHttpServer() as Server).address() as AddressInfo).port}`;
    return app;
  }

  before(async () => {
    await fake.start();
    const autodeploy = await service('autodeploy', (db) => [
      EventStoreModule.forRoot(autodeployEventStoreOptions(db.url, { relay: { pollIntervalMs: 50 } })),
      AutodeployModule.forRoot({ SLUICE_DATA_DIR: '/nonexistent', SLUICE_ADMIN_TOKEN: ADMIN }, { projectionPollMs: 50 }),
    ]);
    bus = autodeploy.get<MessageBus>(MESSAGE_BUS);
    await service('repo-sync', (db) => [
      EventStoreModule.forRoot({ url: db.url, schema: REPO_SYNC_SCHEMA, migrations: repoSyncMigrations, poolSize: 4 }),
      RepoSyncModule.forRoot({ GITHUB_API_URL: fake.url, SLUICE_ADMIN_TOKEN: ADMIN }, { scm: new GitHubScm({ baseUrl: fake.url, credentials: { kind: 'token', token: 't' } }) }),
    ]);
    await service('commit-status', (db) => [
      EventStoreModule.forRoot({ url: db.url, schema: COMMIT_STATUS_SCHEMA, migrations: commitStatusMigrations, poolSize: 4 }),
      CommitStatusModule.forRoot(loadConfig(commitStatusConfigSchema, { DATABASE_URL: db.url, SLUICE_ADMIN_TOKEN: ADMIN, COMMIT_STATUS_STORE: 'postgres' })),
    ]);
    await service('kube-applier', (db) => [
      EventStoreModule.forRoot({ url: db.url, schema: KUBE_APPLIER_SCHEMA, migrations: kubeApplierMigrations, poolSize: 4 }),
      KubeApplierModule.forRoot(loadConfig(kubeApplierConfigSchema, { KUBE_APPLIER_TARGET: 'dry-run', SLUICE_ADMIN_TOKEN: ADMIN }), { specSource: new InMemorySpecSource() }),
    ]);
  });

  after(async () => {
    for (const app of apps.reverse()) await app.close().catch(() => undefined);
    for (const db of databases) await db.drop();
    await fake.stop();
  });

  it('a token issued through autodeploy works on repo-sync, commit-status and kube-applier once propagated, and stops once revoked', async () => {
    await seedAndProve(bus, urls['autodeploy']!, { repoSync: urls['repo-sync']!, commitStatus: urls['commit-status']!, kubeApplier: urls['kube-applier']! });
  });
});

describe('team tokens across services, all-in-one (embedded PostgreSQL, in-process bus)', () => {
  let dataDir: string;
  let sluice: AllInOne;

  before(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'sluice-tokens-'));
    const config = loadConfig(allInOneConfigSchema, {
      SLUICE_DATA_DIR: dataDir,
      SLUICE_ADMIN_TOKEN: ADMIN,
      GITHUB_WEBHOOK_SECRET: 'e2e-team-tokens-webhook-secret',
      KUBE_APPLIER_TARGET: 'dry-run',
      COMMIT_STATUS_STORE: 'postgres',
      LOG_LEVEL: 'warn',
    });
    sluice = await startAllInOne(config, { port: 0 });
  });

  after(async () => {
    await sluice?.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('a token issued through the API works on every service part once the in-process bus delivered it, and stops once revoked', async () => {
    // One port: every service answers under the same base URL, routed by path.
    await seedAndProve(sluice.bus, sluice.url, { repoSync: sluice.url, commitStatus: sluice.url, kubeApplier: sluice.url });
  });
});
