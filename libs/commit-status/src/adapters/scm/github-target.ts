import type { GitHubCredentials, GitHubRepoRef, GitHubWrites, ScmClients } from '@sluice/scm';
import type { ResolvedRepo } from '../../application/ports';

/** The GitHub writes of a resolved repository's credentials, from the process's client registry (one rate budget per credentials). */
export function githubWritesFor(clients: ScmClients, repo: ResolvedRepo): { writes: GitHubWrites; ref: GitHubRepoRef } {
  const creds = repo.credentials;
  const credentials: GitHubCredentials = creds.kind === 'token' ? { kind: 'token', token: creds.token } : { kind: 'app', appId: creds.appId, privateKey: creds.privateKey };
  return {
    writes: clients.githubWrites(repo.identity.apiUrl, credentials),
    ref: { fullName: repo.identity.fullName, ...(creds.kind === 'github-app' && creds.installationId !== undefined ? { installationId: creds.installationId } : {}) },
  };
}
