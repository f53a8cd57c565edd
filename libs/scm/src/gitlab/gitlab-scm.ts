import type { ProviderHttp } from '../http/provider-http';
import type { ReadTreeOptions, ScmBranch, ScmCommit, ScmComparison, ScmFile, ScmReader, ScmRepository } from '../port';
import { RestScmReader } from '../http/rest-reader';

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
    const p = await this.get<GlProject>(this.projectUrl(fullName), `project ${fullName}`);
    return { fullName: p.path_with_namespace, id: p.id, defaultBranch: p.default_branch ?? 'main', private: p.visibility !== 'public', archived: p.archived };
  }

  async listBranches(fullName: string): Promise<ScmBranch[]> {
    const out: ScmBranch[] = [];
    for (let page = 1; page <= MAX_PAGES; page++) {
      const batch = await this.get<GlBranch[]>(`${this.projectUrl(fullName)}/repository/branches?per_page=${PER_PAGE}&page=${page}`, `project ${fullName}`);
      out.push(...batch.map((b) => ({ name: b.name, sha: b.commit.id })));
      if (batch.length < PER_PAGE) break;
    }
    return out;
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
    const blobs: GlTreeEntry[] = [];
    for (let page = 1; page <= MAX_PAGES; page++) {
      const q = new URLSearchParams({ path, ref: sha, recursive: 'true', per_page: String(PER_PAGE), page: String(page) });
      const batch = await this.find<GlTreeEntry[]>(`${this.projectUrl(fullName)}/repository/tree?${q}`);
      // An absent path is GitLab's 404 "Tree Not Found": no files.
      if (batch === null) return [];
      blobs.push(...batch.filter((e) => e.type === 'blob'));
      if (batch.length < PER_PAGE) break;
    }
    const files: ScmFile[] = [];
    for (const entry of blobs.filter((e) => include(e.path))) {
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

}

function decode(file: GlFile): string {
  return file.encoding === 'base64' ? Buffer.from(file.content, 'base64').toString('utf8') : file.content;
}
