import type { ProviderIds, StatusFields } from '../../domain/model';
import { differences, githubCommitStatusMapping, type CommitStatusPayload } from '../../domain/mapping';
import type { ObservedStatus } from '../../domain/reconcile';
import type { ScmStatusProvider, StatusTarget } from '../../application/ports';
import type { GitHubAuthProvider } from './github-auth';
import type { ScmHttp } from './scm-http';

const GITHUB_HEADERS = { Accept: 'application/vnd.github+json', 'X-GitHub-Api-Version': '2022-11-28' };
/** Statuses are listed newest first; a context buried deeper than this is written again rather than searched for. */
const MAX_PAGES = 5;

/**
 * GitHub commit statuses (authenticated by a token). Every POST adds a status to the context
 * (GitHub keeps at most 1,000 per context and commit), which is why the reconciler posts only
 * when the latest status of the context differs from the spec.
 */
export class GitHubStatusesProvider implements ScmStatusProvider {
  constructor(
    private readonly http: ScmHttp,
    private readonly auth: GitHubAuthProvider,
  ) {}

  async read(target: StatusTarget, desired: StatusFields, _known: ProviderIds | undefined): Promise<ObservedStatus | null> {
    const { header, credential } = await this.auth.authFor(target.repo);
    const headers = { ...GITHUB_HEADERS, Authorization: header };
    const base = `${target.repo.identity.apiUrl}/repos/${target.repo.identity.fullName}/commits/${target.sha}/statuses`;
    for (let page = 1; page <= MAX_PAGES; page++) {
      const res = await this.http.request<CommitStatusPayload[]>({ method: 'GET', url: `${base}?per_page=100&page=${page}`, credential, headers });
      const found = res.body.find((s) => s.context === desired.name);
      if (found) return observe(found, desired, target);
      if (res.body.length < 100) break;
    }
    return null;
  }

  async write(target: StatusTarget, desired: StatusFields): Promise<ObservedStatus> {
    const { header, credential } = await this.auth.authFor(target.repo);
    const headers = { ...GITHUB_HEADERS, Authorization: header };
    const p = githubCommitStatusMapping.toPayload(desired, { fullName: target.repo.identity.fullName, sha: target.sha });
    const body = { state: p.state, context: p.context, description: p.description, ...(p.target_url ? { target_url: p.target_url } : {}) };
    const res = await this.http.request<CommitStatusPayload>({
      method: 'POST',
      url: `${target.repo.identity.apiUrl}/repos/${target.repo.identity.fullName}/statuses/${target.sha}`,
      credential,
      headers,
      body,
      write: true,
    });
    return observe(res.body, desired, target);
  }
}

function observe(s: CommitStatusPayload, desired: StatusFields, target: StatusTarget): ObservedStatus {
  const status = { state: s.state, context: s.context, description: s.description ?? '', target_url: s.target_url ?? null };
  const diff = differences(githubCommitStatusMapping, desired, { fullName: target.repo.identity.fullName, sha: target.sha }, status);
  return { fields: githubCommitStatusMapping.fromPayload(status), matches: diff.length === 0, differences: diff, ids: {} };
}
