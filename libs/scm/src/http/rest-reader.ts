import { ScmNotFoundError } from '../errors';
import type { ScmBranch, ScmBranchesAnswer, ScmCheckRun, ScmCombinedStatus, ScmComparison, ScmPullRequest, ScmRepository } from '../port';
import type { ProviderHttp } from './provider-http';

/**
 * What GitLab's and Bitbucket's readers share: a bearer token on the shared provider HTTP client
 * (its rate budget and retries), 404 as absence, and the parts of `ScmReader` that those
 * providers' repositories do not need yet (they arrive by webhook, not by listing).
 */
export abstract class RestScmReader {
  constructor(
    protected readonly http: ProviderHttp,
    protected readonly apiUrl: string,
    private readonly token: string,
    private readonly provider: string,
  ) {}

  abstract listBranches(fullName: string): Promise<ScmBranch[]>;

  /** Repositories of this provider are found by webhook, not by listing what a token can see. */
  async listInstallationRepos(): Promise<ScmRepository[]> {
    return [];
  }

  /** No conditional request: always read. */
  async listBranchesIfChanged(fullName: string): Promise<ScmBranchesAnswer> {
    return { changed: true, branches: await this.listBranches(fullName), etag: null };
  }

  async getPullRequest(): Promise<ScmPullRequest | null> {
    throw new Error(`${this.provider}: pull requests are not read yet (they arrive by webhook)`);
  }

  async getCombinedStatus(): Promise<ScmCombinedStatus> {
    throw new Error(`${this.provider}: commit statuses are not read yet (builds arrive by webhook)`);
  }

  async listCheckRunsForRef(): Promise<ScmCheckRun[]> {
    return [];
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
