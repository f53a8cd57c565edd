// Test-only helpers (not exported from index.ts): a webhook-ingest app on a fresh database and the in-process bus.
import { createHmac, randomUUID } from 'node:crypto';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { INestApplication } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import type { EventEnvelope } from '@sluice/contracts';
import { EventStore, EventStoreModule, SERVICE_DATA_SOURCE } from '@sluice/event-store';
import { MESSAGE_BUS, MessagingModule, type MessageBus } from '@sluice/messaging';
import { configureApp } from '@sluice/platform';
import { createTestDatabase, type TestDatabase } from '@sluice/testing';
import type { DataSource } from 'typeorm';
import { WEBHOOK_INGEST_SCHEMA, webhookIngestMigrations } from '../adapters/persistence/migrations';
import { WebhookIngestModule, type WebhookIngestModuleOptions } from '../webhook-ingest.module';

export const SECRETS = ['first-secret', 'rotated-secret'];

export function sign(body: string | Buffer, secret = SECRETS[0]): string {
  return `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`;
}

/** The headers of a push delivery (a fresh delivery id unless `extra` gives one), for hand-driven requests. */
export function pushHeaders(signature: string, extra: Record<string, string> = {}): Record<string, string> {
  return { 'content-type': 'application/json', 'x-github-event': 'push', 'x-github-delivery': randomUUID(), 'x-hub-signature-256': signature, ...extra };
}

export interface WebhookTestApp {
  readonly app: INestApplication;
  readonly url: string;
  readonly db: TestDatabase;
  readonly dataSource: DataSource;
  readonly store: EventStore;
  readonly bus: MessageBus;
  close(): Promise<void>;
}

export async function startWebhookApp(
  options: {
    bodyLimitBytes?: number;
    rawBodyParser?: boolean;
    secrets?: string[];
    /** GITLAB_WEBHOOK_TOKEN; unset = no GitLab webhooks. */
    gitlabTokens?: string[];
    /** BITBUCKET_WEBHOOK_SECRET; unset = no Bitbucket webhooks. */
    bitbucketSecrets?: string[];
    /** BITBUCKET_API_URL and BITBUCKET_TOKEN: pull requests' abbreviated hashes are looked up there; unset = not looked up. */
    bitbucketApi?: { url: string; token: string };
    port?: number;
    recovery?: WebhookIngestModuleOptions['recovery'];
    uploadBudget?: WebhookIngestModuleOptions['uploadBudget'];
  } = {},
): Promise<WebhookTestApp> {
  const db = await createTestDatabase('webhook_ingest');
  const moduleRef = await Test.createTestingModule({
    imports: [
      MessagingModule.forRoot({}),
      EventStoreModule.forRoot({
        url: db.url,
        schema: WEBHOOK_INGEST_SCHEMA,
        migrations: webhookIngestMigrations,
        poolSize: 10,
        relay: { pollIntervalMs: 50 },
      }),
      WebhookIngestModule.forRoot(
        {
          GITHUB_WEBHOOK_SECRET: options.secrets ?? SECRETS,
          GITLAB_WEBHOOK_TOKEN: options.gitlabTokens,
          BITBUCKET_WEBHOOK_SECRET: options.bitbucketSecrets,
          BITBUCKET_API_URL: options.bitbucketApi?.url,
          BITBUCKET_TOKEN: options.bitbucketApi?.token,
        },
        { bodyLimitBytes: options.bodyLimitBytes, recovery: options.recovery, uploadBudget: options.uploadBudget },
      ),
    ],
  }).compile();
  const app = options.rawBodyParser
    ? moduleRef.createNestApplication({ rawBody: true, bodyParser: true, logger: false })
    : moduleRef.createNestApplication({ bodyParser: false, logger: false });
  configureApp(app, options.rawBodyParser ? { bodyLimit: '25mb' } : {});
  await app.listen(options.port ?? 0, '127.0.0.1');
  const { port } = (app.getHttpServer() as Server).address() as AddressInfo;
  return {
    app,
    url: `http://127.0.0.1:${port}`,
    db,
    dataSource: app.get<DataSource>(SERVICE_DATA_SOURCE),
    store: app.get(EventStore),
    bus: app.get<MessageBus>(MESSAGE_BUS),
    async close() {
      await app.close();
      await db.drop();
    },
  };
}

export interface Delivery {
  event: string;
  id: string;
  body: string;
  signature?: string | null;
  contentType?: string | null;
  headers?: Record<string, string>;
}

export async function post(baseUrl: string, d: Delivery): Promise<{ status: number; body: Record<string, unknown> }> {
  const headers: Record<string, string> = { ...(d.headers ?? {}) };
  if (d.event) headers['x-github-event'] = d.event;
  if (d.id) headers['x-github-delivery'] = d.id;
  if (d.signature !== null) headers['x-hub-signature-256'] = d.signature ?? sign(d.body);
  if (d.contentType !== null) headers['content-type'] = d.contentType ?? 'application/json';
  const res = await fetch(`${baseUrl}/webhooks/github`, { method: 'POST', headers, body: d.body });
  const text = await res.text();
  return { status: res.status, body: text ? (JSON.parse(text) as Record<string, unknown>) : {} };
}

/** Collects what the relay publishes on a topic. */
export async function collect(bus: MessageBus, topic: string, group: string): Promise<EventEnvelope[]> {
  const seen: EventEnvelope[] = [];
  await bus.subscribe({ group, topics: [topic], handler: async (e) => void seen.push(e) });
  return seen;
}

/** A free TCP port on loopback (for a fake that must know where to send before the app listens). */
export async function freePort(): Promise<number> {
  const { createServer } = await import('node:net');
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as AddressInfo;
      server.close(() => resolve(port));
    });
  });
}
