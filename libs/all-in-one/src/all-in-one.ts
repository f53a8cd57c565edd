import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import type { DynamicModule, INestApplication } from '@nestjs/common';
import { Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { ExpressAdapter, type NestExpressApplication } from '@nestjs/platform-express';
import type { OpenAPIObject } from '@nestjs/swagger';
import { resolveAdminToken } from '@sluice/auth';
import { EventStoreModule, migrateServiceSchema, startSluiceConsumers } from '@sluice/event-store';
import { createMessageBus, MessagingModule, type MessageBus } from '@sluice/messaging';
import {
  applyServerTimeouts,
  buildOpenApiDocument,
  configureApp,
  configureLogging,
  createLogger,
  HealthModule,
  kafkaSecurityOf,
  mergeOpenApiDocuments,
  metricsRegistry,
  MIN_WEBHOOK_SECRET_LENGTH,
  noRouteError,
  ReadinessRegistry,
  secretInDataDir,
  sendError,
  setupOpenApi,
  SluiceConfigModule,
} from '@sluice/platform';
import express from 'express';
import { DataSource } from 'typeorm';
import type { AllInOneConfig, ResolvedConfig } from './all-in-one.config';
import { DASHBOARD_DIR, dashboardHandler, isDashboardPath } from '@sluice/dashboard-server';
import { startEmbeddedDatabase, type EmbeddedDatabase } from './embedded-database';
import { SERVICE_PARTS, type ServicePart } from './service-parts';

export interface AllInOne {
  readonly url: string;
  readonly adminToken: string;
  /** The bus every part shares (in-process unless KAFKA_BROKERS is set); tests publish on it as another service would. */
  readonly bus: MessageBus;
  stop(): Promise<void>;
}

interface RunningPart {
  readonly part: ServicePart;
  readonly app: INestApplication;
  readonly handler: express.Express;
  /** Its OpenAPI document: its routes, from its controllers. */
  readonly document: OpenAPIObject;
}

/** A path a part serves, from its OpenAPI document (`/api/configs/{name}/history`). */
interface Route {
  readonly running: RunningPart;
  readonly pattern: RegExp;
  /** Literal segments: the most specific route of all parts wins (`/api/deploys/{id}/manifests` over `/api/deploys/{id}`). */
  readonly literals: number;
}

/**
 * Every service in one process (docs/architecture.md §6): each service is its own Nest
 * application (its own event store, inbox and relay on its own schema) on one shared
 * database connection and one message bus — in-process unless KAFKA_BROKERS is set —
 * behind one HTTP port that routes by path.
 */
export async function startAllInOne(loaded: AllInOneConfig, options: { port?: number } = {}): Promise<AllInOne> {
  configureLogging({ level: loaded.LOG_LEVEL, service: 'sluice' });
  metricsRegistry.setDefaultLabels({ service: 'sluice' });
  const log = createLogger('all-in-one');
  const admin = resolveAdminToken(loaded);
  if (admin.source === 'generated') log.info({ file: admin.path }, 'created the admin token on first start; read it from this file');
  else if (admin.path) log.info({ file: admin.path }, 'admin token');
  const webhookSecrets = loaded.GITHUB_WEBHOOK_SECRET ?? [generatedWebhookSecret(loaded.SLUICE_DATA_DIR, log)];

  let embedded: EmbeddedDatabase | null = null;
  const databaseUrl = loaded.DATABASE_URL ?? (embedded = await startEmbeddedDatabase(loaded.SLUICE_DATA_DIR)).url;
  const poolSize = embedded ? 1 : 10;
  const config: ResolvedConfig = {
    ...loaded,
    DATABASE_URL: databaseUrl,
    SLUICE_ADMIN_TOKEN: admin.token,
    GITHUB_WEBHOOK_SECRET: webhookSecrets,
    KUBECONFIG: loaded.KUBECONFIG ?? defaultKubeconfig(),
    COMMIT_STATUS_STORE: loaded.COMMIT_STATUS_STORE ?? (loaded.KUBECONFIG || defaultKubeconfig() ? 'kubernetes' : 'postgres'),
  };
  log.info(
    { database: embedded ? `embedded (${join(loaded.SLUICE_DATA_DIR, 'pgdata')})` : 'DATABASE_URL', bus: config.KAFKA_BROKERS?.length ? 'kafka' : 'in-process', cluster: config.KUBECONFIG ?? 'none: dry-run target' },
    'starting Sluice all-in-one',
  );

  // The embedded database takes one connection at a time: migrate each schema in turn on
  // its own short-lived connection, then share one pool for everything.
  for (const part of SERVICE_PARTS) {
    await migrateServiceSchema({ url: databaseUrl, schema: part.databaseSchema, migrations: [...part.migrations], poolSize: 1 });
  }
  const dataSource = new DataSource({ type: 'postgres', url: databaseUrl, poolSize, applicationName: 'sluice' });
  await dataSource.initialize();
  const bus = createMessageBus({
    brokers: config.KAFKA_BROKERS,
    clientId: 'sluice',
    logger: createLogger('messaging'),
    topicPrefix: config.SLUICE_KAFKA_TOPIC_PREFIX,
    groupPrefix: config.SLUICE_KAFKA_TOPIC_PREFIX,
    security: kafkaSecurityOf(config),
  });

  // One OpenAPI document for everything, served by the last part (autodeploy); merged once every
  // part is up (a path and method declared twice fails the start).
  let openApi: OpenAPIObject | undefined;
  const docsHost = SERVICE_PARTS.at(-1);
  const running: RunningPart[] = [];
  try {
    for (const part of SERVICE_PARTS) {
      running.push(await startPart(part, config, dataSource, bus, poolSize, part === docsHost ? () => openApi! : undefined));
    }
    openApi = mergedOpenApi(running);
  } catch (error) {
    await stopAll(running, dataSource, bus, embedded);
    throw error;
  }
  const routes = routesOf(running);
  const docs = running.find((r) => r.part === docsHost)!;

  const dashboard = dashboardHandler(DASHBOARD_DIR, { oidcIssuer: config.SLUICE_OIDC_ISSUER });
  const server = createServer((req, res) => route(running, routes, docs, dashboard, req, res));
  applyServerTimeouts(server);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? config.SLUICE_PORT, config.SLUICE_HOST, resolve);
  });
  const address = server.address() as AddressInfo;
  const url = `http://${address.address}:${address.port}`;
  log.info({ url }, 'listening');
  return {
    url,
    adminToken: admin.token,
    bus,
    async stop() {
      // New connections are refused and idle keep-alive ones closed now; one waiting on a
      // response would keep `close` from ever calling back, so it is not awaited: once the
      // parts are closed whatever is still open is cut.
      server.close();
      server.closeIdleConnections();
      await stopAll(running, dataSource, bus, embedded);
      server.closeAllConnections();
    },
  };
}

async function startPart(
  part: ServicePart,
  config: ResolvedConfig,
  dataSource: DataSource,
  bus: MessageBus,
  poolSize: number,
  openApi?: () => OpenAPIObject,
): Promise<RunningPart> {
  @Module({})
  class ServiceRoot {}
  const root: DynamicModule = {
    module: ServiceRoot,
    imports: [
      SluiceConfigModule.forRoot(config),
      HealthModule,
      MessagingModule.forInstance(bus),
      EventStoreModule.forRoot({
        url: config.DATABASE_URL,
        dataSource,
        schema: part.databaseSchema,
        poolSize,
        // The in-process bus keeps nothing across a restart: republish the log, inboxes dedupe.
        relay: { topicFor: part.relayTopicFor, republishOnStart: !config.KAFKA_BROKERS?.length },
      }),
      part.module(config),
    ],
  };
  const handler = express();
  const app = await NestFactory.create<NestExpressApplication>(root, new ExpressAdapter(handler), {
    bufferLogs: true,
    bodyParser: part.bodyParser ?? true,
    rawBody: part.rawBody ?? false,
  });
  // The all-in-one owns the signals (stopOnSignals): a part closing on its own would
  // close the bus and database under the others.
  configureApp(app, { shutdownHooks: false });
  if (openApi) setupOpenApi(app, openApi);
  await app.init();
  await startSluiceConsumers(app);
  return { part, app, handler, document: buildOpenApiDocument(app, part.openApi) };
}

/** Paths the all-in-one answers itself, before any part. */
const HEALTHZ = /^\/healthz\/?(\?|$)/;
const READYZ = /^\/readyz\/?(\?|$)/;
const METRICS = /^\/metrics\/?(\?|$)/;
const DOCS = /^\/api\/docs(-json|\/.*)?\/?$/;

const isOwnPath = (path: string): boolean => [HEALTHZ, READYZ, METRICS].some((pattern) => pattern.test(path));

/** The paths and schemas of every part's document in one; every part serves the health paths alike. */
function mergedOpenApi(running: readonly RunningPart[]): OpenAPIObject {
  return mergeOpenApiDocuments(
    { title: 'Sluice', description: 'Sluice REST API: every service of the all-in-one app' },
    running.map((r) => ({ name: r.part.name, document: r.document })),
    { shared: isOwnPath },
  );
}

/** Every part's routes, from its OpenAPI document (so from its controllers), most specific first. */
function routesOf(running: readonly RunningPart[]): Route[] {
  const routes: Route[] = [];
  for (const r of running) {
    for (const path of Object.keys(r.document.paths)) {
      if (isOwnPath(path)) continue;
      const segments = path.split('/').filter(Boolean);
      const pattern = new RegExp(`^/${segments.map((s) => (/^\{.+\}$/.test(s) ? '[^/]+' : s.replace(/[.*+?^$()|[\]\\]/g, '\\$&'))).join('/')}/?$`);
      routes.push({ running: r, pattern, literals: segments.filter((s) => !s.startsWith('{')).length });
    }
  }
  // Stable: between equally specific routes, the part started first.
  return routes.sort((a, b) => b.literals - a.literals);
}

/** The methods of the paths the all-in-one answers itself. */
const OWN_METHODS = ['GET', 'HEAD'];

type Handler = (req: IncomingMessage, res: ServerResponse) => void;

async function route(running: readonly RunningPart[], routes: readonly Route[], docs: RunningPart, dashboard: Handler, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const path = req.url ?? '/';
  const method = (req.method ?? 'GET').toUpperCase();
  const own = isOwnPath(path);
  // The same 404/405 body and headers as every part's own error filter.
  if (own && !OWN_METHODS.includes(method)) return sendError(res, noRouteError(method, path.split('?')[0], OWN_METHODS));
  if (HEALTHZ.test(path)) return json(res, 200, { status: 'ok' });
  if (READYZ.test(path)) {
    const reports = await Promise.all(running.map(async (r) => [r.part.name, await r.app.get(ReadinessRegistry).evaluate()] as const));
    const ready = reports.every(([, report]) => report.ready);
    return json(res, ready ? 200 : 503, { status: ready ? 'ok' : 'not-ready', services: Object.fromEntries(reports.map(([name, report]) => [name, report.checks])) });
  }
  if (METRICS.test(path)) {
    res.writeHead(200, { 'content-type': metricsRegistry.contentType, 'cache-control': 'no-store' });
    return void res.end(await metricsRegistry.metrics());
  }
  const pathname = path.split('?')[0]!;
  // The OpenAPI document and Swagger UI are served by one part for all.
  const target = DOCS.test(pathname) ? docs : routes.find((r) => r.pattern.test(pathname))?.running;
  if (!target) {
    // Everything else that is not an API path is the dashboard (issue #21) or its single-page app's routes.
    if (isDashboardPath(method, pathname)) return dashboard(req, res);
    return sendError(res, noRouteError(method, pathname, []));
  }
  target.handler(req, res);
}

function json(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' });
  res.end(JSON.stringify(body));
}

async function stopAll(running: RunningPart[], dataSource: DataSource, bus: MessageBus, embedded: EmbeddedDatabase | null): Promise<void> {
  for (const r of [...running].reverse()) await r.app.close().catch(() => undefined);
  await bus.close().catch(() => undefined);
  if (dataSource.isInitialized) await dataSource.destroy();
  await embedded?.stop();
}

/** GITHUB_WEBHOOK_SECRET unset: the one in the data directory, generated on first start (docs/architecture.md §9, as the admin token). */
function generatedWebhookSecret(dataDir: string, log: ReturnType<typeof createLogger>): string {
  const secret = secretInDataDir({ dataDir, file: 'webhook-secret', variable: 'GITHUB_WEBHOOK_SECRET', minLength: MIN_WEBHOOK_SECRET_LENGTH });
  const what = secret.source === 'generated' ? 'created the webhook secret on first start; give it to GitHub as the webhook secret' : 'webhook secret';
  log.info({ file: secret.path }, what);
  return secret.value;
}

/** The kubeconfig lookup of docs/architecture.md §9 when KUBECONFIG is unset: ~/.kube/config if present. */
function defaultKubeconfig(): string | undefined {
  const file = join(homedir(), '.kube', 'config');
  return existsSync(file) ? file : undefined;
}

export type { Server };
