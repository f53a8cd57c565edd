import type { ProviderHttp } from '../http/provider-http';
import type { GitLabCommitStatus, GitLabCommitStatusInput, GitLabStatusWrites } from '../write-port';

/**
 * GitLab commit statuses (`/projects/:id/statuses/:sha`) over the shared provider HTTP
 * helper; a project is addressed by its URL-encoded path, so subgroups work.
 */
export class GitLabStatuses implements GitLabStatusWrites {
  constructor(
    private readonly http: ProviderHttp,
    private readonly apiUrl: string,
    private readonly token: string,
  ) {}

  async listCommitStatuses(project: string, sha: string, name: string): Promise<GitLabCommitStatus[]> {
    const q = new URLSearchParams({ name, per_page: '100' });
    const res = await this.http.request<GitLabCommitStatus[]>({ method: 'GET', url: `${this.projectUrl(project)}/repository/commits/${sha}/statuses?${q}`, headers: this.headers() });
    return res.body;
  }

  async createCommitStatus(project: string, sha: string, input: GitLabCommitStatusInput): Promise<GitLabCommitStatus> {
    // `name` and `context` carry the same value (older GitLab versions read `context`).
    const body = { ...input, context: input.name };
    const res = await this.http.request<GitLabCommitStatus>({ method: 'POST', url: `${this.projectUrl(project)}/statuses/${sha}`, headers: this.headers(), body });
    return res.body;
  }

  private projectUrl(project: string): string {
    return `${this.apiUrl}/projects/${encodeURIComponent(project)}`;
  }

  private headers(): Record<string, string> {
    return { Authorization: `Bearer ${this.token}` };
  }
}
