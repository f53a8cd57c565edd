import { FakeServer, type FakeServerOptions } from '../common/fake-server';
import type { RateLimitInjection } from '../common/faults';
import { linkHeader, paginate, readPage } from '../common/pagination';
import { RateBudget, type RateBudgetOptions } from '../common/rate-budget';
import { FakeHttpError, type FakeRequest, type FakeResponse } from '../common/types';
import { BranchedGitRepo } from '../common/git-repo';
import { gitlabPageHeaders, gitlabRepositoryRoutes } from './repository';

export type GitLabStatusState = 'pending' | 'running' | 'success' | 'failed' | 'canceled' | 'skipped';
const STATES: readonly string[] = ['pending', 'running', 'success', 'failed', 'canceled', 'skipped'];
const FINISHED: readonly string[] = ['success', 'failed', 'canceled', 'skipped'];

export interface GitLabCommitStatus {
  id: number;
  sha: string;
  ref: string | null;
  status: GitLabStatusState;
  name: string;
  target_url: string | null;
  description: string | null;
  created_at: string;
  started_at: string | null;
  finished_at: string | null;
  allow_failure: boolean;
  coverage: number | null;
  pipeline_id: number;
}

/** A pipeline as `GET /projects/:id/pipelines` lists it (https://docs.gitlab.com/ee/api/pipelines.html#list-project-pipelines). */
export interface GitLabPipeline {
  id: number;
  iid: number;
  project_id: number;
  sha: string;
  ref: string | null;
  /** created, waiting_for_resource, preparing, pending, running, success, failed, canceled, skipped, manual, scheduled. */
  status: string;
  source: string;
  /** `workflow:name`; null when unnamed. */
  name: string | null;
  created_at: string;
  updated_at: string;
}

interface FakeMergeRequest {
  iid: number;
  sourceProjectId: number;
  sourceBranch: string;
  targetBranch: string;
  sha: string;
  state: 'opened' | 'closed' | 'locked' | 'merged';
}

/** A note (comment) on a merge request, with the bodies it had before each edit. */
export interface FakeMergeRequestNote {
  id: number;
  body: string;
  created_at: string;
  updated_at: string;
  edits: string[];
}

interface Project {
  id: number;
  path: string;
  defaultBranch: string;
  commits: Map<string, string | null>;
  statuses: GitLabCommitStatus[];
  /** Pipelines run for the project's commits (seed.pipeline); statuses posted with no such pipeline make `external` ones. */
  pipelines: GitLabPipeline[];
  mergeRequests: FakeMergeRequest[];
  /** Notes on merge requests, by iid (oldest first). */
  notes: Map<number, FakeMergeRequestNote[]>;
  /** Commits, trees and branches (seed.push), for the repository endpoints. */
  repo: BranchedGitRepo;
  /** 0 private, 10 internal, 20 public. */
  visibility: 0 | 10 | 20;
}

export interface FakeGitLabOptions extends FakeServerOptions {
  /** Accepted as `PRIVATE-TOKEN: X` or `Authorization: Bearer X`; undefined = any token. */
  readonly tokens?: readonly string[];
  /** Request budget reported in RateLimit-* headers; exhausted → 429 (default 2000 per 60 s). */
  readonly rateLimit?: RateBudgetOptions;
}

function glError(status: number, message: string): FakeHttpError {
  return new FakeHttpError(status, { message });
}

/** GitLab's grape answers parameter errors as `{ error }` with 400. */
function paramError(message: string): FakeHttpError {
  return new FakeHttpError(400, { error: message });
}

/** The state machine event GitLab applies for a requested state, as named in its 400 message. */
const EVENT: Record<string, string> = { pending: 'enqueue', running: 'run', success: 'success', failed: 'drop', canceled: 'cancel', skipped: 'skip' };
const ALLOWED_FROM: Record<string, readonly string[]> = {
  pending: ['created', 'skipped', 'manual', 'scheduled'],
  running: ['created', 'pending'],
  success: ['created', 'pending', 'running'],
  failed: ['created', 'pending', 'running'],
  canceled: ['created', 'pending', 'running', 'scheduled', 'manual', 'waiting_for_resource', 'preparing'],
  skipped: ['created', 'pending'],
};

/**
 * GitLab's REST v4 as Sluice uses it: create/update a status for a commit, list the statuses and
 * the pipelines of a commit, list the token's projects, a merge request and its notes (list,
 * create, edit), the repository endpoints; PRIVATE-TOKEN or
 * Bearer auth, RateLimit-* headers, 429 + Retry-After.
 */
export class FakeGitLab extends FakeServer {
  private readonly projects = new Map<number, Project>();
  private nextId = 500;
  private nextPipeline = 9000;
  readonly budget: RateBudget;

  constructor(private readonly options: FakeGitLabOptions = {}) {
    super(options);
    this.budget = new RateBudget(options.rateLimit ?? {}, this.now, { limit: 2000, windowSeconds: 60 });
    this.router.add('POST', '/api/v4/projects/:id/statuses/:sha', (req) => this.createStatus(req));
    this.router.add('GET', '/api/v4/projects/:id/repository/commits/:sha/statuses', (req) => this.listStatuses(req));
    const repo = gitlabRepositoryRoutes((req) => {
      const p = this.findProject(req.params.id);
      if (!p) throw glError(404, '404 Project Not Found');
      return { repo: p.repo, webUrl: this.webUrl(p), defaultBranch: p.defaultBranch };
    });
    this.router.add('GET', '/api/v4/projects', (req) => this.listProjects(req));
    this.router.add('GET', '/api/v4/projects/:id', (req) => this.getProject(req));
    this.router.add('GET', '/api/v4/projects/:id/pipelines', (req) => this.listPipelines(req));
    this.router.add('GET', '/api/v4/projects/:id/merge_requests/:iid', (req) => this.getMergeRequest(req));
    this.router.add('GET', '/api/v4/projects/:id/merge_requests/:iid/notes', (req) => this.listNotes(req));
    this.router.add('POST', '/api/v4/projects/:id/merge_requests/:iid/notes', (req) => this.createNote(req));
    this.router.add('PUT', '/api/v4/projects/:id/merge_requests/:iid/notes/:note_id', (req) => this.updateNote(req));
    this.router.add('GET', '/api/v4/projects/:id/repository/branches', (req) => repo.branches(req));
    this.router.add('GET', '/api/v4/projects/:id/repository/branches/:branch', (req) => repo.branch(req));
    this.router.add('GET', '/api/v4/projects/:id/repository/commits/:sha', (req) => repo.commit(req));
    this.router.add('GET', '/api/v4/projects/:id/repository/tree', (req) => repo.tree(req));
    this.router.add('GET', '/api/v4/projects/:id/repository/files/:file_path', (req) => repo.file(req));
    this.router.add('GET', '/api/v4/projects/:id/repository/compare', (req) => repo.compare(req));
  }

  readonly seed = {
    /** A project; `id` numeric, `path` like `group/project`. */
    project: (input: { id: number; path: string; defaultBranch?: string; commits?: readonly string[]; visibility?: 0 | 10 | 20 }): void => {
      const commits = new Map<string, string | null>();
      for (const sha of input.commits ?? []) commits.set(sha, input.defaultBranch ?? 'main');
      this.projects.set(input.id, { id: input.id, path: input.path, defaultBranch: input.defaultBranch ?? 'main', commits, statuses: [], pipelines: [], mergeRequests: [], notes: new Map(), repo: new BranchedGitRepo(), visibility: input.visibility ?? 0 });
    },
    /**
     * A commit on `branch` (default: the default branch) with the branch head's files and `files`
     * applied (null deletes one), moving the branch; returns its sha. Statuses can be set on it.
     */
    push: (project: number | string, input: { branch?: string; files: Readonly<Record<string, string | null>>; message?: string }): string => {
      const p = this.project(project);
      const branch = input.branch ?? p.defaultBranch;
      const sha = p.repo.commit({ branch, files: input.files, message: input.message, at: this.iso() });
      p.commits.set(sha, branch);
      return sha;
    },
    /**
     * A pipeline for a commit of the project (on `ref`, default the commit's branch), or — `id` of
     * one seeded — that pipeline moved to `status`, as a CI run goes; returns its id.
     */
    pipeline: (project: number | string, input: { sha: string; status: string; ref?: string; name?: string | null; id?: number }): number => {
      const p = this.project(project);
      const at = this.iso();
      const known = input.id === undefined ? undefined : p.pipelines.find((x) => x.id === input.id);
      if (known) {
        Object.assign(known, { status: input.status, updated_at: at });
        return known.id;
      }
      const id = input.id ?? ++this.nextPipeline;
      const ref = input.ref ?? p.commits.get(input.sha) ?? p.defaultBranch;
      p.pipelines.push({ id, iid: p.pipelines.length + 1, project_id: p.id, sha: input.sha, ref, status: input.status, source: 'push', name: input.name ?? null, created_at: at, updated_at: at });
      return id;
    },
    /** A merge request of the project (its target), from `sourceProject` (a fork; default the project itself); seeded again with its iid, it changes. */
    mergeRequest: (project: number | string, input: { iid: number; sourceBranch: string; sha: string; state?: FakeMergeRequest['state']; sourceProject?: number; targetBranch?: string }): void => {
      const p = this.project(project);
      const mr: FakeMergeRequest = { iid: input.iid, sourceProjectId: input.sourceProject ?? p.id, sourceBranch: input.sourceBranch, targetBranch: input.targetBranch ?? p.defaultBranch, sha: input.sha, state: input.state ?? 'opened' };
      p.mergeRequests = [...p.mergeRequests.filter((m) => m.iid !== input.iid), mr];
    },
    /** A commit of a project (on `ref`, default the default branch). */
    commit: (project: number | string, sha: string, ref?: string): void => {
      const p = this.project(project);
      p.commits.set(sha, ref ?? p.defaultBranch);
    },
  };

  /** Statuses of a commit, oldest first. */
  statuses(project: number | string, sha: string): GitLabCommitStatus[] {
    return this.project(project).statuses.filter((s) => s.sha === sha);
  }

  /** The notes of a merge request (API-made), oldest first. */
  notes(project: number | string, iid: number): FakeMergeRequestNote[] {
    return this.project(project).notes.get(iid) ?? [];
  }

  setRateLimit(options: { remaining: number; resetInSeconds?: number }): void {
    this.budget.set(options);
  }

  private project(idOrPath: number | string): Project {
    const found = this.findProject(String(idOrPath));
    if (!found) throw new Error(`fake GitLab: project ${idOrPath} is not seeded`);
    return found;
  }

  private findProject(idOrPath: string): Project | undefined {
    if (/^\d+$/.test(idOrPath)) return this.projects.get(Number(idOrPath));
    return [...this.projects.values()].find((p) => p.path.toLowerCase() === idOrPath.toLowerCase());
  }

  /** The project's web address on the fake (what GitLab names `web_url`). */
  webUrl(p: { path: string }): string {
    return `${this.url}/${p.path}`;
  }

  private getProject(req: FakeRequest): FakeResponse {
    const p = this.findProject(req.params.id);
    if (!p) throw glError(404, '404 Project Not Found');
    return { status: 200, body: this.renderProject(p) };
  }

  /**
   * `GET /projects` (https://docs.gitlab.com/ee/api/projects.html#list-all-projects): every seeded
   * project is the token's (`membership=true` lists them all), none is archived (`archived=false`
   * leaves none out, `archived=true` lists none); ordered by id (`order_by=id`, `sort` asc|desc, desc by default).
   */
  private listProjects(req: FakeRequest): FakeResponse {
    const orderBy = req.query.get('order_by') ?? 'id';
    if (!['id', 'created_at'].includes(orderBy)) throw paramError('order_by does not have a valid value');
    const sort = req.query.get('sort') ?? 'desc';
    if (!['asc', 'desc'].includes(sort)) throw paramError('sort does not have a valid value');
    const archived = req.query.get('archived');
    if (archived !== null && !['true', 'false'].includes(archived)) throw paramError('archived is invalid');
    const all = archived === 'true' ? [] : [...this.projects.values()].sort((a, b) => (sort === 'asc' ? a.id - b.id : b.id - a.id));
    return this.pagedList(req, all, (p) => this.renderProject(p));
  }

  /**
   * `GET /projects/:id/pipelines` (https://docs.gitlab.com/ee/api/pipelines.html#list-project-pipelines),
   * filtered by `sha`, `ref`, `status`; ordered by id (`sort`, desc by default).
   */
  private listPipelines(req: FakeRequest): FakeResponse {
    const p = this.findProject(req.params.id);
    if (!p) throw glError(404, '404 Project Not Found');
    const orderBy = req.query.get('order_by') ?? 'id';
    if (!['id', 'status', 'ref', 'updated_at', 'user_id'].includes(orderBy)) throw paramError('order_by does not have a valid value');
    const sort = req.query.get('sort') ?? 'desc';
    if (!['asc', 'desc'].includes(sort)) throw paramError('sort does not have a valid value');
    let all = [...p.pipelines, ...this.externalPipelines(p)];
    for (const field of ['sha', 'ref', 'status'] as const) {
      const value = req.query.get(field);
      if (value) all = all.filter((x) => x[field] === value);
    }
    all.sort((a, b) => (sort === 'asc' ? a.id - b.id : b.id - a.id));
    return this.pagedList(req, all, (x) => ({ ...x, web_url: `${this.webUrl(p)}/-/pipelines/${x.id}` }));
  }

  /** `GET /projects/:id/merge_requests/:iid` (https://docs.gitlab.com/ee/api/merge_requests.html#get-single-mr), the fields Sluice reads and a few more. */
  private getMergeRequest(req: FakeRequest): FakeResponse {
    const p = this.findProject(req.params.id);
    if (!p) throw glError(404, '404 Project Not Found');
    if (!/^\d+$/.test(req.params.iid)) throw paramError('merge_request_iid is invalid');
    const mr = p.mergeRequests.find((m) => m.iid === Number(req.params.iid));
    if (!mr) throw glError(404, '404 Not found');
    return {
      status: 200,
      body: {
        id: p.id * 1000 + mr.iid,
        iid: mr.iid,
        project_id: p.id,
        source_project_id: mr.sourceProjectId,
        target_project_id: p.id,
        state: mr.state,
        source_branch: mr.sourceBranch,
        target_branch: mr.targetBranch,
        sha: mr.sha,
        merge_commit_sha: null,
        web_url: `${this.webUrl(p)}/-/merge_requests/${mr.iid}`,
      },
    };
  }

  /** The project and merge request a notes route names (404 as GitLab answers). */
  private mergeRequestOf(req: FakeRequest): { project: Project; iid: number } {
    const p = this.findProject(req.params.id);
    if (!p) throw glError(404, '404 Project Not Found');
    if (!/^\d+$/.test(req.params.iid)) throw paramError('noteable_id is invalid');
    const iid = Number(req.params.iid);
    if (!p.mergeRequests.some((m) => m.iid === iid)) throw glError(404, '404 Not found');
    return { project: p, iid };
  }

  private renderNote(n: FakeMergeRequestNote, iid: number) {
    return { id: n.id, type: null, body: n.body, author: { id: 1, username: 'sluice-bot', name: 'Sluice' }, created_at: n.created_at, updated_at: n.updated_at, system: false, noteable_type: 'MergeRequest', noteable_iid: iid, resolvable: false };
  }

  /** `GET /projects/:id/merge_requests/:iid/notes` (https://docs.gitlab.com/ee/api/notes.html#list-all-merge-request-notes): newest first unless `sort=asc`. */
  private listNotes(req: FakeRequest): FakeResponse {
    const { project, iid } = this.mergeRequestOf(req);
    const sort = req.query.get('sort') ?? 'desc';
    if (sort !== 'asc' && sort !== 'desc') throw paramError('sort does not have a valid value');
    const all = [...(project.notes.get(iid) ?? [])];
    if (sort === 'desc') all.reverse();
    return this.pagedList(req, all, (n) => this.renderNote(n, iid));
  }

  /** `POST /projects/:id/merge_requests/:iid/notes` with `body`. */
  private createNote(req: FakeRequest): FakeResponse {
    const { project, iid } = this.mergeRequestOf(req);
    const body = this.params(req).body;
    if (typeof body !== 'string' || body === '') throw paramError('body is missing');
    const at = this.iso();
    const note: FakeMergeRequestNote = { id: ++this.nextId, body, created_at: at, updated_at: at, edits: [] };
    project.notes.set(iid, [...(project.notes.get(iid) ?? []), note]);
    return { status: 201, body: this.renderNote(note, iid) };
  }

  /** `PUT /projects/:id/merge_requests/:iid/notes/:note_id` with `body`: edits the note in place. */
  private updateNote(req: FakeRequest): FakeResponse {
    const { project, iid } = this.mergeRequestOf(req);
    const note = (project.notes.get(iid) ?? []).find((n) => String(n.id) === req.params.note_id);
    if (!note) throw glError(404, '404 Note Not Found');
    const body = this.params(req).body;
    if (typeof body !== 'string' || body === '') throw paramError('body is missing');
    if (body !== note.body) {
      note.edits.push(note.body);
      note.body = body;
      note.updated_at = this.iso();
    }
    return { status: 200, body: this.renderNote(note, iid) };
  }

  /** GitLab puts statuses posted through the API in a pipeline of source `external`; its status composes theirs. */
  private externalPipelines(p: Project): GitLabPipeline[] {
    const byPipeline = new Map<number, GitLabCommitStatus[]>();
    for (const s of p.statuses) if (!p.pipelines.some((x) => x.id === s.pipeline_id)) byPipeline.set(s.pipeline_id, [...(byPipeline.get(s.pipeline_id) ?? []), s]);
    return [...byPipeline].map(([id, statuses]) => {
      const has = (state: string) => statuses.some((s) => s.status === state && !(state === 'failed' && s.allow_failure));
      const status = ['running', 'pending', 'failed', 'canceled'].find(has) ?? (statuses.every((s) => s.status === 'skipped') ? 'skipped' : 'success');
      const first = statuses[0]!;
      const updated = statuses.map((s) => s.finished_at ?? s.started_at ?? s.created_at).sort().at(-1)!;
      return { id, iid: id, project_id: p.id, sha: first.sha, ref: first.ref, status, source: 'external', name: null, created_at: first.created_at, updated_at: updated };
    });
  }

  /** A page of a listing with GitLab's pagination headers (`X-Page`, `X-Total`, …, `Link`). */
  private pagedList<T>(req: FakeRequest, all: readonly T[], render: (item: T) => unknown): FakeResponse {
    const page = paginate(all, readPage(req.query, { defaultPerPage: 20, maxPerPage: 100 }));
    const headers = gitlabPageHeaders(page);
    const link = linkHeader(req.url, page);
    if (link) headers.link = link;
    return { status: 200, headers, body: page.items.map(render) };
  }

  private renderProject(p: Project): Record<string, unknown> {
    const [name] = p.path.split('/').slice(-1);
    return {
      id: p.id,
      name,
      path: name,
      path_with_namespace: p.path,
      name_with_namespace: p.path.split('/').join(' / '),
      default_branch: p.defaultBranch,
      visibility: p.visibility === 20 ? 'public' : p.visibility === 10 ? 'internal' : 'private',
      archived: false,
      empty_repo: p.repo.branches.size === 0,
      web_url: this.webUrl(p),
      http_url_to_repo: `${this.webUrl(p)}.git`,
      created_at: new Date(0).toISOString(),
      last_activity_at: this.iso(),
    };
  }

  private iso(): string {
    return new Date(this.now()).toISOString();
  }

  /** Grape takes parameters from the query string and from a JSON or form body alike. */
  private params(req: FakeRequest): Record<string, unknown> {
    const out: Record<string, unknown> = Object.fromEntries(req.query);
    const type = String(req.headers['content-type'] ?? '');
    if (req.body && typeof req.body === 'object') Object.assign(out, req.body);
    else if (type.includes('application/x-www-form-urlencoded')) Object.assign(out, Object.fromEntries(new URLSearchParams(req.rawBody.toString('utf8'))));
    return out;
  }

  private resolve(req: FakeRequest): { project: Project; sha: string; ref: string | null } {
    const project = this.findProject(req.params.id);
    if (!project) throw glError(404, '404 Project Not Found');
    const sha = req.params.sha;
    const exact = project.commits.has(sha) ? sha : [...project.commits.keys()].find((s) => sha.length >= 7 && s.startsWith(sha));
    if (!exact) throw glError(404, '404 Commit Not Found');
    return { project, sha: exact, ref: project.commits.get(exact) ?? null };
  }

  private createStatus(req: FakeRequest): FakeResponse {
    const p = this.params(req);
    if (p.state === undefined || p.state === '') throw paramError('state is missing');
    if (typeof p.state !== 'string' || !STATES.includes(p.state)) throw paramError('state does not have a valid value');
    for (const key of ['name', 'context', 'ref', 'target_url', 'description'] as const) {
      if (p[key] !== undefined && p[key] !== null && typeof p[key] !== 'string') throw paramError(`${key} is invalid`);
    }
    if (typeof p.target_url === 'string' && p.target_url && !/^https?:\/\//.test(p.target_url)) throw paramError('target_url is invalid');
    const { project, sha, ref: commitRef } = this.resolve(req);
    const name = (p.name as string | undefined) ?? (p.context as string | undefined) ?? 'default';
    const ref = (p.ref as string | undefined) ?? commitRef;
    const state = p.state as GitLabStatusState;
    const at = this.iso();
    // GitLab updates a pending/running status of the same name and ref, else starts a new one.
    let status = project.statuses.find((s) => s.sha === sha && s.name === name && s.ref === ref && !FINISHED.includes(s.status));
    const from = status?.status ?? 'created';
    if (!ALLOWED_FROM[state].includes(from)) throw paramError(`Cannot transition status via :${EVENT[state]} from :${from}`);
    if (!status) {
      const sameSha = project.statuses.find((s) => s.sha === sha);
      status = {
        id: ++this.nextId,
        sha,
        ref,
        status: state,
        name,
        target_url: null,
        description: null,
        created_at: at,
        started_at: null,
        finished_at: null,
        allow_failure: false,
        coverage: null,
        pipeline_id: typeof p.pipeline_id === 'number' ? p.pipeline_id : (sameSha?.pipeline_id ?? ++this.nextPipeline),
      };
      project.statuses.push(status);
    }
    status.status = state;
    if (p.target_url !== undefined) status.target_url = (p.target_url as string) || null;
    if (p.description !== undefined) status.description = (p.description as string) ?? null;
    if (typeof p.coverage === 'number') status.coverage = p.coverage;
    if (state === 'running') status.started_at ??= at;
    if (FINISHED.includes(state)) status.finished_at = at;
    return { status: 201, body: this.render(status) };
  }

  private listStatuses(req: FakeRequest): FakeResponse {
    const { project, sha } = this.resolve(req);
    let all = project.statuses.filter((s) => s.sha === sha);
    const ref = req.query.get('ref');
    if (ref) all = all.filter((s) => s.ref === ref);
    const name = req.query.get('name');
    if (name) all = all.filter((s) => s.name === name);
    if (req.query.get('all') !== 'true') {
      const latest = new Map<string, GitLabCommitStatus>();
      for (const s of all) latest.set(`${s.name}\0${s.ref}`, s);
      all = [...latest.values()];
    }
    return this.pagedList(req, all, (s) => this.render(s));
  }

  private render(s: GitLabCommitStatus): Record<string, unknown> {
    return {
      ...s,
      author: { id: 1, username: 'sluice-bot', name: 'Sluice', state: 'active', locked: false, avatar_url: null, web_url: 'https://gitlab.example/sluice-bot' },
    };
  }

  protected authKind(req: FakeRequest): string {
    if (req.headers['private-token']) return 'private-token';
    const auth = String(req.headers.authorization ?? '');
    if (/^bearer\s/i.test(auth)) return 'bearer';
    return auth ? 'other' : 'none';
  }

  protected override isLimited(req: FakeRequest): boolean {
    return super.isLimited(req) || this.budget.isExhausted();
  }

  protected authenticate(req: FakeRequest): void {
    const header = req.headers['private-token'];
    const bearer = /^bearer\s+(.+)$/i.exec(String(req.headers.authorization ?? ''))?.[1];
    const token = (Array.isArray(header) ? header[0] : header) ?? bearer;
    if (!token || (this.options.tokens !== undefined && !this.options.tokens.includes(token))) throw glError(401, '401 Unauthorized');
    req.auth = { kind: this.authKind(req) };
    if (!this.budget.consume()) {
      this.faults.limitUntil(this.budget.resetAt * 1000);
      throw new FakeHttpError(429, 'Retry later', { 'retry-after': String(this.budget.secondsToReset) });
    }
  }

  protected commonHeaders(): Record<string, string> {
    return {
      'ratelimit-limit': String(this.budget.limit),
      'ratelimit-remaining': String(this.budget.remaining),
      'ratelimit-observed': String(this.budget.used),
      'ratelimit-reset': String(this.budget.resetAt),
      'ratelimit-resettime': new Date(this.budget.resetAt * 1000).toUTCString(),
    };
  }

  protected rateLimitedResponse(spec: RateLimitInjection): FakeResponse {
    return { status: spec.status, headers: { 'retry-after': String(spec.retryAfterSeconds), 'content-type': 'text/plain' }, raw: 'Retry later\n' };
  }

  protected override notFoundBody(): unknown {
    return { error: '404 Not Found' };
  }
}
