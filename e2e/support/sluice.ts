// The two ways the end-to-end files run Sluice: five service processes on Kafka and
// PostgreSQL (distributed), or the all-in-one app as `npm start` runs it. Both are driven
// through the same small interface, so the scenario is written once.
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { SERVICE_NAMES, serviceForPath, type ServiceName } from '@sluice/contracts';
import { createTestDatabase, freePort, kafkaBrokers, requireEnv, uniqueName, type TestDatabase } from '@sluice/testing';
import { ServiceProcess } from './process';
import { ADMIN_TOKEN, GITHUB_TOKEN, WEBHOOK_SECRET, type World } from './world';

export interface SluiceUnderTest {
  readonly adminToken: string;
  /** Where `POST /webhooks/github` goes. */
  readonly webhookUrl: string;
  /** The base URL that serves `path` (the service that owns it in distributed mode). */
  urlFor(path: string): string;
  stop(): Promise<void>;
}

export const SERVICES = SERVICE_NAMES;
export type { ServiceName };
/** Which service answers a path (docs/architecture.md §7). */
export const serviceOf = serviceForPath;

export interface Distributed extends SluiceUnderTest {
  /** The first replica of each service (the one `urlFor` answers with). */
  readonly services: Record<ServiceName, ServiceProcess>;
  /** Every replica of each service (`replicas` of them; the first is `services[name]`). */
  readonly replicas: Record<ServiceName, ServiceProcess[]>;
  readonly db: TestDatabase;
  readonly topicPrefix: string;
  /** kill -9, then start again and wait until it is ready. */
  crashAndRestart(name: ServiceName, between?: () => Promise<void>): Promise<void>;
}

export interface DistributedOptions {
  /** Extra settings per service (or for all with key `*`). */
  readonly env?: Partial<Record<ServiceName | '*', Record<string, string>>>;
  /**
   * Run the services compiled (scripts/build-dist.mjs output in this directory, relative to
   * the repository root) instead of through @swc-node/register: what a benchmark measures.
   */
  readonly compiledDir?: string;
  /** The services' DATABASE_URL from the test database's (e.g. through a proxy the test can cut). */
  readonly databaseUrl?: (url: string) => string;
  /** Processes per service (each its own port and log file, `<name>-<n>.log` after the first); default 1. */
  readonly replicas?: number;
}

/** Starts the five services as child processes on one fresh database and a fresh Kafka topic prefix. */
export async function startDistributed(world: World, options: DistributedOptions = {}): Promise<Distributed> {
  const db = await createTestDatabase(`e2e_${world.name.replace(/-/g, '_')}`);
  const topicPrefix = `${uniqueName('e2e')}.`;
  const dataDir = join(world.runDir, 'data');
  mkdirSync(dataDir, { recursive: true });
  const common: Record<string, string> = {
    DATABASE_URL: options.databaseUrl ? options.databaseUrl(db.url) : db.url,
    KAFKA_BROKERS: kafkaBrokers().join(','),
    SLUICE_KAFKA_TOPIC_PREFIX: topicPrefix,
    KUBECONFIG: requireEnv('KUBECONFIG'),
    GITHUB_API_URL: world.github.url,
    GITHUB_TOKEN,
    GITHUB_WEBHOOK_SECRET: WEBHOOK_SECRET,
    SLUICE_ADMIN_TOKEN: ADMIN_TOKEN,
    SLUICE_DATA_DIR: dataDir,
    LOG_LEVEL: process.env['SLUICE_E2E_LOG_LEVEL'] ?? 'info',
  };
  const own: Record<ServiceName, Record<string, string>> = {
    'webhook-ingest': { WEBHOOK_RECOVERY_INTERVAL_SECONDS: '0' },
    // As in the all-in-one below: the e2e files play the webhooks; e2e/git-polling tests polling.
    'repo-sync': { REPO_SYNC_POLL_SECONDS: '0' },
    autodeploy: {},
    'kube-applier': {
      KUBE_APPLIER_TARGET: 'kube',
      KUBE_APPLIER_WATCH_NAMESPACE: world.namespace,
      KUBE_APPLIER_HEALTH_POLL_SECONDS: '0.5',
      KUBE_APPLIER_RESYNC_SECONDS: '10',
      KUBE_APPLIER_PROGRESS_DEADLINE_SECONDS: '120',
    },
    'commit-status': {
      COMMIT_STATUS_STORE: 'kubernetes',
      COMMIT_STATUS_NAMESPACE: world.namespace,
      COMMIT_STATUS_WATCH_NAMESPACE: world.namespace,
      COMMIT_STATUS_MIN_WRITE_INTERVAL_MS: '100',
      COMMIT_STATUS_RESYNC_SECONDS: '30',
    },
  };
  const services = {} as Record<ServiceName, ServiceProcess>;
  const replicas = {} as Record<ServiceName, ServiceProcess[]>;
  for (const name of SERVICES) {
    replicas[name] = [];
    for (let n = 1; n <= (options.replicas ?? 1); n++) {
      const port = await freePort();
      replicas[name].push(
        new ServiceProcess({
          name: n === 1 ? name : `${name}-${n}`,
          main: options.compiledDir ? join(options.compiledDir, 'apps', name, 'src', 'main.js') : `apps/${name}/src/main.ts`,
          port,
          env: { ...common, ...options.env?.['*'], ...own[name], ...options.env?.[name], PORT: String(port) },
          logFile: join(world.runDir, n === 1 ? `${name}.log` : `${name}-${n}.log`),
        }),
      );
    }
    services[name] = replicas[name][0]!;
  }
  const all = Object.values(replicas).flat();
  try {
    for (const s of all) s.start();
    await Promise.all(all.map((s) => s.waitReady(180_000)));
  } catch (error) {
    await Promise.all(all.map((s) => s.stop()));
    await db.drop().catch(() => undefined);
    throw error;
  }
  return {
    adminToken: ADMIN_TOKEN,
    webhookUrl: `${services['webhook-ingest'].url}/webhooks/github`,
    urlFor: (path) => services[serviceOf(path)].url,
    services,
    replicas,
    db,
    topicPrefix,
    async crashAndRestart(name, between) {
      await services[name].kill9();
      await between?.();
      services[name].start();
      await services[name].waitReady(180_000);
    },
    async stop() {
      await Promise.all(all.map((s) => s.stop()));
      await db.drop().catch(() => undefined);
    },
  };
}

/** The all-in-one app (`npm start` = apps/sluice/src/main.ts) on an embedded database in a temp dir. */
export interface AllInOneApp extends SluiceUnderTest {
  readonly process: ServiceProcess;
}

export async function startAllInOneApp(world: World, env: Record<string, string> = {}): Promise<AllInOneApp> {
  const dataDir = join(world.runDir, 'data');
  mkdirSync(dataDir, { recursive: true });
  // A port free a moment ago may be taken by the time the app binds it (another test process, or
  // an outgoing connection's ephemeral port): the app exits with EADDRINUSE and starts again on another.
  for (let attempt = 1; ; attempt++) {
    try {
      return await startAllInOneOn(await freePort(), dataDir, world, env);
    } catch (error) {
      if (attempt >= 3 || !/EADDRINUSE/.test(String(error))) throw error;
    }
  }
}

async function startAllInOneOn(port: number, dataDir: string, world: World, env: Record<string, string>): Promise<AllInOneApp> {
  const app = new ServiceProcess({
    name: 'sluice',
    main: 'apps/sluice/src/main.ts',
    port,
    env: {
      SLUICE_DATA_DIR: dataDir,
      SLUICE_PORT: String(port),
      GITHUB_API_URL: world.github.url,
      GITHUB_TOKEN,
      GITHUB_WEBHOOK_SECRET: WEBHOOK_SECRET,
      KUBECONFIG: requireEnv('KUBECONFIG'),
      // The embedded defaults: no DATABASE_URL, no KAFKA_BROKERS.
      DATABASE_URL: '',
      KAFKA_BROKERS: '',
      PORT: '',
      SLUICE_ADMIN_TOKEN: '',
      WEBHOOK_RECOVERY_INTERVAL_SECONDS: '0',
      // The e2e files play GitHub's webhooks in orders of their own; Git polling would read the
      // fake's heads behind their back. e2e/git-polling turns it on.
      REPO_SYNC_POLL_SECONDS: '0',
      KUBE_APPLIER_TARGET: 'kube',
      KUBE_APPLIER_WATCH_NAMESPACE: world.namespace,
      KUBE_APPLIER_HEALTH_POLL_SECONDS: '0.5',
      KUBE_APPLIER_RESYNC_SECONDS: '10',
      COMMIT_STATUS_STORE: 'kubernetes',
      COMMIT_STATUS_NAMESPACE: world.namespace,
      COMMIT_STATUS_WATCH_NAMESPACE: world.namespace,
      COMMIT_STATUS_MIN_WRITE_INTERVAL_MS: '100',
      LOG_LEVEL: process.env['SLUICE_E2E_LOG_LEVEL'] ?? 'info',
      ...env,
    },
    logFile: join(world.runDir, 'sluice.log'),
  });
  app.start();
  try {
    await app.waitReady(180_000);
  } catch (error) {
    await app.stop();
    throw error;
  }
  // First start without SLUICE_ADMIN_TOKEN: the admin token was generated into the data dir (docs/architecture.md §9).
  const adminToken = env['SLUICE_ADMIN_TOKEN'] || readFileSync(join(dataDir, 'admin-token'), 'utf8').trim();
  return {
    adminToken,
    webhookUrl: `${app.url}/webhooks/github`,
    urlFor: () => app.url,
    process: app,
    stop: () => app.stop(),
  };
}
