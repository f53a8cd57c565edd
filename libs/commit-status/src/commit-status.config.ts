import { z } from 'zod';
import { catalogueVisibilitySetting } from '@sluice/auth';
import { commonConfigSchema, httpUrlSetting, postgresUrlSetting } from '@sluice/platform';

const positiveInt = (error: string) => z.string().regex(/^\d+$/, { error }).transform(Number).pipe(z.number().int().positive({ error }));
/** `https://host[:port]` origins, comma-separated → their normalised origins. Never http: a token sent over http is readable on the way. */
const httpsOriginList = z
  .string()
  .transform((s) => s.split(',').map((x) => x.trim()).filter((x) => x.length > 0))
  .refine((list) => list.length > 0 && list.every(isHttpsOrigin), { error: 'expected comma-separated https://host[:port] origins (no path, no credentials)' })
  .transform((list) => [...new Set(list.map((x) => new URL(x).origin))]);

function isHttpsOrigin(s: string): boolean {
  try {
    const u = new URL(s);
    return u.protocol === 'https:' && !u.username && !u.password && (u.pathname === '/' || u.pathname === '') && !u.search && !u.hash;
  } catch {
    return false;
  }
}

const dnsName = z.string().regex(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/, { error: 'expected a DNS-1123 name' }).max(253);

/** The common settings (docs/architecture.md §9) plus commit-status's own. */
export const commitStatusConfigSchema = commonConfigSchema.extend({
  /** The service keeps its inbox, events and (without a cluster) its records in PostgreSQL. */
  DATABASE_URL: postgresUrlSetting,
  /** Where CommitStatus records live: the cluster's custom resources, or PostgreSQL. Default: kubernetes when KUBECONFIG is set. */
  COMMIT_STATUS_STORE: z.enum(['kubernetes', 'postgres'], { error: 'expected kubernetes or postgres' }).optional(),
  /** Namespace of Sluice's own CommitStatuses and the GitRepos it creates for them. */
  COMMIT_STATUS_NAMESPACE: dnsName.default('sluice-system'),
  /** Only watch this namespace (default: all the service account may watch). */
  COMMIT_STATUS_WATCH_NAMESPACE: dnsName.optional(),
  /** The Secret (in COMMIT_STATUS_NAMESPACE) that GitRepos created by Sluice reference. */
  COMMIT_STATUS_GITHUB_SECRET: dnsName.default('sluice-github'),
  /** The same for Sluice's GitRepos of GitLab and Bitbucket repositories (a deploy of an artifact that lives there), key `token`. */
  COMMIT_STATUS_GITLAB_SECRET: dnsName.default('sluice-gitlab'),
  COMMIT_STATUS_BITBUCKET_SECRET: dnsName.default('sluice-bitbucket'),
  /** Every CommitStatus is re-read this often (drift detection). */
  COMMIT_STATUS_RESYNC_SECONDS: positiveInt('expected a number of seconds').default(600),
  /** At most one SCM write per this interval per installation/token. */
  COMMIT_STATUS_MIN_WRITE_INTERVAL_MS: positiveInt('expected milliseconds').default(1000),
  /** Links in Sluice's own statuses: the deploy's page in the dashboard, `<SLUICE_PUBLIC_URL>/deploys/<id>`. */
  SLUICE_PUBLIC_URL: httpUrlSetting.default('http://127.0.0.1:8080'),
  /** Also mirror Sluice's deploys as GitHub deployments + deployment statuses (environment = config name). */
  COMMIT_STATUS_GITHUB_DEPLOYMENTS: z.enum(['true', 'false'], { error: 'expected true or false' }).default('false').transform((v) => v === 'true'),
  /**
   * Show preview environments on their pull request (GitHub): a deployment per preview in
   * `preview/<config>/pr-<n>` and one comment per (config, pull request), edited in place.
   */
  COMMIT_STATUS_PREVIEWS: z.enum(['true', 'false'], { error: 'expected true or false' }).default('true').transform((v) => v === 'true'),
  GITHUB_APP_INSTALLATION_ID: positiveInt('expected a numeric installation id').optional(),
  GITLAB_API_URL: httpUrlSetting.default('https://gitlab.com/api/v4'),
  GITLAB_TOKEN: z.string().optional(),
  BITBUCKET_API_URL: httpUrlSetting.default('https://api.bitbucket.org/2.0'),
  BITBUCKET_TOKEN: z.string().optional(),
  /**
   * Trusted SCM API origins besides the three base URLs (GitHub Enterprise, self-managed
   * GitLab): a GitRepo's `apiUrl` on any other origin is refused before a token is sent.
   */
  SLUICE_SCM_API_HOSTS: httpsOriginList.optional(),
  /** Whose commit statuses a team token reads: `team` (its configs' repositories) or `installation` (all). */
  SLUICE_CATALOGUE_VISIBILITY: catalogueVisibilitySetting,
});

export type CommitStatusConfig = z.output<typeof commitStatusConfigSchema>;
