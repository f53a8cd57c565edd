import { createAppAuth } from '@octokit/auth-app';
import { request as octokitRequest } from '@octokit/request';
import { GitRepoUnusableError } from '../../domain/errors';
import type { ResolvedRepo } from '../../application/ports';
import { ScmError } from '../../application/scm-errors';
import { credentialKey, providerMessage } from './scm-http';

export interface GitHubAuth {
  /** Authorization header value. */
  header: string;
  /** Rate-gate key: the installation (App) or the token's hash. */
  credential: string;
}

type AppAuth = ReturnType<typeof createAppAuth>;

/**
 * GitHub credentials: a token as is; a GitHub App via installation tokens (@octokit/auth-app
 * signs the JWT and caches installation tokens until shortly before they expire). The
 * installation of a repository is looked up once per repository when not configured.
 */
export class GitHubAuthProvider {
  private readonly apps = new Map<string, AppAuth>();
  private readonly installations = new Map<string, number>();

  async authFor(repo: ResolvedRepo): Promise<GitHubAuth> {
    const creds = repo.credentials;
    if (creds.kind === 'token') return { header: `Bearer ${creds.token}`, credential: credentialKey('github-token', creds.token) };
    const auth = this.appAuth(creds.appId, creds.privateKey, repo.identity.apiUrl);
    const installationId = creds.installationId ?? (await this.installationOf(auth, creds.appId, repo));
    try {
      const { token } = await auth({ type: 'installation', installationId });
      return { header: `Bearer ${token}`, credential: `github-app:${creds.appId}:${installationId}` };
    } catch (err) {
      throw toScmError(err, `GitHub App ${creds.appId}: installation token for ${repo.identity.fullName}`);
    }
  }

  private appAuth(appId: string, privateKey: string, apiUrl: string): AppAuth {
    const key = `${apiUrl}|${appId}`;
    let auth = this.apps.get(key);
    if (!auth) {
      auth = createAppAuth({ appId, privateKey, request: octokitRequest.defaults({ baseUrl: apiUrl }) });
      this.apps.set(key, auth);
    }
    return auth;
  }

  private async installationOf(auth: AppAuth, appId: string, repo: ResolvedRepo): Promise<number> {
    const cacheKey = `${repo.identity.apiUrl}|${appId}|${repo.identity.fullName}`;
    const cached = this.installations.get(cacheKey);
    if (cached !== undefined) return cached;
    const [owner, name] = splitFullName(repo.identity.fullName);
    try {
      const { token } = await auth({ type: 'app' });
      const res = await octokitRequest('GET /repos/{owner}/{repo}/installation', {
        baseUrl: repo.identity.apiUrl,
        owner,
        repo: name,
        headers: { authorization: `Bearer ${token}` },
      });
      const id = (res.data as { id: number }).id;
      this.installations.set(cacheKey, id);
      return id;
    } catch (err) {
      if ((err as { status?: number }).status === 404) {
        throw new GitRepoUnusableError(`the GitHub App ${appId} is not installed on ${repo.identity.fullName}`);
      }
      throw toScmError(err, `GitHub App ${appId}: installation of ${repo.identity.fullName}`);
    }
  }
}

export function splitFullName(fullName: string): [string, string] {
  const i = fullName.lastIndexOf('/');
  return [fullName.slice(0, i), fullName.slice(i + 1)];
}

/**
 * An answer's error carries its status and the provider's `message` field only (octokit's own
 * message may be the raw body); an error without an answer (network, signing) keeps its own.
 */
function toScmError(err: unknown, where: string): ScmError {
  const status = (err as { status?: number }).status;
  const answer = (err as { response?: { data?: unknown } }).response;
  const message = answer ? providerMessage(answer.data) : err instanceof Error ? err.message : String(err);
  return new ScmError(`${where}: ${status ?? ''} ${message}`.trim(), status, status === undefined || status >= 500, { cause: err });
}
