import type { ProviderHttp } from '../http/provider-http';
import type { BitbucketBuildStatus, BitbucketBuildStatusInput, BitbucketStatusWrites } from '../write-port';

/** Bitbucket Cloud build statuses: one per (commit, key); a POST with the same key updates it. */
export class BitbucketStatuses implements BitbucketStatusWrites {
  constructor(
    private readonly http: ProviderHttp,
    private readonly apiUrl: string,
    private readonly token: string,
  ) {}

  async getBuildStatus(fullName: string, sha: string, key: string): Promise<BitbucketBuildStatus | null> {
    const res = await this.http.request<BitbucketBuildStatus>({
      method: 'GET',
      url: `${this.commitUrl(fullName, sha)}/statuses/build/${encodeURIComponent(key)}`,
      headers: this.headers(),
      accept: [404],
    });
    return res.status === 404 ? null : res.body;
  }

  async createBuildStatus(fullName: string, sha: string, input: BitbucketBuildStatusInput): Promise<BitbucketBuildStatus> {
    const res = await this.http.request<BitbucketBuildStatus>({ method: 'POST', url: `${this.commitUrl(fullName, sha)}/statuses/build`, headers: this.headers(), body: input });
    return res.body;
  }

  private commitUrl(fullName: string, sha: string): string {
    return `${this.apiUrl}/repositories/${fullName}/commit/${sha}`;
  }

  private headers(): Record<string, string> {
    return { Authorization: `Bearer ${this.token}` };
  }
}
