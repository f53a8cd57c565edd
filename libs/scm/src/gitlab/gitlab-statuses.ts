import type { ProviderHttp } from '../http/provider-http';
import type { GitLabCommitStatus, GitLabCommitStatusInput, GitLabNote, GitLabStatusWrites } from '../write-port';

/**
 * GitLab commit statuses (`/projects/:id/statuses/:sha`) and merge request notes
 * (`/projects/:id/merge_requests/:iid/notes`) over the shared provider HTTP helper; a project is
 * addressed by its URL-encoded path, so subgroups work.
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

  async listMergeRequestNotes(project: string, iid: number, page: number): Promise<GitLabNote[]> {
    const q = new URLSearchParams({ sort: 'asc', order_by: 'created_at', per_page: '100', page: String(page) });
    const res = await this.http.request<GitLabNote[]>({ method: 'GET', url: `${this.projectUrl(project)}/merge_requests/${iid}/notes?${q}`, headers: this.headers() });
    return res.body;
  }

  async createMergeRequestNote(project: string, iid: number, body: string): Promise<GitLabNote> {
    const res = await this.http.request<GitLabNote>({ method: 'POST', url: `${this.projectUrl(project)}/merge_requests/${iid}/notes`, headers: this.headers(), body: { body } });
    return res.body;
  }

  async updateMergeRequestNote(project: string, iid: number, noteId: number, body: string): Promise<GitLabNote> {
    const res = await this.http.request<GitLabNote>({ method: 'PUT', url: `${this.projectUrl(project)}/merge_requests/${iid}/notes/${noteId}`, headers: this.headers(), body: { body } });
    return res.body;
  }

  private projectUrl(project: string): string {
    return `${this.apiUrl}/projects/${encodeURIComponent(project)}`;
  }

  private headers(): Record<string, string> {
    return { Authorization: `Bearer ${this.token}` };
  }
}
