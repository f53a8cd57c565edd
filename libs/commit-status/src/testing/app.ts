import type { INestApplication } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { latestVersion, type EventData, type EventEnvelope, type EventType } from '@sluice/contracts';
import { EventStore, EventStoreModule, SERVICE_DATA_SOURCE, startSluiceConsumers } from '@sluice/event-store';
import type { KubeClient } from '@sluice/kube';
import { MESSAGE_BUS, MessagingModule, type MessageBus } from '@sluice/messaging';
import { configureApp, loadConfig } from '@sluice/platform';
import { createTestDatabase, kafkaBrokers, uniqueName, type TestDatabase } from '@sluice/testing';
import type { DataSource } from 'typeorm';
import { v7 as uuidv7 } from 'uuid';
import { CommitStatusRuntime } from '../application/commit-status-runtime';
import { COMMIT_STATUS_STORE, type CommitStatusStore } from '../application/ports';
import { commitStatusMigrations, COMMIT_STATUS_SCHEMA } from '../adapters/postgres/migrations';
import { commitStatusConfigSchema } from '../commit-status.config';
import { CommitStatusModule } from '../commit-status.module';

export const ADMIN = 'commit-status-admin-token-for-tests';

export interface App {
  app: INestApplication;
  http: Parameters<typeof import('supertest')>[0];
  bus: MessageBus;
  events: EventStore;
  store: CommitStatusStore;
  runtime: CommitStatusRuntime;
  dataSource: DataSource;
  database: TestDatabase;
  /** Kafka topic prefix and consumer group (what a restart reuses). */
  prefix: string;
  consumer: string;
  /** Stops the app and keeps the database (a restart follows; the caller drops it). */
  stop(): Promise<void>;
  close(): Promise<void>;
}

export interface StartOptions {
  kubeClient?: KubeClient;
  labels?: Record<string, string>;
  kafka?: boolean;
  /** A restart: the database of an earlier start (the caller drops it), its topic prefix and consumer group. */
  restartOf?: { database: TestDatabase; prefix: string; consumer: string };
}

/** commit-status as a Nest app on a fresh database and the in-process bus (or, `kafka`, the test broker under a fresh topic prefix). */
export async function startCommitStatus(env: Record<string, string>, opts: StartOptions = {}): Promise<App> {
  const owned = !opts.restartOf;
  const database = opts.restartOf?.database ?? (await createTestDatabase('commit_status'));
  const prefix = opts.restartOf?.prefix ?? `${uniqueName('commit-status')}.`;
  const consumer = opts.restartOf?.consumer ?? uniqueName('commit-status');
  try {
    const config = loadConfig(commitStatusConfigSchema, { DATABASE_URL: database.url, SLUICE_ADMIN_TOKEN: ADMIN, COMMIT_STATUS_MIN_WRITE_INTERVAL_MS: '20', ...env });
    const moduleRef = await Test.createTestingModule({
      imports: [
        MessagingModule.forRoot({
          retry: { baseDelayMs: 10, maxDelayMs: 200 },
          ...(opts.kafka ? { brokers: kafkaBrokers(), topicPrefix: prefix, groupPrefix: prefix } : {}),
        }),
        EventStoreModule.forRoot({ url: database.url, schema: COMMIT_STATUS_SCHEMA, migrations: commitStatusMigrations, relay: { pollIntervalMs: 50 } }),
        CommitStatusModule.forRoot(config, { consumer, pollIntervalMs: 100, retryBaseDelayMs: 100, deploymentsPollMs: 100, ownedSweepMs: 100, kubeClient: opts.kubeClient, labels: opts.labels }),
      ],
    }).compile();
    const app = moduleRef.createNestApplication({ logger: false });
    configureApp(app);
    await app.init();
    await startSluiceConsumers(app);
    return {
      app,
      http: app.getHttpServer(),
      bus: app.get<MessageBus>(MESSAGE_BUS),
      events: app.get(EventStore),
      store: app.get<CommitStatusStore>(COMMIT_STATUS_STORE),
      runtime: app.get(CommitStatusRuntime),
      dataSource: app.get<DataSource>(SERVICE_DATA_SOURCE),
      database,
      prefix,
      consumer,
      stop: () => app.close(),
      async close() {
        await app.close();
        if (owned) await database.drop();
      },
    };
  } catch (error) {
    if (owned) await database.drop();
    throw error;
  }
}

const versions = new Map<string, number>();

/** An envelope as autodeploy (stream `config-<name>`) or kube-applier (`applier-<name>`) publishes it. */
export function envelope<K extends EventType>(type: K, stream: string, data: EventData<K>): EventEnvelope {
  const version = (versions.get(stream) ?? 0) + 1;
  versions.set(stream, version);
  const id = uuidv7();
  return { id, type, version: latestVersion(type), stream, streamVersion: version, occurredAt: new Date().toISOString(), correlationId: id, causationId: null, data };
}
