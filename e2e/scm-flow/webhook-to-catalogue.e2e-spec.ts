// A signed GitHub push goes in at webhook-ingest and comes out as a deploy-config
// catalogue in repo-sync: real PostgreSQL, real Kafka, GitHub faked.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import type { INestApplication } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { EventStoreModule } from '@sluice/event-store';
import { examplePayload, FakeGitHub, signWebhook } from '@sluice/fake-scm';
import { MessagingModule } from '@sluice/messaging';
import { configureApp } from '@sluice/platform';
import { REPO_SYNC_SCHEMA, repoSyncMigrations, RepoSyncModule } from '@sluice/repo-sync';
import { GitHubScm } from '@sluice/scm';
import { createTestDatabase, kafkaBrokers, uniqueName, waitUntil, type TestDatabase } from '@sluice/testing';
import { WEBHOOK_INGEST_SCHEMA, webhookIngestMigrations, WebhookIngestModule } from '@sluice/webhook-ingest';

const SECRET = 'e2e-webhook-secret';
const ADMIN = 'e2e-admin-token';

async function listen(app: INestApplication): Promise<string> {
  await app.listen(0, '127.0.0.1');
  return `http://127.0.0.1:${((app.getHttpServer() as Server).address() as AddressInfo).port}`;
}

describe('webhook → Kafka → catalogue', () => {
  const fake = new FakeGitHub();
  const topicPrefix = uniqueName('e2e-scm');
  let db: TestDatabase;
  let ingest: INestApplication;
  let sync: INestApplication;
  let ingestUrl: string;
  let syncUrl: string;

  before(async () => {
    await fake.start();
    db = await createTestDatabase('e2e_scm_flow');
    const bus = { brokers: kafkaBrokers(), topicPrefix, retry: { maxAttempts: 5, baseDelayMs: 50, maxDelayMs: 500 } };
    const syncRef = await Test.createTestingModule({
      imports: [
        MessagingModule.forRoot({ ...bus, clientId: 'repo-sync-e2e' }),
        EventStoreModule.forRoot({ url: db.url, schema: REPO_SYNC_SCHEMA, migrations: repoSyncMigrations, poolSize: 5 }),
        RepoSyncModule.forRoot(
          { GITHUB_API_URL: fake.url, SLUICE_ADMIN_TOKEN: ADMIN },
          { scm: new GitHubScm({ baseUrl: fake.url, credentials: { kind: 'token', token: 't' } }) },
        ),
      ],
    }).compile();
    sync = configureApp(syncRef.createNestApplication({ logger: false }));
    syncUrl = await listen(sync);
    const ingestRef = await Test.createTestingModule({
      imports: [
        MessagingModule.forRoot({ ...bus, clientId: 'webhook-ingest-e2e' }),
        EventStoreModule.forRoot({ url: db.url, schema: WEBHOOK_INGEST_SCHEMA, migrations: webhookIngestMigrations, poolSize: 5 }),
        WebhookIngestModule.forRoot({ GITHUB_WEBHOOK_SECRET: [SECRET] }),
      ],
    }).compile();
    ingest = configureApp(ingestRef.createNestApplication({ bodyParser: false, logger: false }));
    ingestUrl = await listen(ingest);
  });

  after(async () => {
    await ingest?.close();
    await sync?.close();
    await db?.drop();
    await fake.stop();
  });

  it('a signed default-branch push of a config repository ends as discovered configs in the API', async () => {
    fake.seed.repo({ owner: 'acme', name: 'deploys', defaultBranch: 'main' });
    const head = fake.seed.commit('acme/deploys', {
      message: 'add configs',
      files: {
        'deploy/api/deploy.yaml': 'team: core\nnamespace: core\nartifact:\n  repo: acme/api\n  image: ghcr.io/acme/api\nautodeploy: true\n',
        'deploy/bad/deploy.yaml': 'namespace: core\n',
      },
    });
    const payload = examplePayload<Record<string, any>>('push', undefined, 4); // eslint-disable-line @typescript-eslint/no-explicit-any
    payload.ref = 'refs/heads/main';
    payload.before = '0'.repeat(40);
    payload.after = head;
    payload.created = true;
    payload.deleted = false;
    payload.head_commit = { ...payload.head_commit, id: head };
    payload.commits = [payload.head_commit];
    payload.repository = { ...payload.repository, full_name: 'acme/deploys', name: 'deploys', default_branch: 'main', master_branch: 'main' };
    const body = JSON.stringify(payload);
    const res = await fetch(`${ingestUrl}/webhooks/github`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'x-github-event': 'push',
        'x-github-delivery': randomUUID(),
        'x-hub-signature-256': signWebhook(SECRET, body),
      },
      body,
    });
    assert.equal(res.status, 202);
    assert.equal(((await res.json()) as { result: string }).result, 'accepted');

    let configs: { configs: Array<{ name: string; configSha: string }>; errors: Array<{ path: string }> } | null = null;
    await waitUntil(
      async () => {
        const r = await fetch(`${syncUrl}/api/repos/acme/deploys/configs`, { headers: { authorization: `Bearer ${ADMIN}` } });
        if (r.status !== 200) return false;
        configs = (await r.json()) as typeof configs;
        return configs!.configs.length === 1;
      },
      { timeoutMs: 60_000, intervalMs: 250 },
    );
    assert.deepEqual(configs!.configs.map((c) => [c.name, c.configSha]), [['api', head]]);
    assert.deepEqual(configs!.errors.map((e) => e.path), ['deploy/bad']);
    const branches = await fetch(`${syncUrl}/api/repos/acme/deploys/branches`, { headers: { authorization: `Bearer ${ADMIN}` } });
    assert.deepEqual(((await branches.json()) as { items: Array<{ name: string; headSha: string }> }).items.map((b) => [b.name, b.headSha]), [
      ['main', head],
    ]);
  });
});
