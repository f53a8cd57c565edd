// Test-only helpers for autodeploy's int-specs (not exported from index.ts).
import type { INestApplication } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { latestVersion, Topics, type EventData, type EventEnvelope, type EventType } from '@sluice/contracts';
import { EventStore, EventStoreModule, SERVICE_DATA_SOURCE, startSluiceConsumers } from '@sluice/event-store';
import { MESSAGE_BUS, MessagingModule, type MessageBus } from '@sluice/messaging';
import { configureApp, configureLogging, setupOpenApi } from '@sluice/platform';
import { createTestDatabase, kafkaBrokers, uniqueName, waitUntil, type TestDatabase } from '@sluice/testing';
import type { DataSource } from 'typeorm';
import { v7 as uuidv7 } from 'uuid';
import { AUTODEPLOY_OPENAPI } from '../adapters/http/openapi';
import { READ_MODEL_PROJECTION } from '../adapters/persistence/read-model-projection';
import { AutodeployModule, autodeployEventStoreOptions, type AutodeployModuleOptions } from '../autodeploy.module';

export const ADMIN_TOKEN = 'admin-token-for-tests-0123456789';

export interface Harness {
  app: INestApplication;
  http: Parameters<typeof import('supertest')>[0];
  bus: MessageBus;
  store: EventStore;
  dataSource: DataSource;
  database: TestDatabase;
  topicPrefix: string;
  close(): Promise<void>;
}

export async function startAutodeploy(options: { kafka?: boolean; module?: Partial<AutodeployModuleOptions> } = {}): Promise<Harness> {
  configureLogging({ level: 'warn', service: 'autodeploy-test' });
  const database = await createTestDatabase('autodeploy');
  const topicPrefix = `${uniqueName('ad')}.`;
  try {
    const moduleRef = await Test.createTestingModule({
      imports: [
        MessagingModule.forRoot(
          options.kafka
            ? { brokers: kafkaBrokers(), topicPrefix, clientId: 'autodeploy-test', partitions: 1, retry: { baseDelayMs: 50, maxDelayMs: 500 } }
            : { retry: { baseDelayMs: 10, maxDelayMs: 200 } },
        ),
        EventStoreModule.forRoot(autodeployEventStoreOptions(database.url, { relay: { pollIntervalMs: 50 } })),
        AutodeployModule.forRoot({ SLUICE_DATA_DIR: '/nonexistent', SLUICE_ADMIN_TOKEN: ADMIN_TOKEN }, {
          consumerGroup: uniqueName('autodeploy'),
          projectionPollMs: 50,
          ...options.module,
        }),
      ],
    }).compile();
    const app = moduleRef.createNestApplication({ logger: false });
    configureApp(app);
    setupOpenApi(app, AUTODEPLOY_OPENAPI);
    await app.init();
    await startSluiceConsumers(app);
    return {
      app,
      http: app.getHttpServer(),
      bus: app.get<MessageBus>(MESSAGE_BUS),
      store: app.get(EventStore),
      dataSource: app.get<DataSource>(SERVICE_DATA_SOURCE),
      database,
      topicPrefix,
      async close() {
        await app.close();
        await database.drop();
      },
    };
  } catch (error) {
    await database.drop();
    throw error;
  }
}

const streamVersions = new Map<string, number>();

/** An envelope as another service would publish it (repo-sync: stream `repo-<owner/name>`, kube-applier: `applier-<config>`). */
export function envelope<K extends EventType>(type: K, stream: string, data: EventData<K>): EventEnvelope {
  const version = (streamVersions.get(stream) ?? 0) + 1;
  streamVersions.set(stream, version);
  const id = uuidv7();
  return { id, type, version: latestVersion(type), stream, streamVersion: version, occurredAt: new Date().toISOString(), correlationId: id, causationId: null, data };
}

export async function publishRepo<K extends EventType>(bus: MessageBus, type: K, repo: string, data: EventData<K>): Promise<EventEnvelope> {
  const e = envelope(type, `repo-${repo}`, data);
  await bus.publish(Topics.repo, [e]);
  return e;
}

export async function publishOutcome<K extends 'deploy.started' | 'deploy.step' | 'deploy.applied' | 'deploy.succeeded' | 'deploy.failed' | 'deploy.undeployed'>(
  bus: MessageBus,
  type: K,
  data: EventData<K>,
): Promise<EventEnvelope> {
  const e = envelope(type, `applier-${(data as { config: string }).config}`, data);
  await bus.publish(Topics.deploy, [e]);
  return e;
}

export async function eventsOf(store: EventStore, stream: string): Promise<Array<{ type: string; data: Record<string, unknown> }>> {
  return (await store.readStream(stream)).map((e) => ({ type: e.type, data: e.data as Record<string, unknown> }));
}

/** Waits until the read-model projection has consumed the whole log. */
export async function projectionCaughtUp(dataSource: DataSource, timeoutMs = 10_000): Promise<void> {
  await waitUntil(
    async () => {
      const [row]: Array<{ behind: string }> = await dataSource.query(
        `SELECT count(*) AS behind FROM autodeploy.events e
          WHERE NOT EXISTS (SELECT 1 FROM autodeploy.checkpoints c WHERE c.name = $1
                             AND (e.transaction_id, e.global_position) <= (c.transaction_id, c.global_position))`,
        [READ_MODEL_PROJECTION],
      );
      return Number(row?.behind) === 0;
    },
    { timeoutMs, message: 'read models did not catch up with the log' },
  );
}

/** The read models as JSON text, every table in a fixed order: what replay must reproduce byte for byte. */
export async function dumpReadModels(dataSource: DataSource): Promise<string> {
  const out: Record<string, unknown> = {};
  for (const [table, order] of [
    ['configs', 'name'],
    ['deploys', 'id'],
    ['config_history', 'config, stream_version'],
    ['builds', 'id'],
  ] as const) {
    const [row]: Array<{ dump: unknown }> = await dataSource.query(
      `SELECT coalesce(json_agg(t ORDER BY ${order}), '[]'::json)::text AS dump FROM autodeploy.${table} t`,
    );
    out[table] = row?.dump;
  }
  return JSON.stringify(out);
}

export const sha = (c: string) => c.repeat(40).slice(0, 40);
