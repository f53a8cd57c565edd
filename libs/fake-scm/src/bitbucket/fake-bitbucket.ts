import { randomUUID } from 'node:crypto';
import { FakeServer, type FakeServerOptions } from '../common/fake-server';
import type { RateLimitInjection } from '../common/faults';
import { paginate, readPage } from '../common/pagination';
import { RateBudget, type RateBudgetOptions } from '../common/rate-budget';
import { FakeHttpError, type FakeRequest, type FakeResponse } from '../common/types';
import { BranchedGitRepo } from '../common/git-repo';
import { bitbucketRepositoryRoutes } from './repository';

export type BitbucketBuildState = 'INPROGRESS' | 'SUCCESSFUL' | 'FAILED' | 'STOPPED';
const STATES: readonly string[] = ['INPROGRESS', 'SUCCESSFUL', 'FAILED', 'STOPPED'];

export interface BitbucketBuildStatus {
  key: string;
  state: BitbucketBuildState;
  name: string | null;
  description: string | null;
  url: string;
  refname: string | null;
  commit: string;
  created_on: string;
  updated_on: string;
}

interface Repo {
  workspace: string;
  slug: string;
  uuid: string;
  commits: Set<string>;
  statuses: BitbucketBuildStatus[];
  /** Commits, trees and branches (seed.push), for the repository endpoints. */
  git: BranchedGitRepo;
  mainBranch: string;
  private: boolean;
}

export interface FakeBitbucketOptions extends FakeServerOptions {
  /** Bearer tokens (access tokens) accepted; undefined = any. */
  readonly tokens?: readonly string[];
  /** `username:app_password` pairs accepted with Basic auth; undefined = any. */
  readonly basic?: readonly string[];
  /** Request budget per window; exhausted → 429 (default 1000 per hour, Bitbucket's API limit). */
  readonly rateLimit?: RateBudgetOptions;
}

function bbError(status: number, message: string, fields?: Record<string, string[]>): FakeHttpError {
  return new FakeHttpError(status, { type: 'error', error: { message, ...(fields ? { fields } : {}) } });
}

/**
 * Bitbucket Cloud 2.0 commit build statuses: create/update by key, get by key, list for a
 * commit (paged `{ values, page, pagelen, size, next }`); the repository listing and endpoints;
 * Bearer/Basic auth; 429 + Retry-After.
 */
export class FakeBitbucket extends FakeServer {
  private readonly repos = new Map<string, Repo>();
  readonly budget: RateBudget;

  constructor(private readonly options: FakeBitbucketOptions = {}) {
    super(options);
    this.budget = new RateBudget(options.rateLimit ?? {}, this.now, { limit: 1000, windowSeconds: 3600 });
    const base = '/2.0/repositories/{workspace}/{repo_slug}/commit/{commit}/statuses';
    this.router.add('POST', `${base}/build`, (req) => this.upsert(req, undefined));
    this.router.add('GET', `${base}/build/{key}`, (req) => this.getOne(req));
    this.router.add('PUT', `${base}/build/{key}`, (req) => this.upsert(req, req.params.key));
    this.router.add('GET', base, (req) => this.list(req));
    this.router.add('GET', '/2.0/repositories', (req) => this.listRepositories(req));
    const repoBase = '/2.0/repositories/{workspace}/{repo_slug}';
    const repo = bitbucketRepositoryRoutes((req) => {
      const r = this.repoOf(req);
      const full = `${r.workspace}/${r.slug}`;
      return { repo: r.git, api: `${this.url}/2.0/repositories/${full}`, html: `${this.url}/${full}` };
    });
    this.router.add('GET', repoBase, (req) => this.getRepository(req));
    this.router.add('GET', `${repoBase}/refs/branches`, (req) => repo.branches(req));
    this.router.add('GET', `${repoBase}/refs/branches/{name}`, (req) => repo.branch(req));
    this.router.add('GET', `${repoBase}/commit/{commit}`, (req) => repo.commit(req));
    this.router.add('GET', `${repoBase}/commits`, (req) => repo.commits(req));
    this.router.add('GET', `${repoBase}/src/{commit}/{path+}`, (req) => repo.src(req));
  }

  readonly seed = {
    repo: (input: { workspace: string; slug: string; commits?: readonly string[]; mainBranch?: string; private?: boolean }): string => {
      const full = `${input.workspace}/${input.slug}`;
      this.repos.set(full.toLowerCase(), {
        workspace: input.workspace,
        slug: input.slug,
        uuid: `{${randomUUID()}}`,
        commits: new Set(input.commits ?? []),
        statuses: [],
        git: new BranchedGitRepo(),
        mainBranch: input.mainBranch ?? 'main',
        private: input.private ?? true,
      });
      return full;
    },
    /**
     * A commit on `branch` (default: the main branch) with the branch head's files and `files`
     * applied (null deletes one), moving the branch; returns its hash. Build statuses can be set on it.
     */
    push: (repo: string, input: { branch?: string; files: Readonly<Record<string, string | null>>; message?: string }): string => {
      const r = this.requireRepo(repo);
      const hash = r.git.commit({ branch: input.branch ?? r.mainBranch, files: input.files, message: input.message, at: new Date(this.now()).toISOString() });
      r.commits.add(hash);
      return hash;
    },
    commit: (repo: string, hash: string): void => {
      this.requireRepo(repo).commits.add(hash);
    },
    /** A build status of a commit, created or (same key) updated, as a CI system posts it. */
    status: (repo: string, commit: string, input: { key: string; state: BitbucketBuildState; name?: string; url?: string; refname?: string }): void => {
      const r = this.requireRepo(repo);
      const at = new Date(this.now()).toISOString();
      const existing = r.statuses.find((s) => s.commit === commit && s.key === input.key);
      const fields = { state: input.state, name: input.name ?? existing?.name ?? null, url: input.url ?? existing?.url ?? `${this.url}/ci/${input.key}`, refname: input.refname ?? existing?.refname ?? null, updated_on: at };
      if (existing) Object.assign(existing, fields);
      else r.statuses.push({ key: input.key, description: null, commit, created_on: at, ...fields });
    },
  };

  /** Build statuses of a commit, in creation order. */
  statuses(repo: string, commit: string): BitbucketBuildStatus[] {
    return this.requireRepo(repo).statuses.filter((s) => s.commit === commit);
  }

  setRateLimit(options: { remaining: number; resetInSeconds?: number }): void {
    this.budget.set(options);
  }

  private requireRepo(full: string): Repo {
    const r = this.repos.get(full.toLowerCase());
    if (!r) throw new Error(`fake Bitbucket: repository ${full} is not seeded`);
    return r;
  }

  private repoOf(req: FakeRequest): Repo {
    const full = `${req.params.workspace}/${req.params.repo_slug}`;
    const repo = this.repos.get(full.toLowerCase());
    if (!repo) throw bbError(404, `Repository ${full} not found`);
    return repo;
  }

  private getRepository(req: FakeRequest): FakeResponse {
    return { status: 200, body: this.renderRepository(this.repoOf(req)) };
  }

  /**
   * `GET /repositories` (https://developer.atlassian.com/cloud/bitbucket/rest/api-group-repositories/#api-repositories-get):
   * with `role` (member, contributor, admin, owner) every seeded repository is the token's; without it the public ones.
   */
  private listRepositories(req: FakeRequest): FakeResponse {
    const role = req.query.get('role');
    if (role !== null && !['member', 'contributor', 'admin', 'owner'].includes(role)) throw bbError(400, `Invalid role: ${role}`);
    const all = [...this.repos.values()].filter((r) => role !== null || !r.private).sort((a, b) => `${a.workspace}/${a.slug}`.localeCompare(`${b.workspace}/${b.slug}`));
    return this.pagedList(req, all, (r) => this.renderRepository(r));
  }

  /** The Repository entity of the 2.0 API. */
  private renderRepository(r: Repo): Record<string, unknown> {
    const full = `${r.workspace}/${r.slug}`;
    return {
      type: 'repository',
      uuid: r.uuid,
      full_name: full,
      name: r.slug,
      slug: r.slug,
      is_private: r.private,
      scm: 'git',
      mainbranch: { type: 'branch', name: r.mainBranch },
      workspace: { type: 'workspace', slug: r.workspace, name: r.workspace },
      links: { self: { href: `${this.url}/2.0/repositories/${full}` }, html: { href: `${this.url}/${full}` } },
      created_on: new Date(0).toISOString(),
      updated_on: new Date(this.now()).toISOString(),
    };
  }

  private resolve(req: FakeRequest): { repo: Repo; commit: string } {
    const repo = this.repoOf(req);
    const wanted = req.params.commit;
    // Bitbucket accepts an abbreviated hash.
    const commit = repo.commits.has(wanted) ? wanted : [...repo.commits].find((c) => wanted.length >= 7 && c.startsWith(wanted));
    if (!commit) throw bbError(404, `Commit not found`);
    return { repo, commit };
  }

  private render(repo: Repo, s: BitbucketBuildStatus): Record<string, unknown> {
    const api = `${this.url}/2.0/repositories/${repo.workspace}/${repo.slug}`;
    return {
      type: 'build',
      key: s.key,
      name: s.name,
      description: s.description,
      state: s.state,
      url: s.url,
      refname: s.refname,
      created_on: s.created_on,
      updated_on: s.updated_on,
      commit: { type: 'commit', hash: s.commit, links: { self: { href: `${api}/commit/${s.commit}` } } },
      repository: { type: 'repository', full_name: `${repo.workspace}/${repo.slug}`, name: repo.slug, uuid: repo.uuid },
      links: {
        self: { href: `${api}/commit/${s.commit}/statuses/build/${encodeURIComponent(s.key)}` },
        commit: { href: `${api}/commit/${s.commit}` },
      },
    };
  }

  private upsert(req: FakeRequest, pathKey: string | undefined): FakeResponse {
    const body = req.body;
    if (!body || typeof body !== 'object' || Array.isArray(body)) throw bbError(400, 'Bad request', { body: ['a JSON object is required'] });
    const b = body as Record<string, unknown>;
    const { repo, commit } = this.resolve(req);
    const key = pathKey ?? b.key;
    const fields: Record<string, string[]> = {};
    if (typeof key !== 'string' || key.length === 0) fields.key = ['This field is required.'];
    else if (key.length > 255) fields.key = ['Ensure this value has at most 255 characters.'];
    for (const f of ['name', 'description', 'url', 'refname'] as const) {
      if (b[f] !== undefined && b[f] !== null && typeof b[f] !== 'string') fields[f] = ['Not a valid string.'];
    }
    const existing = typeof key === 'string' ? repo.statuses.find((s) => s.commit === commit && s.key === key) : undefined;
    if (pathKey !== undefined && !existing) throw bbError(404, `Build status ${pathKey} not found`);
    if (b.state === undefined && !existing) fields.state = ['This field is required.'];
    else if (b.state !== undefined && (typeof b.state !== 'string' || !STATES.includes(b.state))) fields.state = [`"${String(b.state)}" is not a valid choice.`];
    if (b.url === undefined && !existing) fields.url = ['This field is required.'];
    else if (typeof b.url === 'string' && !/^https?:\/\/\S+$/.test(b.url)) fields.url = ['Enter a valid URL.'];
    if (Object.keys(fields).length > 0) throw bbError(400, 'Bad request', fields);
    const at = new Date(this.now()).toISOString();
    if (existing) {
      if (b.state !== undefined) existing.state = b.state as BitbucketBuildState;
      if (b.name !== undefined) existing.name = (b.name as string) ?? null;
      if (b.description !== undefined) existing.description = (b.description as string) ?? null;
      if (b.url !== undefined) existing.url = b.url as string;
      if (b.refname !== undefined) existing.refname = (b.refname as string) ?? null;
      existing.updated_on = at;
      return { status: 200, body: this.render(repo, existing) };
    }
    const created: BitbucketBuildStatus = {
      key: key as string,
      state: b.state as BitbucketBuildState,
      name: (b.name as string | undefined) ?? null,
      description: (b.description as string | undefined) ?? null,
      url: b.url as string,
      refname: (b.refname as string | undefined) ?? null,
      commit,
      created_on: at,
      updated_on: at,
    };
    repo.statuses.push(created);
    return { status: 201, body: this.render(repo, created) };
  }

  private getOne(req: FakeRequest): FakeResponse {
    const { repo, commit } = this.resolve(req);
    const s = repo.statuses.find((x) => x.commit === commit && x.key === req.params.key);
    if (!s) throw bbError(404, `Build status ${req.params.key} not found`);
    return { status: 200, body: this.render(repo, s) };
  }

  private list(req: FakeRequest): FakeResponse {
    const { repo, commit } = this.resolve(req);
    const all = repo.statuses.filter((s) => s.commit === commit).sort((a, b) => (a.updated_on < b.updated_on ? 1 : a.updated_on > b.updated_on ? -1 : 0));
    return this.pagedList(req, all, (s) => this.render(repo, s));
  }

  /** A page of a listing as the 2.0 API pages (`{ values, page, pagelen, size, next, previous }`). */
  private pagedList<T>(req: FakeRequest, all: readonly T[], render: (item: T) => unknown): FakeResponse {
    const page = paginate(all, readPage(req.query, { defaultPerPage: 10, maxPerPage: 100, perPageParam: 'pagelen' }));
    const at = (n: number): string => {
      const u = new URL(req.url.toString());
      u.searchParams.set('page', String(n));
      u.searchParams.set('pagelen', String(page.perPage));
      return u.toString();
    };
    const body: Record<string, unknown> = { pagelen: page.perPage, size: page.total, page: page.page, values: page.items.map(render) };
    if (page.page < page.lastPage) body.next = at(page.page + 1);
    if (page.page > 1) body.previous = at(page.page - 1);
    return { status: 200, body };
  }

  protected authKind(req: FakeRequest): string {
    const auth = String(req.headers.authorization ?? '');
    if (/^bearer\s/i.test(auth)) return 'bearer';
    if (/^basic\s/i.test(auth)) return 'basic';
    return auth ? 'other' : 'none';
  }

  protected authenticate(req: FakeRequest): void {
    const auth = String(req.headers.authorization ?? '');
    const bearer = /^bearer\s+(.+)$/i.exec(auth)?.[1];
    const basic = /^basic\s+(.+)$/i.exec(auth)?.[1];
    let ok = false;
    if (bearer) ok = this.options.tokens === undefined || this.options.tokens.includes(bearer);
    else if (basic) {
      const pair = Buffer.from(basic, 'base64').toString('utf8');
      ok = pair.includes(':') && (this.options.basic === undefined || this.options.basic.includes(pair));
    }
    if (!ok) throw bbError(401, 'Unauthorized');
    req.auth = { kind: this.authKind(req) };
    if (!this.budget.consume()) {
      this.faults.limitUntil(this.budget.resetAt * 1000);
      throw new FakeHttpError(429, bbErrorBody('Rate limit for this resource has been exceeded'), { 'retry-after': String(this.budget.secondsToReset) });
    }
  }

  protected commonHeaders(): Record<string, string> {
    return {
      'x-ratelimit-limit': String(this.budget.limit),
      'x-ratelimit-resource': 'api',
      'x-ratelimit-nearlimit': String(this.budget.remaining < this.budget.limit * 0.2),
    };
  }

  protected rateLimitedResponse(spec: RateLimitInjection): FakeResponse {
    return { status: spec.status, headers: { 'retry-after': String(spec.retryAfterSeconds) }, body: bbErrorBody('Rate limit for this resource has been exceeded') };
  }

  protected override notFoundBody(): unknown {
    return bbErrorBody('Resource not found');
  }
}

function bbErrorBody(message: string): Record<string, unknown> {
  return { type: 'error', error: { message } };
}
