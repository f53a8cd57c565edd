import type { ProviderHttp } from '../http/provider-http';
import { buildKey } from '@sluice/contracts';
import type { ReadTreeOptions, ScmBranch, ScmCombinedStatus, ScmCommit, ScmComparison, ScmFile, ScmPullRequest, ScmReader, ScmRepository, ScmStatus } from '../port';
import { RestScmReader } from '../http/rest-reader';
import { instantOf } from '../github/webhooks/normalise';
import { GITLAB_PIPELINE_CONCLUSIONS } from './webhooks/normalise';

interface GlProject {
  id: number;
  path_with_namespace: string;
  default_branch: string | null;
  visibility: string;
  archived: boolean;
}
interface GlCommit {
  id: string;
  message: string;
  author_name: string | null;
  author_email: string | null;
  authored_date: string | null;
}
interface GlBranch {
  name: string;
  commit: { id: string };
}
interface GlTreeEntry {
  id: string;
  path: string;
  type: 'blob' | 'tree' | 'commit';
}
/** A pipeline as `GET /projects/:id/pipelines` lists it (https://docs.gitlab.com/ee/api/pipelines.html#list-project-pipelines). */
interface GlPipeline {
  id: number;
  sha: string;
  status: string;
  created_at: string | null;
  /** `workflow:name`; null (or absent before GitLab 16) when unnamed. */
  name?: string | null;
  web_url: string | null;
}
/** A merge request (https://docs.gitlab.com/ee/api/merge_requests.html#get-single-mr). */
interface GlMergeRequest {
  iid: number;
  project_id: number;
  source_project_id: number;
  /** opened, closed, locked, merged. */
  state: string;
  source_branch: string;
  /** The head commit of the source branch. */
  sha: string;
}
interface GlFile {
  size: number;
  encoding: string;
  content: string;
  blob_id: string;
}

const PER_PAGE = 100;
/** A bound on pages read for one listing (10,000 entries). */
const MAX_PAGES = 100;

/**
 * The parts of `ScmReader` that repo-sync's catalogue and config discovery use, over GitLab's
 * REST v4 (`/projects/:id/repository/…`). A project is addressed by its URL-encoded path;
 * every URL is built from the configured API base, never from a payload.
 */
export class GitLabScm extends RestScmReader implements ScmReader {
  constructor(http: ProviderHttp, apiUrl: string, token: string) {
    super(http, apiUrl, token, 'GitLab');
  }

  async getRepo(fullName: string): Promise<ScmRepository> {
    return repositoryOf(await this.get<GlProject>(this.projectUrl(fullName), `project ${fullName}`));
  }

  /**
   * The projects the token's user is a member of, archived ones left out
   * (`GET /projects?membership=true&archived=false`, https://docs.gitlab.com/ee/api/projects.html#list-all-projects).
   */
  async listInstallationRepos(): Promise<ScmRepository[]> {
    const projects = await this.pages<GlProject>(`${this.apiUrl}/projects`, { membership: 'true', archived: 'false', order_by: 'id', sort: 'asc' }, 'projects');
    return projects.map(repositoryOf);
  }

  async listBranches(fullName: string): Promise<ScmBranch[]> {
    const branches = await this.pages<GlBranch>(`${this.projectUrl(fullName)}/repository/branches`, {}, `project ${fullName}`);
    return branches.map((b) => ({ name: b.name, sha: b.commit.id }));
  }

  /**
   * A commit's builds are its pipelines (`GET /projects/:id/pipelines?sha=`,
   * https://docs.gitlab.com/ee/api/pipelines.html#list-project-pipelines): the newest of each name,
   * named, linked and concluded as the Pipeline Hook's normalisation does (`name || 'pipeline'`,
   * its `web_url`, GITLAB_PIPELINE_CONCLUSIONS) — so a build read here and the same build by
   * webhook are one build and one event. A pipeline holds the commit's jobs and the external
   * statuses posted for it, so no commit status is left out.
   */
  async getCombinedStatus(fullName: string, sha: string): Promise<ScmCombinedStatus> {
    const pipelines = await this.pages<GlPipeline>(`${this.projectUrl(fullName)}/pipelines`, { sha, order_by: 'id', sort: 'asc' }, `project ${fullName}`);
    const newest = new Map<string, GlPipeline>();
    for (const p of pipelines.filter((x) => x.sha === sha).sort((a, b) => a.id - b.id)) newest.set(buildKey(p.name || 'pipeline'), p);
    const statuses = [...newest.values()].map((p): ScmStatus => {
      const conclusion = GITLAB_PIPELINE_CONCLUSIONS[p.status];
      const state = !conclusion ? 'pending' : conclusion === 'success' || conclusion === 'skipped' ? 'success' : conclusion === 'failure' ? 'failure' : 'error';
      // The pipeline's id and start order it as the Pipeline Hook's `run` does; the list has no `finished_at`: no update time.
      const run = { source: 'workflow_run' as const, id: p.id, attempt: null, progress: !conclusion ? (p.status === 'running' ? 'in_progress' : 'queued') : 'completed', startedAt: instantOf(p.created_at), updatedAt: null } as const;
      return { context: p.name || 'pipeline', state, targetUrl: p.web_url ?? null, run, ...(conclusion ? { conclusion } : {}) };
    });
    return this.combined(sha, statuses);
  }

  /**
   * A merge request by its iid (`GET /projects/:id/merge_requests/:iid`): `opened` is open, any other
   * state closed; the head repository is the source project's path (a fork's; null when it is gone).
   */
  override async getPullRequest(fullName: string, number: number): Promise<ScmPullRequest | null> {
    if (!Number.isSafeInteger(number) || number < 1) throw new Error(`merge request iid must be a positive integer, got ${number}`);
    const mr = await this.find<GlMergeRequest>(`${this.projectUrl(fullName)}/merge_requests/${number}`);
    if (!mr) return null;
    const headRepo = mr.source_project_id === mr.project_id ? fullName : ((await this.find<GlProject>(`${this.apiUrl}/projects/${mr.source_project_id}`))?.path_with_namespace ?? null);
    return { number: mr.iid, state: mr.state === 'opened' ? 'open' : 'closed', headRef: mr.source_branch, headSha: mr.sha, headRepo };
  }

  async getBranch(fullName: string, branch: string): Promise<ScmBranch | null> {
    const b = await this.find<GlBranch>(`${this.projectUrl(fullName)}/repository/branches/${encodeURIComponent(branch)}`);
    return b && { name: b.name, sha: b.commit.id };
  }

  async getCommit(fullName: string, ref: string): Promise<ScmCommit> {
    const c = await this.get<GlCommit>(`${this.projectUrl(fullName)}/repository/commits/${encodeURIComponent(ref)}`, `commit ${ref} of ${fullName}`);
    return { sha: c.id, message: c.message, authorName: c.author_name, authorEmail: c.author_email, timestamp: c.authored_date };
  }

  async readTree(fullName: string, sha: string, path: string, options: ReadTreeOptions = {}): Promise<ScmFile[]> {
    const include = options.include ?? (() => true);
    const max = options.maxFileBytes ?? 1024 * 1024;
    const tree = await this.pages<GlTreeEntry>(`${this.projectUrl(fullName)}/repository/tree`, { path, ref: sha, recursive: 'true' }, null);
    // An absent path is GitLab's 404 "Tree Not Found": no files.
    if (tree === null) return [];
    const files: ScmFile[] = [];
    for (const entry of tree.filter((e) => e.type === 'blob' && include(e.path))) {
      const file = await this.file(fullName, sha, entry.path);
      if (!file) continue;
      files.push({ path: entry.path, sha: file.blob_id, size: file.size, content: file.size > max ? null : decode(file) });
    }
    return files;
  }

  async readFile(fullName: string, ref: string, path: string): Promise<string | null> {
    const file = await this.file(fullName, ref, path);
    return file && decode(file);
  }

  /** GitLab's compare lists the commits of `to` since the merge base; both directions give ahead and behind. */
  async compareCommits(fullName: string, base: string, head: string): Promise<ScmComparison> {
    const count = async (from: string, to: string) => {
      const q = new URLSearchParams({ from, to });
      const res = await this.get<{ commits: unknown[] }>(`${this.projectUrl(fullName)}/repository/compare?${q}`, `commits ${from}, ${to} of ${fullName}`);
      return res.commits.length;
    };
    const [aheadBy, behindBy] = await Promise.all([count(base, head), count(head, base)]);
    return this.comparison(aheadBy, behindBy);
  }

  private file(fullName: string, ref: string, path: string): Promise<GlFile | null> {
    return this.find<GlFile>(`${this.projectUrl(fullName)}/repository/files/${encodeURIComponent(path)}?ref=${encodeURIComponent(ref)}`);
  }

  private projectUrl(fullName: string): string {
    return `${this.apiUrl}/projects/${encodeURIComponent(fullName)}`;
  }

  /** Every page of a listing (at most MAX_PAGES); `what` null = an absent resource is null, else ScmNotFoundError. */
  private async pages<T>(url: string, query: Record<string, string>, what: string): Promise<T[]>;
  private async pages<T>(url: string, query: Record<string, string>, what: null): Promise<T[] | null>;
  private async pages<T>(url: string, query: Record<string, string>, what: string | null): Promise<T[] | null> {
    const out: T[] = [];
    for (let page = 1; page <= MAX_PAGES; page++) {
      const q = new URLSearchParams({ ...query, per_page: String(PER_PAGE), page: String(page) });
      const batch = what === null ? await this.find<T[]>(`${url}?${q}`) : await this.get<T[]>(`${url}?${q}`, what);
      if (batch === null) return null;
      out.push(...batch);
      if (batch.length < PER_PAGE) break;
    }
    return out;
  }
}

function repositoryOf(p: GlProject): ScmRepository {
  return { fullName: p.path_with_namespace, id: p.id, defaultBranch: p.default_branch ?? 'main', private: p.visibility !== 'public', archived: p.archived };
}

function decode(file: GlFile): string {
  return file.encoding === 'base64' ? Buffer.from(file.content, 'base64').toString('utf8') : file.content;
}
