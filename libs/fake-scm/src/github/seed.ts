import { randomUUID } from 'node:crypto';
import { GitObjects, isSha } from './git-model';
import { OTHER_CI_APP, type CheckApp } from './state';
import type {
  CheckRunRecord,
  DeliveryRecord,
  GitHubState,
  InstallationRecord,
  PullRecord,
  RepoState,
  StatusState,
  WorkflowRunRecord,
} from './state';

export interface SeedRepo {
  readonly owner: string;
  readonly name: string;
  readonly defaultBranch?: string;
  readonly private?: boolean;
}

export interface SeedCommit {
  /** Force this SHA instead of git's hash of the commit (40 hex). */
  readonly sha?: string;
  readonly message: string;
  /** Default: the head of `branch`, none for the first commit. */
  readonly parents?: readonly string[];
  /** Files changed on top of the first parent's tree; `null` deletes. */
  readonly files?: Readonly<Record<string, string | Buffer | null>>;
  /** Take `files` as the whole tree instead of changes. */
  readonly replaceTree?: boolean;
  /** Branch to move to the new commit (default: the repo's default branch). */
  readonly branch?: string;
  readonly author?: { name: string; email: string };
  /** ISO date; default: the fake's clock. */
  readonly date?: string;
}

/** Seeds repositories, git history and CI results into a FakeGitHub. */
export class GitHubSeeder {
  constructor(
    private readonly state: GitHubState,
    private readonly now: () => number,
  ) {}

  private iso(): string {
    return new Date(this.now()).toISOString().replace(/\.\d{3}Z$/, 'Z');
  }

  /** A repository (idempotent on owner/name); returns its full name. */
  repo(input: SeedRepo): string {
    const fullName = `${input.owner}/${input.name}`;
    const key = fullName.toLowerCase();
    if (!this.state.repos.has(key)) {
      const repo: RepoState = {
        id: this.state.id(),
        owner: input.owner,
        name: input.name,
        fullName,
        defaultBranch: input.defaultBranch ?? 'main',
        private: input.private ?? false,
        createdAt: this.iso(),
        branches: new Map(),
        git: new GitObjects(),
        statuses: [],
        checkRuns: [],
        checkSuites: [],
        workflowRuns: [],
        deliveries: [],
        deployments: [],
        pulls: new Map(),
        comments: [],
      };
      this.state.repos.set(key, repo);
    }
    return fullName;
  }

  /**
   * Renames or transfers a repository, as GitHub does: same id, commits and history under the
   * new `owner/name`; the old name is gone. Returns the new full name.
   */
  rename(fullName: string, to: string): string {
    const repo = this.state.requireRepo(fullName);
    const [owner, name] = to.split('/') as [string, string];
    if (this.state.repo(to)) throw new Error(`fake GitHub: repository ${to} already exists`);
    this.state.repos.delete(fullName.toLowerCase());
    Object.assign(repo, { owner, name, fullName: to });
    this.state.repos.set(to.toLowerCase(), repo);
    return to;
  }

  /** A commit; moves `branch` to it and returns its SHA. */
  commit(repoName: string, input: SeedCommit): string {
    const repo = this.state.requireRepo(repoName);
    const branch = input.branch ?? repo.defaultBranch;
    const head = repo.branches.get(branch);
    const parents = input.parents ?? (head ? [head] : []);
    for (const p of parents) if (!repo.git.commits.has(p)) throw new Error(`fake GitHub: parent ${p} is not a commit of ${repo.fullName}`);
    const base = parents[0] && !input.replaceTree ? repo.git.readFiles(repo.git.commits.get(parents[0])!.tree) : new Map<string, string>();
    for (const [path, content] of Object.entries(input.files ?? {})) {
      const clean = path.replace(/^\/+/, '');
      if (content === null) base.delete(clean);
      else base.set(clean, repo.git.writeBlob(content));
    }
    const tree = repo.git.writeTreeFromFiles(base);
    const date = input.date ?? this.iso();
    const who = { name: input.author?.name ?? 'Sluice Test', email: input.author?.email ?? 'test@sluice.dev', date };
    if (input.sha !== undefined && !isSha(input.sha)) throw new Error(`fake GitHub: sha must be 40 lowercase hex, got ${input.sha}`);
    const commit = repo.git.writeCommit({ sha: input.sha, tree, parents, message: input.message, author: who, committer: who });
    repo.branches.set(branch, commit.sha);
    return commit.sha;
  }

  /** Creates or moves a branch. */
  branch(repoName: string, name: string, sha: string): void {
    const repo = this.state.requireRepo(repoName);
    if (!repo.git.commits.has(sha)) throw new Error(`fake GitHub: ${sha} is not a commit of ${repo.fullName}`);
    repo.branches.set(name, sha);
  }

  deleteBranch(repoName: string, name: string): void {
    this.state.requireRepo(repoName).branches.delete(name);
  }

  /** A commit on `branch` that deletes `path` (a file, or every file under a folder). */
  deleteFile(repoName: string, path: string, options: { branch?: string; message?: string } = {}): string {
    const repo = this.state.requireRepo(repoName);
    const branch = options.branch ?? repo.defaultBranch;
    const head = repo.branches.get(branch);
    if (!head) throw new Error(`fake GitHub: branch ${branch} of ${repo.fullName} has no commits`);
    const files = repo.git.readFiles(repo.git.commits.get(head)!.tree);
    const clean = path.replace(/^\/+|\/+$/g, '');
    const removed: Record<string, null> = {};
    for (const p of files.keys()) if (p === clean || p.startsWith(`${clean}/`)) removed[p] = null;
    if (Object.keys(removed).length === 0) throw new Error(`fake GitHub: ${path} does not exist on ${branch}`);
    return this.commit(repoName, { message: options.message ?? `Delete ${clean}`, files: removed, branch });
  }

  /** A commit status, as if a CI system had posted it. */
  status(repoName: string, sha: string, input: { state: StatusState; context?: string; description?: string; target_url?: string }): number {
    const repo = this.state.requireRepo(repoName);
    const id = this.state.id();
    const at = this.iso();
    repo.statuses.push({
      id,
      sha,
      state: input.state,
      context: input.context ?? 'default',
      description: input.description ?? null,
      target_url: input.target_url ?? null,
      created_at: at,
      updated_at: at,
    });
    return id;
  }

  /** A check run (and its suite), as if a CI app had created it. */
  checkRun(
    repoName: string,
    input: {
      head_sha: string;
      name: string;
      status?: CheckRunRecord['status'];
      conclusion?: string | null;
      details_url?: string;
      external_id?: string;
      /** The app that "created" it; default: another CI app (not the configured App). */
      app?: CheckApp;
    },
  ): number {
    const repo = this.state.requireRepo(repoName);
    const app = input.app ?? OTHER_CI_APP;
    const suite = this.suiteFor(repo, input.head_sha, app);
    const at = this.iso();
    const status = input.conclusion ? 'completed' : (input.status ?? 'queued');
    const run: CheckRunRecord = {
      id: this.state.id(),
      app,
      head_sha: input.head_sha,
      name: input.name,
      status,
      conclusion: input.conclusion ?? null,
      details_url: input.details_url ?? null,
      external_id: input.external_id ?? null,
      started_at: at,
      completed_at: status === 'completed' ? at : null,
      output: { title: null, summary: null, text: null },
      check_suite_id: suite.id,
    };
    repo.checkRuns.push(run);
    this.refreshSuite(repo, suite.id);
    return run.id;
  }

  /** The check suite of an app for a commit, created on first use (GitHub: one per app and commit). */
  suiteFor(repo: RepoState, headSha: string, app: CheckApp): RepoState['checkSuites'][number] {
    let suite = repo.checkSuites.find((s) => s.head_sha === headSha && s.app.id === app.id);
    if (!suite) {
      const at = this.iso();
      suite = { id: this.state.id(), app, head_sha: headSha, head_branch: this.state.branchOf(repo, headSha), status: 'queued', conclusion: null, created_at: at, updated_at: at };
      repo.checkSuites.push(suite);
    }
    return suite;
  }

  /** Derives a suite's status and conclusion from its runs, as GitHub does. */
  refreshSuite(repo: RepoState, suiteId: number): void {
    const suite = repo.checkSuites.find((s) => s.id === suiteId);
    if (!suite) return;
    const runs = repo.checkRuns.filter((r) => r.check_suite_id === suiteId);
    suite.updated_at = this.iso();
    if (runs.length === 0 || runs.every((r) => r.status === 'queued')) {
      suite.status = 'queued';
      suite.conclusion = null;
    } else if (runs.some((r) => r.status !== 'completed')) {
      suite.status = 'in_progress';
      suite.conclusion = null;
    } else {
      suite.status = 'completed';
      const order = ['action_required', 'cancelled', 'timed_out', 'failure', 'stale', 'neutral', 'skipped', 'success'];
      suite.conclusion = order.find((c) => runs.some((r) => r.conclusion === c)) ?? 'success';
    }
  }

  workflowRun(
    repoName: string,
    input: { head_sha: string; name?: string; head_branch?: string; event?: string; status?: string; conclusion?: string | null; path?: string },
  ): number {
    const repo = this.state.requireRepo(repoName);
    const at = this.iso();
    const run: WorkflowRunRecord = {
      id: this.state.id(),
      name: input.name ?? 'ci',
      head_sha: input.head_sha,
      head_branch: input.head_branch ?? this.state.branchOf(repo, input.head_sha),
      event: input.event ?? 'push',
      status: input.status ?? (input.conclusion ? 'completed' : 'queued'),
      conclusion: input.conclusion ?? null,
      run_number: repo.workflowRuns.length + 1,
      workflow_id: 161335,
      path: input.path ?? `.github/workflows/${input.name ?? 'ci'}.yml`,
      created_at: at,
      updated_at: at,
    };
    repo.workflowRuns.push(run);
    return run.id;
  }

  /** A webhook delivery of a repository hook, e.g. one that failed with `status_code: 502`. */
  delivery(
    repoName: string,
    input: { hookId?: number; event: string; action?: string | null; payload: unknown; status_code?: number; guid?: string; delivered_at?: string },
  ): DeliveryRecord {
    const repo = this.state.requireRepo(repoName);
    const statusCode = input.status_code ?? 200;
    const record: DeliveryRecord = {
      id: this.state.id(),
      guid: input.guid ?? randomUUID(),
      hook_id: input.hookId ?? 1,
      event: input.event,
      action: input.action ?? ((input.payload as { action?: string } | null)?.action ?? null),
      status_code: statusCode,
      status: statusCode >= 200 && statusCode < 300 ? 'OK' : statusCode === 0 ? 'timed out' : `Invalid HTTP Response: ${statusCode}`,
      delivered_at: input.delivered_at ?? this.iso(),
      duration: 0.1,
      redelivery: false,
      payload: input.payload,
      attempts: [],
    };
    repo.deliveries.push(record);
    return record;
  }

  /** A delivery of the GitHub App's own webhook (GET /app/hook/deliveries). */
  appDelivery(input: { event: string; action?: string | null; payload: unknown; status_code?: number; guid?: string; delivered_at?: string; installationId?: number }): DeliveryRecord {
    const statusCode = input.status_code ?? 200;
    const record: DeliveryRecord = {
      id: this.state.id(),
      guid: input.guid ?? randomUUID(),
      hook_id: 0,
      event: input.event,
      action: input.action ?? ((input.payload as { action?: string } | null)?.action ?? null),
      status_code: statusCode,
      status: statusCode >= 200 && statusCode < 300 ? 'OK' : `Invalid HTTP Response: ${statusCode}`,
      delivered_at: input.delivered_at ?? this.iso(),
      duration: 0.1,
      redelivery: false,
      payload: input.payload,
      installation_id: input.installationId ?? null,
      attempts: [],
    };
    this.state.appDeliveries.push(record);
    return record;
  }

  pull(repoName: string, input: { number: number; title?: string; head: { ref: string; sha: string }; base?: { ref: string; sha?: string }; state?: 'open' | 'closed'; merged?: boolean; body?: string }): void {
    const repo = this.state.requireRepo(repoName);
    const baseRef = input.base?.ref ?? repo.defaultBranch;
    const pull: PullRecord = {
      number: input.number,
      id: this.state.id(),
      title: input.title ?? `PR #${input.number}`,
      state: input.state ?? 'open',
      merged: input.merged ?? false,
      head: input.head,
      base: { ref: baseRef, sha: input.base?.sha ?? repo.branches.get(baseRef) ?? input.head.sha },
      body: input.body ?? null,
    };
    repo.pulls.set(input.number, pull);
  }

  /** An installation of the App; `repositories` (full names) limits what its tokens see. */
  installation(input: { id: number; account: string; repositories?: string[]; permissions?: Record<string, string> }): void {
    const record: InstallationRecord = {
      id: input.id,
      account: input.account,
      repositories: input.repositories,
      permissions: input.permissions ?? { contents: 'read', metadata: 'read', statuses: 'write', checks: 'write', deployments: 'write' },
    };
    this.state.installations.set(input.id, record);
  }
}
