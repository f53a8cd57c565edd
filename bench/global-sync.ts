// bench/global-sync: a global sync of REPOS repositories × BRANCHES branches from a fake
// GitHub through the real stack (repo-sync module, PostgreSQL, outbox relay to Kafka),
// with its ratio to a baseline in the same run: the same GitHub reads made with bare
// fetch at the same concurrency and nothing stored — the floor the fake allows. The fake
// runs in a worker thread (startFakeGitHubThread of @sluice/fake-scm), off the measured event loop.
import type { Server } from 'node:http';
import { Module, type INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { EventStoreModule, startSluiceConsumers } from '@sluice/event-store';
import { MessagingModule } from '@sluice/messaging';
import { configureApp, configureLogging } from '@sluice/platform';
import { DEFAULT_REPO_SYNC_CONCURRENCY, GlobalSync, REPO_SYNC_SCHEMA, repoSyncMigrations, RepoSyncModule } from '@sluice/repo-sync';
import { GitHubScm } from '@sluice/scm';
import { createTestDatabase, kafkaBrokers, uniqueName } from '@sluice/testing';
import { report } from './report';
import { startFakeGitHubThread } from '@sluice/fake-scm';

const REPOS = Number(process.env.BENCH_SYNC_REPOS ?? 1_000);
const BRANCHES = Number(process.env.BENCH_SYNC_BRANCHES ?? 10);
// The shipped default unless BENCH_SYNC_CONCURRENCY says otherwise; the baseline reads at the same concurrency.
const REPO_CONCURRENCY = Number(process.env.BENCH_SYNC_CONCURRENCY ?? DEFAULT_REPO_SYNC_CONCURRENCY);
const PER_REPO = 4;

async function baseline(url: string): Promise<number> {
  const headers = { authorization: 'token bench', accept: 'application/vnd.github+json' };
  const get = async (path: string) => {
    const res = await fetch(`${url}${path}`, { headers });
    return res.json() as Promise<any>; // eslint-disable-line @typescript-eslint/no-explicit-any
  };
  const started = Date.now();
  let next = 0;
  await Promise.all(
    Array.from({ length: REPO_CONCURRENCY }, async () => {
      while (next < REPOS) {
        const repo = `acme/svc-${next++}`;
        const branches: Array<{ commit: { sha: string } }> = await get(`/repos/${repo}/branches?per_page=100`);
        const tasks = branches.flatMap((b) => [
          () => get(`/repos/${repo}/commits/${b.commit.sha}`),
          () => get(`/repos/${repo}/commits/${b.commit.sha}/status`),
          () => get(`/repos/${repo}/commits/${b.commit.sha}/check-runs`),
        ]);
        tasks.push(() => get(`/repos/${repo}/git/trees/${branches[0].commit.sha}`));
        let i = 0;
        await Promise.all(Array.from({ length: PER_REPO }, async () => {
          while (i < tasks.length) await tasks[i++]();
        }));
      }
    }),
  );
  return (Date.now() - started) / 1000;
}

export async function benchGlobalSync(): Promise<boolean> {
  configureLogging({ level: 'warn', service: 'bench-global-sync' });
  const fake = await startFakeGitHubThread({ repos: REPOS, branches: BRANCHES });
  const db = await createTestDatabase('bench_global_sync');
  @Module({})
  class BenchApp {}
  const scm = new GitHubScm({ baseUrl: fake.url, credentials: { kind: 'token', token: 'bench' } });
  const app: INestApplication = await NestFactory.create(
    {
      module: BenchApp,
      imports: [
        MessagingModule.forRoot({ brokers: kafkaBrokers(), topicPrefix: uniqueName('bench-sync') }),
        EventStoreModule.forRoot({ url: db.url, schema: REPO_SYNC_SCHEMA, migrations: repoSyncMigrations, poolSize: 20 }),
        RepoSyncModule.forRoot({ GITHUB_API_URL: fake.url, SLUICE_ADMIN_TOKEN: 'bench', REPO_SYNC_CONCURRENCY: REPO_CONCURRENCY }, { scm }),
      ],
    },
    { logger: false, abortOnError: false },
  );
  configureApp(app);
  await app.init();
  await startSluiceConsumers(app);
  await app.listen(0, '127.0.0.1');
  try {
    const floor = await baseline(fake.url);
    const sync = app.get(GlobalSync);
    const started = Date.now();
    const { syncId } = await sync.start('bench');
    await sync.settled(syncId);
    const seconds = (Date.now() - started) / 1000;
    const progress = await sync.progress(syncId);
    if (progress?.state !== 'completed' || progress.repos.done !== REPOS || progress.errors.length > 0) {
      throw new Error(`sync did not complete cleanly: ${JSON.stringify(progress)}`);
    }
    const rerunStarted = Date.now();
    const again = await sync.start('bench');
    await sync.settled(again.syncId);
    const rerun = (Date.now() - rerunStarted) / 1000;
    void (app.getHttpServer() as Server);
    return report(`global-sync (${REPOS} repos × ${BRANCHES} branches, ${REPO_CONCURRENCY} repos at once; ${await fake.requestCount()} GitHub requests)`, [
      { name: 'full sync', value: seconds, unit: 's', baseline: { name: 'bare fetch of the same reads', value: floor }, target: { op: '<=', value: 60 } },
      { name: 'idempotent re-sync (nothing changed)', value: rerun, unit: 's', baseline: { name: 'full sync', value: seconds } },
    ]);
  } finally {
    await app.close();
    await db.drop();
    await fake.stop();
  }
}
