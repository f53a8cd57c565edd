import { ScmNotFoundError } from '../errors';
import type { ProviderHttp } from '../http/provider-http';
import type { BuildConclusion } from '@sluice/contracts';
import type { ReadTreeOptions, ScmBranch, ScmCombinedStatus, ScmCommit, ScmComparison, ScmFile, ScmReader, ScmRepository, ScmStatus, ScmStatusState } from '../port';
import { RestScmReader } from '../http/rest-reader';
import { authorLine } from '../webhooks/normalise-kit';
import { instantOf } from '../github/webhooks/normalise';

interface BbPage<T> {
  values: T[];
  next?: string;
}
interface BbRepository {
  full_name: string;
  is_private: boolean;
  mainbranch?: { name: string } | null;
}
interface BbCommit {
  hash: string;
  message: string;
  date: string | null;
  author?: { raw?: string | null } | null;
}
interface BbBranch {
  name: string;
  target: { hash: string };
}
/** A commit build status (https://developer.atlassian.com/cloud/bitbucket/rest/api-group-commit-statuses/). */
interface BbBuildStatus {
  key: string;
  name?: string | null;
  state: string;
  url?: string | null;
  created_on?: string | null;
  updated_on?: string | null;
}
interface BbSrcEntry {
  type: 'commit_file' | 'commit_directory';
  path: string;
  size?: number;
}

/**
 * Build states as the `repo:commit_status_*` webhooks' normalisation reads them
 * (libs/scm/src/bitbucket/webhooks/normalise.ts): null while in progress.
 */
const BUILD_STATES: Readonly<Record<string, { state: ScmStatusState; conclusion: BuildConclusion | null }>> = {
  INPROGRESS: { state: 'pending', conclusion: null },
  SUCCESSFUL: { state: 'success', conclusion: 'success' },
  FAILED: { state: 'failure', conclusion: 'failure' },
  STOPPED: { state: 'error', conclusion: 'cancelled' },
};

const PAGELEN = 100;
/** A bound on pages read for one listing. */
const MAX_PAGES = 100;
/** How deep below the asked folder `readTree` goes (`deploy/<name>/…`). */
const MAX_DEPTH = 8;

/**
 * The parts of `ScmReader` that repo-sync's catalogue and config discovery use, over Bitbucket
 * Cloud's 2.0 API (`/repositories/{workspace}/{repo_slug}/src|refs/branches|commit|commits`).
 * Pages are asked for by number, never by following a `next` link; every URL is built from the
 * configured API base.
 */
export class BitbucketScm extends RestScmReader implements ScmReader {
  constructor(http: ProviderHttp, apiUrl: string, token: string) {
    super(http, apiUrl, token, 'Bitbucket');
  }

  async getRepo(fullName: string): Promise<ScmRepository> {
    return repositoryOf(await this.get<BbRepository>(this.repoUrl(fullName), `repository ${fullName}`));
  }

  /**
   * The repositories the token's user is a member of
   * (`GET /repositories?role=member`, https://developer.atlassian.com/cloud/bitbucket/rest/api-group-repositories/#api-repositories-get).
   */
  async listInstallationRepos(): Promise<ScmRepository[]> {
    const all = await this.pages<BbRepository>(`${this.apiUrl}/repositories`, new URLSearchParams({ role: 'member' }), 'repositories');
    return all.map(repositoryOf);
  }

  /**
   * A commit's builds are its build statuses (`GET /repositories/{workspace}/{repo_slug}/commit/{commit}/statuses`),
   * named and concluded as the `repo:commit_status_*` webhooks' normalisation does (`name || key`,
   * STOPPED cancelled): a build read here and the same build by webhook are one build and one event.
   * A state Bitbucket may add later is left out, as the webhook ignores it.
   */
  async getCombinedStatus(fullName: string, sha: string): Promise<ScmCombinedStatus> {
    const all = await this.pages<BbBuildStatus>(`${this.repoUrl(fullName)}/commit/${encodeURIComponent(sha)}/statuses`, new URLSearchParams(), `commit ${sha} of ${fullName}`);
    const statuses = all.flatMap((s): ScmStatus[] => {
      const known = BUILD_STATES[s.state];
      if (!known) return [];
      // One status per (commit, key), updated in place: its `updated_on` orders it, as in the webhook's `run`.
      const run = { source: 'status' as const, id: null, attempt: null, progress: known.conclusion ? 'completed' : 'in_progress', startedAt: instantOf(s.created_on), updatedAt: instantOf(s.updated_on ?? s.created_on) } as const;
      return [{ context: s.name || s.key, state: known.state, targetUrl: s.url ?? null, run, ...(known.conclusion ? { conclusion: known.conclusion } : {}) }];
    });
    return this.combined(sha, statuses);
  }

  async listBranches(fullName: string): Promise<ScmBranch[]> {
    const all = await this.pages<BbBranch>(`${this.repoUrl(fullName)}/refs/branches`, new URLSearchParams(), `repository ${fullName}`);
    return all.map((b) => ({ name: b.name, sha: b.target.hash }));
  }

  async getBranch(fullName: string, branch: string): Promise<ScmBranch | null> {
    const b = await this.find<BbBranch>(`${this.repoUrl(fullName)}/refs/branches/${encodeURIComponent(branch)}`);
    return b && { name: b.name, sha: b.target.hash };
  }

  async getCommit(fullName: string, ref: string): Promise<ScmCommit> {
    const c = await this.get<BbCommit>(`${this.repoUrl(fullName)}/commit/${encodeURIComponent(ref)}`, `commit ${ref} of ${fullName}`);
    const author = authorLine(c.author?.raw);
    return { sha: c.hash, message: c.message, authorName: author.name, authorEmail: author.email, timestamp: c.date };
  }

  async readTree(fullName: string, sha: string, path: string, options: ReadTreeOptions = {}): Promise<ScmFile[]> {
    const include = options.include ?? (() => true);
    const max = options.maxFileBytes ?? 1024 * 1024;
    const files: BbSrcEntry[] = [];
    const walk = async (dir: string, depth: number): Promise<boolean> => {
      const entries = await this.pages<BbSrcEntry>(`${this.srcUrl(fullName, sha, dir)}/`, new URLSearchParams(), null);
      if (entries === null) return false;
      for (const e of entries) {
        if (e.type === 'commit_file') files.push(e);
        else if (depth < MAX_DEPTH) await walk(e.path, depth + 1);
      }
      return true;
    };
    // An absent folder is Bitbucket's 404: no files.
    if (!(await walk(path.replace(/^\/+|\/+$/g, ''), 1))) return [];
    const out: ScmFile[] = [];
    for (const f of files.filter((e) => include(e.path))) {
      const size = f.size ?? 0;
      // The 2.0 API lists no blob id: the commit and path name the content.
      const content = size > max ? null : await this.readFile(fullName, sha, f.path);
      out.push({ path: f.path, sha: `${sha}:${f.path}`, size, content });
    }
    return out;
  }

  async readFile(fullName: string, ref: string, path: string): Promise<string | null> {
    const body = await this.find<unknown>(this.srcUrl(fullName, ref, path));
    // A folder answers with its listing (JSON), a file with its raw bytes.
    return typeof body === 'string' ? body : null;
  }

  /** Bitbucket has no compare of two commits: the commits of one not in the other, both ways. */
  async compareCommits(fullName: string, base: string, head: string): Promise<ScmComparison> {
    const count = async (include: string, exclude: string) => {
      const all = await this.pages<unknown>(`${this.repoUrl(fullName)}/commits`, new URLSearchParams({ include, exclude }), `commits ${include}, ${exclude} of ${fullName}`);
      return all.length;
    };
    const [aheadBy, behindBy] = await Promise.all([count(head, base), count(base, head)]);
    return this.comparison(aheadBy, behindBy);
  }

  private repoUrl(fullName: string): string {
    return `${this.apiUrl}/repositories/${fullName.split('/').map(encodeURIComponent).join('/')}`;
  }

  private srcUrl(fullName: string, ref: string, path: string): string {
    return `${this.repoUrl(fullName)}/src/${encodeURIComponent(ref)}/${path.split('/').map(encodeURIComponent).join('/')}`;
  }

  /** Every page of a listing; `what` null = an absent resource is null, else ScmNotFoundError. */
  private async pages<T>(url: string, query: URLSearchParams, what: string): Promise<T[]>;
  private async pages<T>(url: string, query: URLSearchParams, what: null): Promise<T[] | null>;
  private async pages<T>(url: string, query: URLSearchParams, what: string | null): Promise<T[] | null> {
    const out: T[] = [];
    for (let page = 1; page <= MAX_PAGES; page++) {
      const q = new URLSearchParams(query);
      q.set('pagelen', String(PAGELEN));
      q.set('page', String(page));
      const body = await this.find<BbPage<T>>(`${url}?${q}`);
      if (body === null) {
        if (what === null) return null;
        throw new ScmNotFoundError(what);
      }
      out.push(...body.values);
      if (!body.next) break;
    }
    return out;
  }
}

/** Bitbucket's id is a UUID: `id` is null, as in the webhooks' RepoRef. */
function repositoryOf(r: BbRepository): ScmRepository {
  return { fullName: r.full_name, id: null, defaultBranch: r.mainbranch?.name ?? 'main', private: r.is_private, archived: false };
}
