import { existsSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { join } from 'node:path';
import { DynamicModule, Inject, Module, OnModuleInit, type INestApplication } from '@nestjs/common';
import { ReadinessRegistry, SLUICE_CONFIG, type BootstrapOptions, type ReadinessResult } from '@sluice/platform';
import { apiProxy } from './api-proxy';
import { DASHBOARD_DIR, dashboardHandler, isDashboardPath } from './dashboard';
import { API_SERVICES, dashboardServerConfigSchema, type DashboardServerConfig, type ServiceUrls } from './settings';

/** How long one upstream's `/healthz` may take before `/readyz` counts it as down. */
const UPSTREAM_HEALTH_TIMEOUT_MS = 1500;

/** Ready while the service answers `/healthz` with a 2xx. The detail stays generic: `/readyz` is unauthenticated. */
export async function upstreamHealth(url: string, timeoutMs = UPSTREAM_HEALTH_TIMEOUT_MS): Promise<ReadinessResult> {
  try {
    const res = await fetch(`${url}/healthz`, { signal: AbortSignal.timeout(timeoutMs), headers: { accept: 'application/json' } });
    await res.body?.cancel();
    return res.ok ? { ok: true } : { ok: false, detail: `healthz answered ${res.status}` };
  } catch {
    return { ok: false, detail: 'unreachable' };
  }
}

const DASHBOARD_SERVER_OPTIONS = Symbol('DASHBOARD_SERVER_OPTIONS');

interface ReadinessOptions {
  readonly urls: ServiceUrls;
  readonly dashboardDir: string;
}

/** Registers what "ready" means here: the dashboard is built, and every API service answers. */
@Module({})
export class DashboardServerModule implements OnModuleInit {
  constructor(
    private readonly readiness: ReadinessRegistry,
    @Inject(DASHBOARD_SERVER_OPTIONS) private readonly options: ReadinessOptions,
  ) {}

  static forRoot(options: ReadinessOptions): DynamicModule {
    return { module: DashboardServerModule, providers: [{ provide: DASHBOARD_SERVER_OPTIONS, useValue: options }] };
  }

  onModuleInit(): void {
    const { urls, dashboardDir } = this.options;
    this.readiness.register('dashboard', () => (existsSync(join(dashboardDir, 'index.html')) ? { ok: true } : { ok: false, detail: 'not built (npm run build:dashboard)' }));
    for (const service of API_SERVICES) this.readiness.register(service, () => upstreamHealth(urls[service]));
  }
}

type Handler = (req: IncomingMessage, res: ServerResponse, next: () => void) => void;

/**
 * What the server answers besides its own `/healthz`, `/readyz` and `/metrics`: `/api/*` from the
 * service that owns the path, the dashboard's files and pages, and the JSON 404 of every
 * service (Nest's, through the platform's error filter) for any other path.
 */
export function mountDashboardServer(app: INestApplication, config: Pick<DashboardServerConfig, 'SLUICE_SERVICE_URLS' | 'SLUICE_OIDC_ISSUER'>, dashboardDir: string): void {
  const proxy = apiProxy(config.SLUICE_SERVICE_URLS);
  const dashboard = dashboardHandler(dashboardDir, { oidcIssuer: config.SLUICE_OIDC_ISSUER });
  const pages: Handler = (req, res, next) => {
    const pathname = (req.url ?? '/').split('?')[0] || '/';
    if (isDashboardPath(req.method ?? 'GET', pathname)) return dashboard(req, res);
    next();
  };
  app.use(proxy, pages);
}

export interface DashboardServerOptions {
  /** Where the built dashboard is; default `DASHBOARD_DIR` (apps/dashboard/dist). */
  readonly dashboardDir?: string;
}

/**
 * `bootstrapService(dashboardServer())`: the dashboard and its API in distributed mode (issue #21),
 * a read-only edge with no database and no events. Without body parsers, so a request's body
 * reaches the service byte for byte.
 */
export function dashboardServer(options: DashboardServerOptions & Partial<Pick<BootstrapOptions<DashboardServerConfig>, 'config' | 'port' | 'host' | 'logDestination'>> = {}): BootstrapOptions<DashboardServerConfig> {
  const dashboardDir = options.dashboardDir ?? DASHBOARD_DIR;
  return {
    ...options,
    name: 'dashboard-server',
    schema: dashboardServerConfigSchema,
    bodyParser: false,
    module: (config) => DashboardServerModule.forRoot({ urls: config.SLUICE_SERVICE_URLS, dashboardDir }),
    configure: (app) => mountDashboardServer(app, app.get<DashboardServerConfig>(SLUICE_CONFIG), dashboardDir),
  };
}
