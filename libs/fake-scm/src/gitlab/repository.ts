import { createHash } from 'node:crypto';
import type { GitCommit } from '../github/git-model';
import type { BranchedGitRepo } from '../common/git-repo';
import { paginate, readPage } from '../common/pagination';
import { FakeHttpError, type FakeRequest, type FakeResponse } from '../common/types';

const notFound = (what: string) => new FakeHttpError(404, { message: `404 ${what} Not Found` });

/** GitLab's commit JSON (REST v4 `Commit` entity). */
export function commitJson(c: GitCommit, webUrl: string): Record<string, unknown> {
  return {
    id: c.sha,
    short_id: c.sha.slice(0, 8),
    created_at: c.committer.date,
    parent_ids: c.parents,
    title: c.message.split('\n')[0],
    message: c.message,
    author_name: c.author.name,
    author_email: c.author.email,
    authored_date: c.author.date,
    committer_name: c.committer.name,
    committer_email: c.committer.email,
    committed_date: c.committer.date,
    trailers: {},
    extended_trailers: {},
    web_url: `${webUrl}/-/commit/${c.sha}`,
  };
}

/** GitLab's pagination headers (`x-page`, `x-next-page`, …) of a page. */
export function gitlabPageHeaders(page: { page: number; perPage: number; lastPage: number; total: number }): Record<string, string> {
  return {
    'x-page': String(page.page),
    'x-per-page': String(page.perPage),
    'x-next-page': page.page < page.lastPage ? String(page.page + 1) : '',
    'x-prev-page': page.page > 1 ? String(page.page - 1) : '',
    'x-total': String(page.total),
    'x-total-pages': String(page.lastPage),
  };
}

/** The repository endpoints of REST v4 a project's config discovery reads: branches, commits, tree, files, compare. */
export const gitlabRepositoryRoutes = (project: (req: FakeRequest) => { repo: BranchedGitRepo; webUrl: string; defaultBranch: string }) => ({
  branches(req: FakeRequest): FakeResponse {
    const { repo, webUrl, defaultBranch } = project(req);
    const all = [...repo.branches.entries()].sort(([a], [b]) => a.localeCompare(b)).map(([name, sha]) => branchJson(repo, name, sha, webUrl, defaultBranch));
    const page = paginate(all, readPage(req.query, { defaultPerPage: 20, maxPerPage: 100 }));
    return { status: 200, headers: gitlabPageHeaders(page), body: page.items };
  },
  branch(req: FakeRequest): FakeResponse {
    const { repo, webUrl, defaultBranch } = project(req);
    const sha = repo.branches.get(req.params.branch);
    if (!sha) throw notFound('Branch');
    return { status: 200, body: branchJson(repo, req.params.branch, sha, webUrl, defaultBranch) };
  },
  commit(req: FakeRequest): FakeResponse {
    const { repo, webUrl } = project(req);
    const c = repo.resolve(req.params.sha);
    if (!c) throw notFound('Commit');
    return { status: 200, body: commitJson(c, webUrl) };
  },
  tree(req: FakeRequest): FakeResponse {
    const { repo, defaultBranch } = project(req);
    const c = repo.resolve(req.query.get('ref') ?? defaultBranch);
    if (!c) throw notFound('Tree');
    const path = (req.query.get('path') ?? '').replace(/^\/+|\/+$/g, '');
    const at = path ? repo.git.lookup(c.tree, path) : { type: 'tree' as const, sha: c.tree };
    if (!at || at.type !== 'tree') throw notFound('Tree');
    const entries = repo.git.walk(at.sha, req.query.get('recursive') === 'true', path ? `${path}/` : '');
    const page = paginate(entries, readPage(req.query, { defaultPerPage: 20, maxPerPage: 100 }));
    const body = page.items.map((e) => ({ id: e.sha, name: e.path.split('/').at(-1), type: e.type, path: e.path, mode: e.mode === '040000' ? '040000' : '100644' }));
    return { status: 200, headers: gitlabPageHeaders(page), body };
  },
  file(req: FakeRequest): FakeResponse {
    const { repo } = project(req);
    const ref = req.query.get('ref');
    if (!ref) throw new FakeHttpError(400, { error: 'ref is missing' });
    const c = repo.resolve(ref);
    const at = c ? repo.git.lookup(c.tree, req.params.file_path) : undefined;
    if (!c || !at || at.type !== 'blob') throw notFound('File');
    const content = repo.git.blobs.get(at.sha)!.content;
    return {
      status: 200,
      body: {
        file_name: req.params.file_path.split('/').at(-1),
        file_path: req.params.file_path,
        size: content.length,
        encoding: 'base64',
        content: content.toString('base64'),
        content_sha256: createHash('sha256').update(content).digest('hex'),
        ref,
        blob_id: at.sha,
        commit_id: c.sha,
        last_commit_id: c.sha,
        execute_filemode: false,
      },
    };
  },
  /** `from...to` (the merge base, GitLab's default): the commits in `to` not in `from`, newest last. */
  compare(req: FakeRequest): FakeResponse {
    const { repo, webUrl } = project(req);
    const from = repo.resolve(req.query.get('from') ?? '');
    const to = repo.resolve(req.query.get('to') ?? '');
    if (!from || !to) throw notFound('Commit');
    const base = repo.ancestors(from.sha);
    const commits = [...repo.ancestors(to.sha)].filter((sha) => !base.has(sha)).map((sha) => repo.git.commits.get(sha)!);
    commits.sort((a, b) => a.committer.date.localeCompare(b.committer.date));
    return {
      status: 200,
      body: { commit: commits.length ? commitJson(commits.at(-1)!, webUrl) : null, commits: commits.map((c) => commitJson(c, webUrl)), diffs: [], compare_timeout: false, compare_same_ref: from.sha === to.sha, web_url: `${webUrl}/-/compare/${from.sha}...${to.sha}` },
    };
  },
});

function branchJson(repo: BranchedGitRepo, name: string, sha: string, webUrl: string, defaultBranch: string): Record<string, unknown> {
  return {
    name,
    merged: false,
    protected: name === defaultBranch,
    default: name === defaultBranch,
    developers_can_push: false,
    developers_can_merge: false,
    can_push: true,
    web_url: `${webUrl}/-/tree/${encodeURIComponent(name)}`,
    commit: commitJson(repo.git.commits.get(sha)!, webUrl),
  };
}
