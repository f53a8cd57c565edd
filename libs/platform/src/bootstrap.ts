import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { DynamicModule, INestApplication, Module, Type } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import type { DestinationStream } from 'pino';
import type { z } from 'zod';
import { commonConfigSchema, CommonConfig, ConfigError, httpPortOf, loadConfig, withCommonChecks } from './config/config';
import { SluiceConfigModule } from './config/config.module';
import { HealthModule } from './health/health.module';
import { httpMetricsMiddleware, metricsRegistry } from './health/metrics';
import { HttpErrorFilter } from './http/error.filter';
import { JsonBodyInterceptor } from './http/json-body.interceptor';
import { configureLogging, createLogger, rootLogger } from './logging/logger';
import { NestLogger } from './logging/nest-logger';
import { requestContextMiddleware } from './logging/request-context';

export type ModuleLike = Type<unknown> | DynamicModule;

export interface HttpServerTimeouts {
  /** Time to receive the request headers; default 10 s. */
  readonly headersTimeoutMs?: number;
  /** Time to receive the whole request; default 30 s. */
  readonly requestTimeoutMs?: number;
  /** Idle keep-alive sockets are closed after this; default 5 s. */
  readonly keepAliveTimeoutMs?: number;
}

export interface ConfigureAppOptions extends HttpServerTimeouts {
  /** Limit of JSON and urlencoded bodies (e.g. `'25mb'` for webhooks); Nest's default is 100 kb. */
  readonly bodyLimit?: string;
  /**
   * Close the app on SIGTERM/SIGINT (default true). False where the caller owns the
   * signals: the all-in-one closes its parts in order within one grace period.
   */
  readonly shutdownHooks?: boolean;
}

export interface BootstrapOptions<C extends CommonConfig = CommonConfig> extends ConfigureAppOptions {
  /** Service name: the `service` field of every log line and metric. */
  readonly name: string;
  /** The service's root module, or a function building it from the loaded config. */
  readonly module: ModuleLike | ((config: C) => ModuleLike);
  /** Already-loaded config; otherwise loaded from the environment with `schema`. */
  readonly config?: C;
  /** Default: `commonConfigSchema` (the common cross-field checks are always applied). */
  readonly schema?: z.ZodType<C>;
  /** Default: `PORT`, else `SLUICE_PORT`. 0 picks a free port (tests). */
  readonly port?: number;
  /** Default: `SLUICE_HOST` (127.0.0.1; set 0.0.0.0 in a container). */
  readonly host?: string;
  /** Keep the raw request body (`req.rawBody`), e.g. to verify webhook signatures. */
  readonly rawBody?: boolean;
  /**
   * Nest's JSON/urlencoded body parsers; default on. Off for a service that reads its
   * request streams itself (webhook-ingest caps the raw body while streaming).
   */
  readonly bodyParser?: boolean;
  /** Where log lines go; default stdout. Tests pass a stream to read them. */
  readonly logDestination?: DestinationStream;
  /**
   * Runs after `configureApp` and before `listen`, e.g. to mount the OpenAPI document:
   * routes added after listening would sit behind Nest's 404 handler.
   */
  readonly configure?: (app: INestApplication) => void | Promise<void>;
  /**
   * Runs once the application is initialised (providers ready, modules bootstrapped) and before it
   * listens: e.g. `startSluiceConsumers`, which serves the service's `@OnSluiceEvent` handlers.
   */
  readonly start?: (app: INestApplication) => Promise<unknown>;
}

/** Applies server timeouts so slow clients cannot hold sockets open. */
export function applyServerTimeouts(server: Server, timeouts: HttpServerTimeouts = {}): void {
  const requestTimeout = timeouts.requestTimeoutMs ?? 30_000;
  server.headersTimeout = Math.min(timeouts.headersTimeoutMs ?? 10_000, requestTimeout);
  server.requestTimeout = requestTimeout;
  server.keepAliveTimeout = timeouts.keepAliveTimeoutMs ?? 5_000;
}

/**
 * The signals a service closes on. Only these: Nest's default is every signal it knows, SIGUSR2
 * among them, so a `kill -USR2` asking for a heap snapshot (`node --heapsnapshot-signal=SIGUSR2`)
 * shut the service down instead.
 */
const SHUTDOWN_SIGNALS = ['SIGTERM', 'SIGINT'] as const;

/**
 * What every Sluice HTTP app gets, also for apps built by tests with
 * `@nestjs/testing`: Nest's logging through the Sluice logger, per request a correlation
 * id and context, a log line and the request metrics, the global error filter (one error
 * body for everything, 404/405 with `Allow` for a request no route took), 415 for a non-JSON
 * body on a route that reads JSON, shutdown hooks, body limits and server timeouts.
 *
 * The order of answers: 404/405 (routing) first, then 401/403 (the route's guards), then 415
 * (the body's type), then 400/422 (the body's content).
 */
export function configureApp(app: INestApplication, options: ConfigureAppOptions = {}): INestApplication {
  app.useLogger(new NestLogger());
  app.use(requestContextMiddleware, httpMetricsMiddleware);
  app.useGlobalFilters(new HttpErrorFilter());
  app.useGlobalInterceptors(new JsonBodyInterceptor());
  if (options.shutdownHooks !== false) app.enableShutdownHooks([...SHUTDOWN_SIGNALS]);
  const express = app as NestExpressApplication;
  if (typeof express.disable === 'function') express.disable('x-powered-by');
  if (options.bodyLimit !== undefined && typeof express.useBodyParser === 'function') {
    express.useBodyParser('json', { limit: options.bodyLimit });
    express.useBodyParser('urlencoded', { limit: options.bodyLimit, extended: true });
  }
  applyServerTimeouts(app.getHttpServer() as Server, options);
  return app;
}

/**
 * Starts one service: loads and validates the config (a bad setting throws
 * `ConfigError` before anything starts), sets up logging, builds the Nest app around
 * the service module with config, logging and health, and listens.
 */
export async function bootstrapService<C extends CommonConfig = CommonConfig>(options: BootstrapOptions<C>): Promise<INestApplication> {
  const config: C =
    options.config ?? (loadConfig(withCommonChecks((options.schema ?? commonConfigSchema) as z.ZodType<CommonConfig>)) as C);
  configureLogging({ level: config.LOG_LEVEL, service: options.name, destination: options.logDestination });
  metricsRegistry.setDefaultLabels({ service: options.name });
  const log = createLogger('bootstrap');

  const serviceModule = typeof options.module === 'function' && !isModuleClass(options.module)
    ? (options.module as (config: C) => ModuleLike)(config)
    : (options.module as ModuleLike);

  @Module({})
  class SluiceRootModule {}
  const root: DynamicModule = {
    module: SluiceRootModule,
    imports: [SluiceConfigModule.forRoot(config), HealthModule, serviceModule],
  };

  const app = await NestFactory.create<NestExpressApplication>(root, {
    bufferLogs: true,
    rawBody: options.rawBody ?? false,
    bodyParser: options.bodyParser ?? true,
  });
  configureApp(app, options);
  await options.configure?.(app);
  await app.init();
  await options.start?.(app);

  const port = options.port ?? httpPortOf(config);
  const host = options.host ?? config.SLUICE_HOST;
  await app.listen(port, host);
  const address = (app.getHttpServer() as Server).address() as AddressInfo;
  log.info({ address: address.address, port: address.port }, 'listening');
  return app;
}

/** A Nest module class (decorated) as opposed to a `(config) => module` factory. */
function isModuleClass(value: unknown): boolean {
  return typeof value === 'function' && Reflect.getMetadataKeys(value).length > 0;
}

/**
 * For `main.ts`: `bootstrapService(...).catch(exitOnBootFailure)`. A bad setting is
 * logged as its message (naming the variables); anything else with its stack.
 */
export function exitOnBootFailure(err: unknown): never {
  const log = rootLogger();
  if (err instanceof ConfigError) log.fatal({ problems: err.problems }, err.message);
  else log.fatal({ err }, 'failed to start');
  process.exit(1);
}
