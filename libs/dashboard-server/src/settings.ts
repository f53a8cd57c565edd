import { SERVICE_NAMES, type ServiceName } from '@sluice/contracts';
import { commonConfigSchema, httpUrlSetting, loadConfig, withCommonChecks, type Env } from '@sluice/platform';
import { z } from 'zod';

/**
 * The services whose API the dashboard calls: every `/api/*` path belongs to one of them
 * (`serviceForPath`). webhook-ingest answers only `/webhooks/*`, which the dashboard never calls.
 */
export const API_SERVICES = ['autodeploy', 'repo-sync', 'kube-applier', 'commit-status'] as const satisfies readonly ServiceName[];
export type ApiService = (typeof API_SERVICES)[number];

/** The base URL of each service the dashboard server forwards to (webhook-ingest's, if given, is not used). */
export type ServiceUrls = Readonly<Record<ApiService, string>> & Readonly<Partial<Record<ServiceName, string>>>;

/**
 * `SLUICE_SERVICE_URLS=autodeploy=http://…,repo-sync=http://…,kube-applier=http://…,commit-status=http://…`:
 * the same setting, in the same form, as the CLI's against services without a gateway (README
 * "CLI"), so one value serves both. Every API service is required; a URL holds no credentials
 * (the caller's own `Authorization` is passed on) and messages never echo one.
 */
export const serviceUrlsSetting = z.string().transform((value, ctx): ServiceUrls => {
  const urls: Partial<Record<ServiceName, string>> = {};
  for (const pair of value.split(',').map((p) => p.trim()).filter(Boolean)) {
    const eq = pair.indexOf('=');
    const name = (eq < 0 ? pair : pair.slice(0, eq)).trim();
    if (!(SERVICE_NAMES as readonly string[]).includes(name)) {
      ctx.addIssue({ code: 'custom', message: `"${name}" is no service (expected service=url pairs; services: ${API_SERVICES.join(', ')})` });
      continue;
    }
    const url = httpUrlSetting.safeParse(eq < 0 ? '' : pair.slice(eq + 1).trim());
    if (!url.success) ctx.addIssue({ code: 'custom', message: `${name}: expected an http(s) URL` });
    else if (new URL(url.data).username || new URL(url.data).password) ctx.addIssue({ code: 'custom', message: `${name}: no credentials in the URL (the caller's Authorization is passed on)` });
    else urls[name as ServiceName] = url.data;
  }
  const missing = API_SERVICES.filter((s) => urls[s] === undefined);
  if (missing.length > 0) ctx.addIssue({ code: 'custom', message: `missing ${missing.join(', ')} (each of ${API_SERVICES.join(', ')} is required)` });
  return urls as ServiceUrls;
});

/**
 * The dashboard server's settings: the common ones (port, host, log level, `SLUICE_OIDC_ISSUER`
 * for the dashboard's content security policy…), none of which it requires (no database, no
 * Kafka), plus where each service's API is.
 */
export const dashboardServerConfigSchema = commonConfigSchema.extend({
  SLUICE_SERVICE_URLS: serviceUrlsSetting,
});

export type DashboardServerConfig = z.output<typeof dashboardServerConfigSchema>;

/** Loads and checks the settings as `bootstrapService` does; throws `ConfigError` naming each bad variable. */
export function loadDashboardServerConfig(env: Env = process.env): DashboardServerConfig {
  return loadConfig(withCommonChecks(dashboardServerConfigSchema), env) as DashboardServerConfig;
}
