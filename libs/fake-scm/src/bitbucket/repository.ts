import type { BranchedGitRepo } from '../common/git-repo';
import type { GitCommit } from '../github/git-model';
import { paginate, readPage } from '../common/pagination';
import { FakeHttpError, type FakeRequest, type FakeResponse } from '../common/types';

const notFound = (message: string) => new FakeHttpError(404, { type: 'error', error: { message } });

export interface BitbucketRepoView {
  readonly repo: BranchedGitRepo;
  /** `https://…/2.0/repositories/<workspace>/<slug>` on the fake. */
  readonly api: string;
  readonly html: string;
}

/** Bitbucket's paged answer: `{ values, page, pagelen, size, next }`; `next` only while more remain. */
function paged<T>(req: FakeRequest, all: readonly T[], defaultPerPage = 10): Record<string, unknown> {
  const page = paginate(all, readPage(req.query, { defaultPerPage, maxPerPage: 100, perPageParam: 'pagelen' }));
  const body: Record<string, unknown> = { pagelen: page.perPage, size: page.total, page: page.page, values: page.items };
  if (page.page < page.lastPage) {
    const u = new URL(req.url.toString());
    u.searchParams.set('page', String(page.page + 1));
    body.next = u.toString();
  }
  return body;
}

/** The Commit entity of Bitbucket's 2.0 API. */
export function bitbucketCommitJson(c: GitCommit, view: BitbucketRepoView): Record<string, unknown> {
  return {
    type: 'commit',
    hash: c.sha,
    date: c.author.date,
    message: c.message,
    author: { type: 'author', raw: `${c.author.name} <${c.author.email}>` },
    parents: c.parents.map((p) => ({ type: 'commit', hash: p, links: { self: { href: `${view.api}/commit/${p}` } } })),
    links: { self: { href: `${view.api}/commit/${c.sha}` }, html: { href: `${view.html}/commits/${c.sha}` } },
  };
}

/** The endpoints of Bitbucket's 2.0 API that config discovery reads: branches, commit, commits, src. */
export const bitbucketRepositoryRoutes = (view: (req: FakeRequest) => BitbucketRepoView) => ({
  branches(req: FakeRequest): FakeResponse {
    const v = view(req);
    const all = [...v.repo.branches.entries()].sort(([a], [b]) => a.localeCompare(b)).map(([name, sha]) => branchJson(v, name, sha));
    return { status: 200, body: paged(req, all) };
  },
  branch(req: FakeRequest): FakeResponse {
    const v = view(req);
    const sha = v.repo.branches.get(req.params.name);
    if (!sha) throw notFound(`Branch "${req.params.name}" does not exist`);
    return { status: 200, body: branchJson(v, req.params.name, sha) };
  },
  commit(req: FakeRequest): FakeResponse {
    const v = view(req);
    const c = v.repo.resolve(req.params.commit);
    if (!c) throw notFound(`Commit not found`);
    return { status: 200, body: bitbucketCommitJson(c, v) };
  },
  /** `commits?include=A&exclude=B`: the commits reachable from A and not from B, newest first. */
  commits(req: FakeRequest): FakeResponse {
    const v = view(req);
    const include = req.query.getAll('include').map((r) => v.repo.resolve(r));
    const exclude = req.query.getAll('exclude').map((r) => v.repo.resolve(r));
    if (include.some((c) => !c) || exclude.some((c) => !c)) throw notFound('Commit not found');
    const excluded = new Set(exclude.flatMap((c) => [...v.repo.ancestors(c!.sha)]));
    const starts = include.length ? include.map((c) => c!.sha) : [...v.repo.branches.values()];
    const shas = new Set(starts.flatMap((s) => [...v.repo.ancestors(s)]).filter((s) => !excluded.has(s)));
    const commits = [...shas].map((s) => v.repo.git.commits.get(s)!).sort((a, b) => b.committer.date.localeCompare(a.committer.date));
    return { status: 200, body: paged(req, commits.map((c) => bitbucketCommitJson(c, v)), 30) };
  },
  /** `src/{commit}/{path}`: a file's raw bytes, or a directory's entries (one level, or `max_depth`). */
  src(req: FakeRequest): FakeResponse {
    const v = view(req);
    const c = v.repo.resolve(req.params.commit);
    if (!c) throw notFound('Commit not found');
    const path = req.params.path.replace(/^\/+|\/+$/g, '');
    const at = v.repo.git.lookup(c.tree, path);
    if (!at) throw notFound(`No such file or directory: ${path}`);
    if (at.type === 'blob') return { status: 200, headers: { 'content-type': 'text/plain; charset=utf-8' }, raw: v.repo.git.blobs.get(at.sha)!.content };
    const depth = Math.max(1, Number(req.query.get('max_depth') ?? '1') || 1);
    const entries = v.repo.git
      .walk(at.sha, depth > 1, `${path}/`)
      .filter((e) => e.path.slice(path.length + 1).split('/').length <= depth)
      .map((e) =>
        e.type === 'tree'
          ? { type: 'commit_directory', path: e.path, commit: { type: 'commit', hash: c.sha }, links: { self: { href: `${v.api}/src/${c.sha}/${e.path}/` } } }
          : { type: 'commit_file', path: e.path, size: e.size ?? 0, mimetype: null, attributes: [], escaped_path: e.path, commit: { type: 'commit', hash: c.sha }, links: { self: { href: `${v.api}/src/${c.sha}/${e.path}` } } },
      );
    return { status: 200, body: paged(req, entries) };
  },
});

function branchJson(v: BitbucketRepoView, name: string, sha: string): Record<string, unknown> {
  return {
    type: 'branch',
    name,
    target: bitbucketCommitJson(v.repo.git.commits.get(sha)!, v),
    merge_strategies: ['merge_commit', 'squash', 'fast_forward'],
    default_merge_strategy: 'merge_commit',
    links: { self: { href: `${v.api}/refs/branches/${encodeURIComponent(name)}` }, html: { href: `${v.html}/branch/${encodeURIComponent(name)}` } },
  };
}
