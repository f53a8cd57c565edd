import { linkHeader, paginate, readPage } from '../common/pagination';
import type { Router } from '../common/router';
import type { FakeRequest, FakeResponse } from '../common/types';
import type { FakeGitHub } from './fake-github';
import { githubError } from './errors';
import { signWebhook } from './webhooks';
import type { GitCommit } from './git-model';
import type { CheckApp, CheckRunRecord, DeliveryRecord, RepoState, StatusRecord } from './state';

type Obj = Record<string, unknown>;

function iso(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/** A page of `all` as a bare JSON array, or wrapped as `{ total_count, [key]: page }`. */
function list<T>(req: FakeRequest, all: readonly T[], render: (item: T) => unknown, wrapKey?: string, status = 200): FakeResponse {
  const page = paginate(all, readPage(req.query));
  const headers: Record<string, string> = {};
  const link = linkHeader(req.url, page);
  if (link) headers.link = link;
  const items = page.items.map(render);
  return { status, headers, body: wrapKey ? { total_count: page.total, [wrapKey]: items } : items };
}

function ok(body: unknown, status = 200): FakeResponse {
  return { status, body };
}

/** Commits reachable from `start`, newest first by committer date (ties: discovery order). */
function history(repo: RepoState, start: string): GitCommit[] {
  const seen = new Set<string>();
  const out: GitCommit[] = [];
  const queue = [start];
  while (queue.length) {
    const sha = queue.shift()!;
    if (seen.has(sha)) continue;
    seen.add(sha);
    const c = repo.git.commits.get(sha);
    if (!c) continue;
    out.push(c);
    queue.push(...c.parents);
  }
  return out.map((c, i) => ({ c, i })).sort((a, b) => Date.parse(b.c.committer.date) - Date.parse(a.c.committer.date) || a.i - b.i).map((x) => x.c);
}

/** Files changed by a commit relative to its first parent. */
export function changedFiles(repo: RepoState, c: GitCommit): { path: string; status: 'added' | 'removed' | 'modified'; sha: string }[] {
  const now = repo.git.readFiles(c.tree);
  const before = c.parents[0] ? repo.git.readFiles(repo.git.commits.get(c.parents[0])?.tree ?? '') : new Map<string, string>();
  const out: { path: string; status: 'added' | 'removed' | 'modified'; sha: string }[] = [];
  for (const [path, sha] of now) {
    const old = before.get(path);
    if (old === undefined) out.push({ path, status: 'added', sha });
    else if (old !== sha) out.push({ path, status: 'modified', sha });
  }
  for (const [path, sha] of before) if (!now.has(path)) out.push({ path, status: 'removed', sha });
  return out.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
}

function lineCount(buf: Buffer | undefined): number {
  if (!buf || buf.length === 0) return 0;
  const text = buf.toString('utf8');
  return text.split('\n').length - (text.endsWith('\n') ? 1 : 0);
}

/** Latest status per context (newest first), and GitHub's combined state. */
export function combineStatuses(statuses: readonly StatusRecord[]): { latest: StatusRecord[]; state: 'failure' | 'pending' | 'success' } {
  const byContext = new Map<string, StatusRecord>();
  for (const s of statuses) byContext.set(s.context, s);
  const latest = [...byContext.values()].sort((a, b) => b.id - a.id);
  let state: 'failure' | 'pending' | 'success' = 'success';
  if (latest.length === 0 || latest.some((s) => s.state === 'pending')) state = 'pending';
  if (latest.some((s) => s.state === 'error' || s.state === 'failure')) state = 'failure';
  return { latest, state };
}

export function registerGitHubRoutes(router: Router, gh: FakeGitHub): string[] {
  const { state, views } = gh;
  const registered: string[] = [];
  const route = (method: string, path: string, operationId: string, handler: (req: FakeRequest) => FakeResponse | Promise<FakeResponse>): void => {
    const op = gh.api.operation(operationId);
    if (op.method !== method || op.path !== path.replace('+}', '}')) throw new Error(`route ${method} ${path} does not match ${operationId}`);
    registered.push(operationId);
    router.add(
      method,
      path,
      (req) => {
        if (op.hasRequestBody) gh.validateBody(req);
        return handler(req);
      },
      operationId,
    );
  };
  const commitOr404 = (repo: RepoState, ref: string): GitCommit => {
    const c = state.resolveRef(repo, ref);
    if (!c) throw githubError(422, `No commit found for SHA: ${ref}`);
    return c;
  };
  const installationRepos = (req: FakeRequest): RepoState[] => {
    const token = state.issuedTokens.get(req.auth?.identity ?? '');
    const inst = token ? state.installations.get(token.installationId) : undefined;
    const all = [...state.repos.values()];
    if (!inst) return [];
    if (!inst.repositories) return all.filter((r) => r.owner.toLowerCase() === inst.account.toLowerCase());
    return all.filter((r) => inst.repositories!.some((n) => n.toLowerCase() === r.fullName.toLowerCase()));
  };

  // ---- App and installations -------------------------------------------------------
  route('GET', '/app/installations', 'apps/list-installations', (req) =>
    list(req, [...state.installations.values()], (i) => views.installation(i, gh.options.app?.appId ?? 0)),
  );

  route('POST', '/app/installations/{installation_id}/access_tokens', 'apps/create-installation-access-token', (req) => {
    const inst = state.installations.get(Number(req.params.installation_id));
    if (!inst) throw githubError(404, 'Not Found');
    const body = (req.body ?? {}) as { repositories?: string[] };
    const { token, expiresAt } = gh.issueInstallationToken(inst.id);
    const repos = inst.repositories
      ? [...state.repos.values()].filter((r) => inst.repositories!.some((n) => n.toLowerCase() === r.fullName.toLowerCase()))
      : undefined;
    const picked = body.repositories ? (repos ?? [...state.repos.values()]).filter((r) => body.repositories!.includes(r.name)) : repos;
    const out: Obj = {
      token,
      expires_at: iso(expiresAt),
      permissions: inst.permissions,
      repository_selection: picked ? 'selected' : 'all',
    };
    if (picked) out.repositories = picked.map((r) => views.repository(r));
    return ok(out, 201);
  });

  route('GET', '/installation/repositories', 'apps/list-repos-accessible-to-installation', (req) => {
    const res = list(req, installationRepos(req), (r) => views.repository(r), 'repositories');
    (res.body as Obj).repository_selection = 'selected';
    return res;
  });

  route('GET', '/orgs/{org}/repos', 'repos/list-for-org', (req) =>
    list(req, [...state.repos.values()].filter((r) => r.owner.toLowerCase() === req.params.org.toLowerCase()), (r) => views.minimalRepository(r)),
  );

  route('GET', '/user/repos', 'repos/list-for-authenticated-user', (req) => list(req, [...state.repos.values()], (r) => views.repository(r)));

  // ---- Repositories, branches, commits ---------------------------------------------
  route('GET', '/repos/{owner}/{repo}', 'repos/get', (req) => ok(views.fullRepository(gh.repoFor(req))));

  route('GET', '/repos/{owner}/{repo}/branches', 'repos/list-branches', (req) => {
    const repo = gh.repoFor(req);
    const names = [...repo.branches.keys()].sort();
    return list(req, names, (n) => views.shortBranch(repo, n, repo.branches.get(n)!));
  });

  route('GET', '/repos/{owner}/{repo}/branches/{branch+}', 'repos/get-branch', (req) => {
    const repo = gh.repoFor(req);
    const sha = repo.branches.get(req.params.branch);
    if (!sha) throw githubError(404, 'Branch not found');
    return ok(views.branch(repo, req.params.branch, repo.git.commits.get(sha)!));
  });

  route('GET', '/repos/{owner}/{repo}/commits', 'repos/list-commits', (req) => {
    const repo = gh.repoFor(req);
    const ref = req.query.get('sha') ?? repo.defaultBranch;
    const start = state.resolveRef(repo, ref);
    if (!start) {
      if (repo.branches.size === 0) throw githubError(409, 'Git Repository is empty.');
      throw githubError(404, 'Not Found');
    }
    let commits = history(repo, start.sha);
    const path = req.query.get('path');
    if (path) {
      const clean = path.replace(/^\/+|\/+$/g, '');
      commits = commits.filter((c) => changedFiles(repo, c).some((f) => f.path === clean || f.path.startsWith(`${clean}/`)));
    }
    const since = req.query.get('since');
    if (since) commits = commits.filter((c) => Date.parse(c.committer.date) >= Date.parse(since));
    return list(req, commits, (c) => views.commit(repo, c));
  });

  route('GET', '/repos/{owner}/{repo}/commits/{ref}', 'repos/get-commit', (req) => {
    const repo = gh.repoFor(req);
    const c = state.resolveRef(repo, req.params.ref);
    if (!c) throw githubError(422, `No commit found for SHA: ${req.params.ref}`);
    const files = changedFiles(repo, c).map((f) => {
      const content = repo.git.blobs.get(f.sha)?.content;
      const lines = lineCount(content);
      return views.diffEntry(repo, c.sha, f.path, f.status, f.sha, f.status === 'removed' ? { add: 0, del: lines } : { add: lines, del: 0 });
    });
    return ok(views.commit(repo, c, files as Obj[]));
  });

  route('GET', '/repos/{owner}/{repo}/compare/{basehead+}', 'repos/compare-commits', (req) => {
    const repo = gh.repoFor(req);
    const [baseRef, headRef, extra] = req.params.basehead.split('...');
    if (headRef === undefined || extra !== undefined) throw githubError(404, 'Not Found');
    const base = state.resolveRef(repo, baseRef);
    const head = state.resolveRef(repo, headRef);
    if (!base || !head) throw githubError(404, 'Not Found');
    const fromBase = new Set(history(repo, base.sha).map((c) => c.sha));
    const fromHead = history(repo, head.sha);
    const headSet = new Set(fromHead.map((c) => c.sha));
    // The newest commit both histories hold; none: GitHub answers 404 with this message.
    const mergeBase = fromHead.find((c) => fromBase.has(c.sha));
    if (!mergeBase) throw githubError(404, `No common ancestor between ${baseRef} and ${headRef}.`);
    const ahead = fromHead.filter((c) => !fromBase.has(c.sha)).reverse();
    const behindBy = [...fromBase].filter((sha) => !headSet.has(sha)).length;
    const status = ahead.length === 0 ? (behindBy === 0 ? 'identical' : 'behind') : behindBy === 0 ? 'ahead' : 'diverged';
    const page = paginate(ahead, readPage(req.query));
    const headers: Record<string, string> = {};
    const link = linkHeader(req.url, page);
    if (link) headers.link = link;
    const url = `${gh.url}/repos/${repo.fullName}`;
    const web = `https://github.com/${repo.fullName}`;
    const baseFiles = repo.git.readFiles(mergeBase.tree);
    const headFiles = repo.git.readFiles(head.tree);
    const files: Obj[] = [];
    for (const path of [...new Set([...baseFiles.keys(), ...headFiles.keys()])].sort()) {
      const was = baseFiles.get(path);
      const now = headFiles.get(path);
      if (was === now) continue;
      const lines = lineCount(repo.git.blobs.get((now ?? was)!)?.content);
      const change = now === undefined ? 'removed' : was === undefined ? 'added' : 'modified';
      files.push(views.diffEntry(repo, head.sha, path, change, (now ?? was)!, change === 'removed' ? { add: 0, del: lines } : { add: lines, del: 0 }));
    }
    return {
      status: 200,
      headers,
      body: {
        url: `${url}/compare/${req.params.basehead}`,
        html_url: `${web}/compare/${req.params.basehead}`,
        permalink_url: `${web}/compare/${repo.owner}:${base.sha}...${repo.owner}:${head.sha}`,
        diff_url: `${web}/compare/${req.params.basehead}.diff`,
        patch_url: `${web}/compare/${req.params.basehead}.patch`,
        base_commit: views.commit(repo, base),
        merge_base_commit: views.commit(repo, mergeBase),
        status,
        ahead_by: ahead.length,
        behind_by: behindBy,
        total_commits: ahead.length,
        commits: page.items.map((c) => views.commit(repo, c)),
        files,
      },
    };
  });

  // ---- Statuses ---------------------------------------------------------------------
  route('GET', '/repos/{owner}/{repo}/commits/{ref}/status', 'repos/get-combined-status-for-ref', (req) => {
    const repo = gh.repoFor(req);
    const c = state.resolveRef(repo, req.params.ref);
    if (!c) throw githubError(404, 'Not Found');
    const { latest, state: combined } = combineStatuses(repo.statuses.filter((s) => s.sha === c.sha));
    const page = paginate(latest, readPage(req.query));
    const link = linkHeader(req.url, page);
    const headers: Record<string, string> = link ? { link } : {};
    return { status: 200, headers, body: views.combinedStatus(repo, c.sha, page.items, combined, latest.length) };
  });

  route('GET', '/repos/{owner}/{repo}/commits/{ref}/statuses', 'repos/list-commit-statuses-for-ref', (req) => {
    const repo = gh.repoFor(req);
    const c = state.resolveRef(repo, req.params.ref);
    const all = c ? repo.statuses.filter((s) => s.sha === c.sha).sort((a, b) => b.id - a.id) : [];
    return list(req, all, (s) => views.status(repo, s));
  });

  route('POST', '/repos/{owner}/{repo}/statuses/{sha}', 'repos/create-commit-status', (req) => {
    const repo = gh.repoFor(req);
    const c = repo.git.commits.get(req.params.sha);
    if (!c) throw githubError(422, `No commit found for SHA: ${req.params.sha}`);
    const body = req.body as { state: StatusRecord['state']; target_url?: string | null; description?: string | null; context?: string };
    const at = iso(gh.nowMs());
    const record: StatusRecord = {
      id: state.id(),
      sha: c.sha,
      state: body.state,
      context: body.context ?? 'default',
      description: body.description ?? null,
      target_url: body.target_url ?? null,
      created_at: at,
      updated_at: at,
    };
    if (repo.statuses.filter((s) => s.sha === c.sha && s.context === record.context).length >= 1000) {
      throw githubError(422, 'Validation Failed', { errors: [{ resource: 'Status', code: 'custom', message: 'This SHA and context has reached the maximum number of statuses.' }] });
    }
    repo.statuses.push(record);
    return ok(views.status(repo, record), 201);
  });

  // ---- Checks -----------------------------------------------------------------------
  /** Check runs are written by GitHub Apps only (installation tokens), never by personal tokens. */
  const appOf = (req: FakeRequest): CheckApp => {
    if (req.auth?.kind !== 'installation') throw githubError(403, 'You must authenticate via a GitHub App.');
    return { id: gh.options.app?.appId ?? 0, slug: gh.options.appSlug ?? 'sluice', name: gh.options.appName ?? 'Sluice' };
  };
  const checkRunOr404 = (repo: RepoState, id: string): CheckRunRecord => {
    const run = repo.checkRuns.find((r) => r.id === Number(id));
    if (!run) throw githubError(404, 'Not Found');
    return run;
  };
  const applyCheckRunBody = (run: CheckRunRecord, body: Obj, at: string): void => {
    if (typeof body.name === 'string') run.name = body.name;
    if (body.details_url !== undefined) run.details_url = (body.details_url as string) ?? null;
    if (body.external_id !== undefined) run.external_id = (body.external_id as string) ?? null;
    if (typeof body.started_at === 'string') run.started_at = body.started_at;
    if (body.output && typeof body.output === 'object') {
      const o = body.output as Obj;
      run.output = { title: (o.title as string) ?? run.output.title, summary: (o.summary as string) ?? run.output.summary, text: (o.text as string) ?? run.output.text };
    }
    if (typeof body.status === 'string') run.status = body.status as CheckRunRecord['status'];
    if (typeof body.conclusion === 'string') {
      run.conclusion = body.conclusion;
      run.status = 'completed';
    }
    if (run.status === 'completed') {
      if (!run.conclusion) {
        throw githubError(422, 'Invalid request.\n\nNo conclusion given for a completed check run.', {});
      }
      run.completed_at = typeof body.completed_at === 'string' ? body.completed_at : (run.completed_at ?? at);
    }
  };

  route('POST', '/repos/{owner}/{repo}/check-runs', 'checks/create', (req) => {
    const app = appOf(req);
    const repo = gh.repoFor(req);
    const body = req.body as Obj;
    const c = commitOr404(repo, String(body.head_sha));
    const at = iso(gh.nowMs());
    const suite = gh.seed.suiteFor(repo, c.sha, app);
    const run: CheckRunRecord = {
      id: state.id(),
      app,
      head_sha: c.sha,
      name: String(body.name),
      status: 'queued',
      conclusion: null,
      details_url: null,
      external_id: null,
      started_at: at,
      completed_at: null,
      output: { title: null, summary: null, text: null },
      check_suite_id: suite.id,
    };
    applyCheckRunBody(run, body, at);
    repo.checkRuns.push(run);
    gh.seed.refreshSuite(repo, suite.id);
    return ok(views.checkRun(repo, run), 201);
  });

  route('GET', '/repos/{owner}/{repo}/check-runs/{check_run_id}', 'checks/get', (req) => {
    const repo = gh.repoFor(req);
    return ok(views.checkRun(repo, checkRunOr404(repo, req.params.check_run_id)));
  });

  route('PATCH', '/repos/{owner}/{repo}/check-runs/{check_run_id}', 'checks/update', (req) => {
    const app = appOf(req);
    const repo = gh.repoFor(req);
    const run = checkRunOr404(repo, req.params.check_run_id);
    // A check run lives in its app's check suite: only that app may change it.
    if (gh.options.checkRunOwnership !== false && run.app.id !== app.id) throw githubError(403, 'Resource not accessible by integration');
    const copy = structuredClone(run);
    applyCheckRunBody(copy, req.body as Obj, iso(gh.nowMs()));
    Object.assign(run, copy);
    gh.seed.refreshSuite(repo, run.check_suite_id);
    return ok(views.checkRun(repo, run));
  });

  route('GET', '/repos/{owner}/{repo}/commits/{ref}/check-runs', 'checks/list-for-ref', (req) => {
    const repo = gh.repoFor(req);
    const c = state.resolveRef(repo, req.params.ref);
    let runs = c ? repo.checkRuns.filter((r) => r.head_sha === c.sha) : [];
    const name = req.query.get('check_name');
    if (name) runs = runs.filter((r) => r.name === name);
    const status = req.query.get('status');
    if (status) runs = runs.filter((r) => r.status === status);
    if ((req.query.get('filter') ?? 'latest') === 'latest') {
      const latest = new Map<string, CheckRunRecord>();
      for (const r of runs) latest.set(r.name, r);
      runs = [...latest.values()];
    }
    runs = [...runs].sort((a, b) => b.id - a.id);
    return list(req, runs, (r) => views.checkRun(repo, r), 'check_runs');
  });

  route('GET', '/repos/{owner}/{repo}/commits/{ref}/check-suites', 'checks/list-suites-for-ref', (req) => {
    const repo = gh.repoFor(req);
    const c = state.resolveRef(repo, req.params.ref);
    const suites = c ? repo.checkSuites.filter((s) => s.head_sha === c.sha) : [];
    return list(req, suites, (s) => views.checkSuite(repo, s, repo.checkRuns.filter((r) => r.check_suite_id === s.id).length), 'check_suites');
  });

  // ---- Contents, trees, blobs -------------------------------------------------------
  route('GET', '/repos/{owner}/{repo}/contents/{path+}', 'repos/get-content', (req) => {
    const repo = gh.repoFor(req);
    const ref = req.query.get('ref') ?? repo.defaultBranch;
    const c = state.resolveRef(repo, ref);
    if (!c) throw githubError(404, `No commit found for the ref ${ref}`);
    const path = req.params.path.replace(/^\/+|\/+$/g, '');
    const found = repo.git.lookup(c.tree, path);
    if (!found) throw githubError(404, 'Not Found');
    if (found.type === 'blob') return ok(views.contentFile(repo, path, found.sha, repo.git.blobs.get(found.sha)!.content, ref));
    const entries = repo.git.walk(found.sha, false, path ? `${path}/` : '');
    return ok(entries.map((e) => views.contentEntry(repo, e.path, e.type === 'tree' ? 'dir' : 'file', e.sha, e.size ?? 0, ref)));
  });

  route('PUT', '/repos/{owner}/{repo}/contents/{path+}', 'repos/create-or-update-file-contents', (req) => {
    const repo = gh.repoFor(req);
    const body = req.body as { message: string; content: string; sha?: string; branch?: string; author?: { name: string; email: string }; committer?: { name: string; email: string } };
    const branch = body.branch ?? repo.defaultBranch;
    const path = req.params.path.replace(/^\/+|\/+$/g, '');
    const head = repo.branches.get(branch);
    if (!head && repo.branches.size > 0) throw githubError(404, `Branch ${branch} not found`);
    const existing = head ? repo.git.lookup(repo.git.commits.get(head)!.tree, path) : undefined;
    if (existing?.type === 'tree') throw githubError(422, 'Invalid request.\n\n"path" is a directory.');
    if (existing && body.sha === undefined) throw githubError(422, 'Invalid request.\n\n"sha" wasn\'t supplied.');
    if (existing && body.sha !== existing.sha) throw githubError(409, `${path} does not match ${body.sha}`);
    if (!existing && body.sha !== undefined) throw githubError(409, `${path} does not match ${body.sha}`);
    const content = Buffer.from(body.content, 'base64');
    const author = body.author ?? body.committer;
    const sha = gh.seed.commit(repo.fullName, { message: body.message, files: { [path]: content }, branch, ...(author ? { author: { name: author.name, email: author.email } } : {}) });
    const c = repo.git.commits.get(sha)!;
    const blob = repo.git.lookup(c.tree, path)!;
    return ok(views.fileCommit(repo, path, blob.sha, content.length, c, branch), existing ? 200 : 201);
  });

  route('GET', '/repos/{owner}/{repo}/git/trees/{tree_sha+}', 'git/get-tree', (req) => {
    const repo = gh.repoFor(req);
    const key = req.params.tree_sha;
    let treeSha: string | undefined = repo.git.trees.has(key) ? key : undefined;
    treeSha ??= state.resolveRef(repo, key)?.tree;
    if (!treeSha) throw githubError(404, 'Not Found');
    const recursive = req.query.has('recursive') && !['0', 'false', ''].includes(req.query.get('recursive') ?? '');
    return ok(views.tree(repo, treeSha, repo.git.walk(treeSha, recursive)));
  });

  route('GET', '/repos/{owner}/{repo}/git/blobs/{file_sha}', 'git/get-blob', (req) => {
    const repo = gh.repoFor(req);
    const blob = repo.git.blobs.get(req.params.file_sha);
    if (!blob) throw githubError(404, 'Not Found');
    return ok(views.blob(repo, blob.sha, blob.content));
  });

  // ---- Actions ----------------------------------------------------------------------
  route('GET', '/repos/{owner}/{repo}/actions/runs', 'actions/list-workflow-runs-for-repo', (req) => {
    const repo = gh.repoFor(req);
    let runs = [...repo.workflowRuns].sort((a, b) => b.id - a.id);
    const q = req.query;
    if (q.get('branch')) runs = runs.filter((r) => r.head_branch === q.get('branch'));
    if (q.get('event')) runs = runs.filter((r) => r.event === q.get('event'));
    if (q.get('head_sha')) runs = runs.filter((r) => r.head_sha === q.get('head_sha'));
    const st = q.get('status');
    if (st) runs = runs.filter((r) => r.status === st || r.conclusion === st);
    return list(req, runs, (r) => views.workflowRun(repo, r), 'workflow_runs');
  });

  // ---- Webhook deliveries -----------------------------------------------------------
  route('GET', '/repos/{owner}/{repo}/hooks/{hook_id}/deliveries', 'repos/list-webhook-deliveries', (req) => {
    const repo = gh.repoFor(req);
    const hookId = Number(req.params.hook_id);
    const all = repo.deliveries.filter((d) => d.hook_id === hookId).sort(newestFirst);
    return list(req, all, (d) => views.delivery(repo, d));
  });

  /** Newest first, as GitHub lists deliveries. */
  const newestFirst = (a: DeliveryRecord, b: DeliveryRecord): number =>
    a.delivered_at < b.delivered_at ? 1 : a.delivered_at > b.delivered_at ? -1 : b.id - a.id;

  /** Records a redelivery and, with a webhook target, re-POSTs the stored payload signed. */
  const redeliver = (original: DeliveryRecord, record: (r: DeliveryRecord) => void): void => {
    const attempt: DeliveryRecord['attempts'][number] = { at: iso(gh.nowMs()), status_code: null };
    original.attempts.push(attempt);
    const redelivery: DeliveryRecord = {
      ...original,
      id: state.id(),
      redelivery: true,
      status_code: 200,
      status: 'OK',
      delivered_at: iso(gh.nowMs()),
      attempts: [],
    };
    record(redelivery);
    const target = gh.options.webhookTarget;
    if (!target) return;
    const body = JSON.stringify(original.payload);
    const headers: Record<string, string> = {
      'content-type': 'application/json',
      'user-agent': 'GitHub-Hookshot/fake-scm',
      'x-github-event': original.event,
      'x-github-delivery': original.guid,
      'x-github-hook-id': String(original.hook_id),
    };
    if (gh.options.webhookSecret !== undefined) headers['x-hub-signature-256'] = signWebhook(gh.options.webhookSecret, body);
    gh.trackDelivery(
      fetch(target, { method: 'POST', headers, body, signal: AbortSignal.timeout(10_000) })
        .then(async (res) => {
          await res.arrayBuffer();
          attempt.status_code = res.status;
          redelivery.status_code = res.status;
          redelivery.status = res.ok ? 'OK' : `Invalid HTTP Response: ${res.status}`;
        })
        .catch((e: Error) => {
          attempt.error = e.message;
          redelivery.status_code = 0;
          redelivery.status = 'failed to connect';
        }),
    );
  };

  route('POST', '/repos/{owner}/{repo}/hooks/{hook_id}/deliveries/{delivery_id}/attempts', 'repos/redeliver-webhook-delivery', (req) => {
    const repo = gh.repoFor(req);
    const original = repo.deliveries.find((d) => d.hook_id === Number(req.params.hook_id) && d.id === Number(req.params.delivery_id));
    if (!original) throw githubError(404, 'Not Found');
    redeliver(original, (r) => repo.deliveries.push(r));
    return ok({}, 202);
  });

  // The App's own webhook (not in the fixture; see SUPPLEMENTARY_PATHS).
  route('GET', '/app/hook/deliveries', 'apps/list-webhook-deliveries', (req) =>
    list(req, [...state.appDeliveries].sort(newestFirst), (d) => ({ ...views.delivery(undefined, d), installation_id: d.installation_id ?? null })),
  );

  route('POST', '/app/hook/deliveries/{delivery_id}/attempts', 'apps/redeliver-webhook-delivery', (req) => {
    const original = state.appDeliveries.find((d) => d.id === Number(req.params.delivery_id));
    if (!original) throw githubError(404, 'Not Found');
    redeliver(original, (r) => state.appDeliveries.push(r));
    return ok({}, 202);
  });

  // ---- Deployments ------------------------------------------------------------------
  route('GET', '/repos/{owner}/{repo}/deployments', 'repos/list-deployments', (req) => {
    const repo = gh.repoFor(req);
    let all = [...repo.deployments].sort((a, b) => b.id - a.id);
    for (const key of ['sha', 'ref', 'task', 'environment'] as const) {
      const v = req.query.get(key);
      if (v) all = all.filter((d) => d[key] === v);
    }
    return list(req, all, (d) => views.deployment(repo, d));
  });

  route('POST', '/repos/{owner}/{repo}/deployments', 'repos/create-deployment', (req) => {
    const repo = gh.repoFor(req);
    const body = req.body as {
      ref: string;
      task?: string;
      environment?: string;
      description?: string | null;
      payload?: unknown;
      transient_environment?: boolean;
      production_environment?: boolean;
    };
    const c = state.resolveRef(repo, body.ref);
    if (!c) throw githubError(422, `No ref found for: ${body.ref}`);
    const at = iso(gh.nowMs());
    let payload = body.payload ?? {};
    if (typeof payload === 'string') {
      try {
        payload = JSON.parse(payload);
      } catch {
        throw githubError(422, 'Validation Failed', { errors: [{ resource: 'Deployment', field: 'payload', code: 'invalid' }] });
      }
    }
    const environment = body.environment ?? 'production';
    const d = {
      id: state.id(),
      sha: c.sha,
      ref: body.ref,
      task: body.task ?? 'deploy',
      environment,
      description: body.description ?? null,
      payload,
      transient_environment: body.transient_environment ?? false,
      production_environment: body.production_environment ?? environment === 'production',
      created_at: at,
      updated_at: at,
      statuses: [],
    };
    repo.deployments.push(d);
    return ok(views.deployment(repo, d), 201);
  });

  const deploymentOr404 = (repo: RepoState, id: string) => {
    const d = repo.deployments.find((x) => x.id === Number(id));
    if (!d) throw githubError(404, 'Not Found');
    return d;
  };

  route('GET', '/repos/{owner}/{repo}/deployments/{deployment_id}/statuses', 'repos/list-deployment-statuses', (req) => {
    const repo = gh.repoFor(req);
    const d = deploymentOr404(repo, req.params.deployment_id);
    return list(req, [...d.statuses].sort((a, b) => b.id - a.id), (s) => views.deploymentStatus(repo, d, s));
  });

  route('POST', '/repos/{owner}/{repo}/deployments/{deployment_id}/statuses', 'repos/create-deployment-status', (req) => {
    const repo = gh.repoFor(req);
    const d = deploymentOr404(repo, req.params.deployment_id);
    const body = req.body as {
      state: string;
      description?: string;
      environment?: string;
      target_url?: string;
      log_url?: string;
      environment_url?: string;
      auto_inactive?: boolean;
    };
    const at = iso(gh.nowMs());
    // GitHub answers "" for an unset target/log URL, but the description says `format: uri`:
    // the deployment's page stands in so the answer matches the fixture.
    const page = `https://github.com/${repo.fullName}/deployments/${d.environment}`;
    const s = {
      id: state.id(),
      state: body.state,
      description: body.description ?? '',
      environment: body.environment ?? d.environment,
      target_url: body.target_url ?? body.log_url ?? page,
      log_url: body.log_url ?? body.target_url ?? page,
      environment_url: body.environment_url ?? '',
      created_at: at,
      updated_at: at,
    };
    d.statuses.push(s);
    d.updated_at = at;
    // auto_inactive (default true): a successful deployment retires the environment's earlier
    // successful ones that are neither transient nor production — an `inactive` status on each,
    // as GitHub documents it. Transient ones (previews) are retired by whoever made them.
    if (body.state === 'success' && body.auto_inactive !== false) {
      for (const prior of repo.deployments) {
        if (prior.id >= d.id || prior.environment !== s.environment || prior.production_environment || prior.transient_environment) continue;
        if (prior.statuses.at(-1)?.state !== 'success') continue;
        prior.statuses.push({ ...s, id: state.id(), state: 'inactive', description: '', environment_url: '', created_at: at, updated_at: at });
        prior.updated_at = at;
      }
    }
    return ok(views.deploymentStatus(repo, d, s), 201);
  });

  // ---- Pulls and comments -----------------------------------------------------------
  route('GET', '/repos/{owner}/{repo}/pulls/{pull_number}', 'pulls/get', (req) => {
    const repo = gh.repoFor(req);
    const p = repo.pulls.get(Number(req.params.pull_number));
    if (!p) throw githubError(404, 'Not Found');
    return ok(views.pull(repo, p));
  });

  route('POST', '/repos/{owner}/{repo}/issues/{issue_number}/comments', 'issues/create-comment', (req) => {
    const repo = gh.repoFor(req);
    const number = Number(req.params.issue_number);
    // Known shortcut: issues are not modelled, so any positive number is an issue.
    if (!Number.isInteger(number) || number < 1) throw githubError(404, 'Not Found');
    const at = iso(gh.nowMs());
    const c = { id: state.id(), issue_number: number, body: (req.body as { body: string }).body, created_at: at, updated_at: at, edits: [] };
    repo.comments.push(c);
    return ok(views.issueComment(repo, c), 201);
  });

  route('GET', '/repos/{owner}/{repo}/issues/{issue_number}/comments', 'issues/list-comments', (req) => {
    const repo = gh.repoFor(req);
    const number = Number(req.params.issue_number);
    if (!Number.isInteger(number) || number < 1) throw githubError(404, 'Not Found');
    // Ascending id, as GitHub orders them; `since` filters on updated_at.
    const since = req.query.get('since');
    const all = repo.comments.filter((c) => c.issue_number === number && (!since || c.updated_at >= since)).sort((a, b) => a.id - b.id);
    return list(req, all, (c) => views.issueComment(repo, c));
  });

  route('PATCH', '/repos/{owner}/{repo}/issues/comments/{comment_id}', 'issues/update-comment', (req) => {
    const repo = gh.repoFor(req);
    const c = repo.comments.find((x) => x.id === Number(req.params.comment_id));
    // GitHub documents no 404 for this operation, yet answers one for a comment that is not there.
    if (!c) throw githubError(404, 'Not Found');
    c.edits.push(c.body);
    c.body = (req.body as { body: string }).body;
    c.updated_at = iso(gh.nowMs());
    return ok(views.issueComment(repo, c));
  });

  // ---- Rate limit -------------------------------------------------------------------
  route('GET', '/rate_limit', 'rate-limit/get', () => {
    const rl = gh.primaryRateLimit;
    const core = { limit: rl.limit, remaining: rl.remaining, reset: rl.resetAt, used: rl.used };
    const t = gh.api.componentExample('rate-limit-overview') as { resources: Obj; rate: Obj };
    t.resources.core = core;
    t.rate = core;
    return ok(t);
  });
  return registered;
}
