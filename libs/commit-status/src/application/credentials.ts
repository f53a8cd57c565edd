import { ApiOriginPolicy } from '../domain/api-origins';
import { GitRepoUnusableError } from '../domain/errors';
import type { ProviderKind, RepoIdentity } from '../domain/model';
import type { ScmCredentials } from './ports';

/** Provider API bases and the credentials from configuration (PostgreSQL mode, and API-base defaults for GitRepos). */
export interface ProviderSettings {
  readonly github: { readonly apiUrl: string; readonly token?: string; readonly app?: { appId: string; privateKey: string; installationId?: number } };
  readonly gitlab: { readonly apiUrl: string; readonly token?: string };
  readonly bitbucket: { readonly apiUrl: string; readonly token?: string };
  /** Further trusted API origins besides the three bases (`SLUICE_SCM_API_HOSTS`). */
  readonly apiOrigins?: readonly string[];
}

/** The API origins a token may be sent to: the configured bases and the allow-list. */
export function apiOriginPolicy(settings: ProviderSettings): ApiOriginPolicy {
  return new ApiOriginPolicy([settings.github.apiUrl, settings.gitlab.apiUrl, settings.bitbucket.apiUrl], settings.apiOrigins ?? []);
}

/** Refuses a repository on an untrusted API origin before any credential is read or sent. */
export function assertTrustedApi(policy: ApiOriginPolicy, identity: RepoIdentity, what: string): void {
  const refusal = policy.refusal(identity.apiUrl);
  if (refusal !== null) throw new GitRepoUnusableError(`${what}: ${refusal}`);
}

/** A GitHub App wins over a token: check runs are the richer API. */
export function configuredCredentials(settings: ProviderSettings, provider: ProviderKind): ScmCredentials | null {
  if (provider === 'github') {
    const app = settings.github.app;
    if (app) return { kind: 'github-app', appId: app.appId, privateKey: app.privateKey, installationId: app.installationId };
  }
  const token = settings[provider].token;
  return token ? { kind: 'token', token } : null;
}

/** The credentials a Secret's data holds: `appId` + `privateKey` (+ `installationId`) for a GitHub App, else the token key. */
export function credentialsFromSecret(provider: ProviderKind, data: Record<string, string>, tokenKey: string): ScmCredentials | string {
  if (provider === 'github' && data.appId && data.privateKey) {
    const installationId = data.installationId ? Number(data.installationId) : undefined;
    if (installationId !== undefined && !Number.isInteger(installationId)) return 'installationId is not an integer';
    return { kind: 'github-app', appId: data.appId.trim(), privateKey: data.privateKey, installationId };
  }
  const token = data[tokenKey]?.trim();
  if (!token) return `has no "${tokenKey}" key${provider === 'github' ? ' (nor appId and privateKey for a GitHub App)' : ''}`;
  return { kind: 'token', token };
}
