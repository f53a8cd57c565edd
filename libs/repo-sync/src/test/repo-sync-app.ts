// Test-only helpers (not exported from index.ts): repo-sync on a fresh database, the in-process bus and a FakeGitHub.
import { randomUUID } from 'node:crypto';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { INestApplication } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import type { CatalogueVisibility } from '@sluice/auth';
import { newEvent, repoStream, Topics, type EventData, type EventEnvelope, type EventType, type RepoRef } from '@sluice/contracts';
import { EventStoreModule, SERVICE_DATA_SOURCE, startSluiceConsumers } from '@sluice/event-store';
import type { FakeGitHub } from '@sluice/fake-scm';
import { MESSAGE_BUS, MessagingModule, type MessageBus } from '@sluice/messaging';
import { configureApp } from '@sluice/platform';
import { GitHubScm, type ScmReader } from '@sluice/scm';
import { createTestDatabase, waitUntil, type TestDatabase } from '@sluice/testing';
import type { DataSource } from 'typeorm';
import { v7 as uuidv7 } from 'uuid';
import { CATALOGUE_TABLES } from '../adapters/persistence/catalogue-projection';
import { REPO_SYNC_SCHEMA, repoSyncMigrations } from '../adapters/persistence/migrations';
import { GlobalSync } from '../application/global-sync';
import { RepoSyncModule } from '../repo-sync.module';

export const ADMIN_TOKEN = 'admin-secret-token';

export interface RepoSyncTestApp {
  readonly app: INestApplication;
  readonly url: string;
  readonly dataSource: DataSource;
  readonly bus: MessageBus;
  readonly sync: GlobalSync;
  readonly scm: GitHubScm;
  /** Everything published on sluice.repo.v1 since start. */
  readonly published: EventEnvelope[];
  api(path: string, init?: { method?: string; token?: string | null }): Promise<{ status: number; body: any }>; // eslint-disable-line @typescript-eslint/no-explicit-any
  publishScm<K extends EventType>(type: K, data: EventData<K>, id?: string): Promise<string>;
  close(): Promise<void>;
}

export async function startRepoSync(fake: FakeGitHub, options: { db?: TestDatabase; concurrency?: number; visibility?: CatalogueVisibility; readers?: { gitlab?: ScmReader; bitbucket?: ScmReader } } = {}): Promise<RepoSyncTestApp & { db: TestDatabase }> {
  const db = options.db ?? (await createTestDatabase('repo_sync'));
  const scm = new GitHubScm({ baseUrl: fake.url, credentials: { kind: 'token', token: 'test-token' }, maxRetries: 5 });
  const moduleRef = await Test.createTestingModule({
    imports: [
      MessagingModule.forRoot({ retry: { maxAttempts: 5, baseDelayMs: 20, maxDelayMs: 200 } }),
      EventStoreModule.forRoot({ url: db.url, schema: REPO_SYNC_SCHEMA, migrations: repoSyncMigrations, poolSize: 8, relay: { pollIntervalMs: 50 } }),
      RepoSyncModule.forRoot(
        // No polling timer unless a test asks for it (a poll spec drives RepoPoller.pass itself).
        { GITHUB_API_URL: fake.url, SLUICE_ADMIN_TOKEN: ADMIN_TOKEN, REPO_SYNC_CONCURRENCY: options.concurrency ?? 4, SLUICE_CATALOGUE_VISIBILITY: options.visibility, REPO_SYNC_POLL_SECONDS: 0 },
        { scm, readers: options.readers ?? {} },
      ),
    ],
  }).compile();
  const app = moduleRef.createNestApplication({ logger: false });
  configureApp(app);
  await app.init();
  await startSluiceConsumers(app);
  await app.listen(0, '127.0.0.1');
  const { port } = (app.getHttpServer() as Server).address() as AddressInfo;
  const url = `http://127.0.0.1:${port}`;
  const bus = app.get<MessageBus>(MESSAGE_BUS);
  const published: EventEnvelope[] = [];
  await bus.subscribe({ group: `observer-${randomUUID()}`, topics: [Topics.repo], handler: async (e) => void published.push(e) });
  return {
    app,
    url,
    db,
    dataSource: app.get<DataSource>(SERVICE_DATA_SOURCE),
    bus,
    sync: app.get(GlobalSync),
    scm,
    published,
    async api(path, init = {}) {
      const token = init.token === undefined ? ADMIN_TOKEN : init.token;
      const res = await fetch(`${url}${path}`, {
        method: init.method ?? 'GET',
        headers: token === null ? {} : { authorization: `Bearer ${token}` },
      });
      const text = await res.text();
      return { status: res.status, body: text ? JSON.parse(text) : null };
    },
    async publishScm(type, data, id = uuidv7()) {
      const e = newEvent(type, data);
      const repo = (data as { repo: RepoRef }).repo;
      await bus.publish(Topics.scm, [
        {
          id,
          type: e.type,
          version: e.version,
          stream: repoStream(repo),
          streamVersion: 1,
          occurredAt: new Date().toISOString(),
          correlationId: `delivery-${id}`,
          causationId: null,
          data: e.data,
        },
      ]);
      return id;
    },
    async close() {
      await app.close();
      if (!options.db) await db.drop();
    },
  };
}

/** The `scm.push.received` of a push creating `branch` at `sha` (one commit), as webhook-ingest normalises it. */
export function branchCreatedPush(repo: RepoRef, branch: string, sha: string): EventData<'scm.push.received'> {
  const commit = { sha, message: `head of ${branch}`, authorName: 'Ada', authorEmail: 'ada@example.com', timestamp: '2026-01-01T00:00:00Z' };
  return {
    deliveryId: `create-${branch}-${sha.slice(0, 7)}`,
    repo,
    ref: `refs/heads/${branch}`,
    refType: 'branch',
    name: branch,
    before: '0'.repeat(40),
    after: sha,
    created: true,
    deleted: false,
    forced: false,
    headCommit: commit,
    commits: [commit],
    pusher: 'ada',
  };
}

/** Every row of the catalogue's tables as JSON, each table's rows in one stable order. */
export async function catalogueRows(ds: DataSource): Promise<Record<string, unknown[]>> {
  const rows: Record<string, unknown[]> = {};
  for (const table of CATALOGUE_TABLES) {
    const found: Array<{ row: unknown }> = await ds.query(`SELECT to_jsonb(x) AS row FROM repo_sync.${table} x ORDER BY to_jsonb(x)::text`);
    rows[table] = found.map((r) => r.row);
  }
  return rows;
}

/** `POST /api/admin/replay/repo-sync` and its progress until done; fails on a failed rebuild. */
export async function replayCatalogue(t: RepoSyncTestApp): Promise<{ replayId: string; processed: number; total: number }> {
  const started = await t.api('/api/admin/replay/repo-sync', { method: 'POST' });
  if (started.status !== 202) throw new Error(`replay answered ${started.status}: ${JSON.stringify(started.body)}`);
  let status = started.body as { replayId: string; status: string; processed: number; total: number; error: string | null };
  await waitUntil(
    async () => {
      status = (await t.api(`/api/admin/replay/repo-sync/${started.body.replayId}`)).body;
      if (status.status === 'failed') throw new Error(`replay failed: ${status.error}`);
      return status.status === 'done';
    },
    { timeoutMs: 30_000, message: 'catalogue replay done' },
  );
  return status;
}
