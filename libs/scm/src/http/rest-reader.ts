import { ScmNotFoundError } from '../errors';
import type { ScmBranch, ScmBranchesAnswer, ScmCheckRun, ScmCombinedStatus, ScmComparison, ScmPullRequest, ScmStatus } from '../port';
import type { ProviderHttp } from './provider-http';

/**
 * What GitLab's and Bitbucket's readers share: a bearer token on the shared provider HTTP client
 * (its rate budget and retries), 404 as absence, the combined state of a commit's builds, and the
 * parts of `ScmReader` those providers do not have (no conditional branch listing, no check runs).
 */
export abstract class RestScmReader {
  constructor(
    protected readonly http: ProviderHttp,
    protected readonly apiUrl: string,
    private readonly token: string,
    private readonly provider: string,
  ) {}

  abstract listBranches(fullName: string): Promise<ScmBranch[]>;

  /** No conditional request: always read. */
  async listBranchesIfChanged(fullName: string): Promise<ScmBranchesAnswer> {
    return { changed: true, branches: await this.listBranches(fullName), etag: null };
  }

  /** Bitbucket's pull requests are not read yet (they arrive by webhook); GitLab's reader reads merge requests. */
  async getPullRequest(fullName: string, number: number): Promise<ScmPullRequest | null> {
    throw new Error(`${this.provider}: pull requests are not read yet (#${number} of ${fullName} arrives by webhook)`);
  }

  /** Builds are commit statuses (GitLab: pipelines): there are no check runs. */
  async listCheckRunsForRef(): Promise<ScmCheckRun[]> {
    return [];
  }

  /** As GitHub combines statuses: failure if any failed, else pending if any runs (or none is there), else success. */
  protected combined(sha: string, statuses: readonly ScmStatus[]): ScmCombinedStatus {
    const has = (...states: string[]) => statuses.some((s) => states.includes(s.state));
    return { sha, state: has('failure', 'error') ? 'failure' : has('pending') || statuses.length === 0 ? 'pending' : 'success', statuses };
  }

  /** From the commits each side has that the other has not. */
  protected comparison(aheadBy: number, behindBy: number): ScmComparison {
    const status = aheadBy === 0 && behindBy === 0 ? 'identical' : behindBy === 0 ? 'ahead' : aheadBy === 0 ? 'behind' : 'diverged';
    return { status, aheadBy, behindBy };
  }

  protected async get<T>(url: string, what: string): Promise<T> {
    const body = await this.find<T>(url);
    if (body === null) throw new ScmNotFoundError(what);
    return body;
  }

  /** The answer's body; null for a 404. */
  protected async find<T>(url: string): Promise<T | null> {
    const res = await this.http.request<T>({ method: 'GET', url, headers: { Authorization: `Bearer ${this.token}` }, accept: [404] });
    return res.status === 404 ? null : res.body;
  }
}
