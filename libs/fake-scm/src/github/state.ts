import { GitObjects, type GitCommit, type GitIdentity } from './git-model';

export type StatusState = 'error' | 'failure' | 'pending' | 'success';

export interface StatusRecord {
  id: number;
  sha: string;
  state: StatusState;
  context: string;
  description: string | null;
  target_url: string | null;
  created_at: string;
  updated_at: string;
}

/** The GitHub App a check run or suite belongs to. */
export interface CheckApp {
  id: number;
  slug: string;
  name: string;
}

/** The app of seeded check runs: the fixture example's "Octocat App", i.e. some other CI. */
export const OTHER_CI_APP: CheckApp = { id: 1, slug: 'octoapp', name: 'Octocat App' };

export interface CheckRunRecord {
  id: number;
  app: CheckApp;
  head_sha: string;
  name: string;
  status: 'queued' | 'in_progress' | 'completed' | 'waiting' | 'requested' | 'pending';
  conclusion: string | null;
  details_url: string | null;
  external_id: string | null;
  started_at: string | null;
  completed_at: string | null;
  output: { title: string | null; summary: string | null; text: string | null };
  check_suite_id: number;
}

export interface CheckSuiteRecord {
  id: number;
  app: CheckApp;
  head_sha: string;
  head_branch: string | null;
  status: 'queued' | 'in_progress' | 'completed';
  conclusion: string | null;
  created_at: string;
  updated_at: string;
}

export interface WorkflowRunRecord {
  id: number;
  name: string;
  head_sha: string;
  head_branch: string | null;
  event: string;
  status: string;
  conclusion: string | null;
  run_number: number;
  workflow_id: number;
  path: string;
  created_at: string;
  updated_at: string;
}

export interface DeliveryRecord {
  id: number;
  guid: string;
  hook_id: number;
  event: string;
  action: string | null;
  status_code: number;
  status: string;
  delivered_at: string;
  duration: number;
  redelivery: boolean;
  payload: unknown;
  /** For App hook deliveries: the installation the event came from. */
  installation_id?: number | null;
  /** Redeliveries asked for through the API, with the target's answer when one was sent. */
  attempts: { at: string; status_code: number | null; error?: string }[];
}

export interface DeploymentRecord {
  id: number;
  sha: string;
  ref: string;
  task: string;
  environment: string;
  description: string | null;
  payload: unknown;
  /** A preview and the like: GitHub shows its `inactive` state as destroyed. */
  transient_environment: boolean;
  /** Default: true for `production`, false otherwise (as GitHub). */
  production_environment: boolean;
  created_at: string;
  updated_at: string;
  statuses: DeploymentStatusRecord[];
}

export interface DeploymentStatusRecord {
  id: number;
  state: string;
  description: string;
  environment: string;
  target_url: string;
  log_url: string;
  environment_url: string;
  created_at: string;
  updated_at: string;
}

export interface PullRecord {
  number: number;
  id: number;
  title: string;
  state: 'open' | 'closed';
  merged: boolean;
  head: { ref: string; sha: string };
  base: { ref: string; sha: string };
  body: string | null;
}

export interface CommentRecord {
  id: number;
  issue_number: number;
  body: string;
  created_at: string;
  /** Moves on every edit (PATCH). */
  updated_at: string;
  /** The bodies the comment had before its edits, oldest first (tests read what a PR showed over time). */
  edits: string[];
}

export interface RepoState {
  id: number;
  owner: string;
  name: string;
  fullName: string;
  defaultBranch: string;
  private: boolean;
  createdAt: string;
  branches: Map<string, string>;
  git: GitObjects;
  statuses: StatusRecord[];
  checkRuns: CheckRunRecord[];
  checkSuites: CheckSuiteRecord[];
  workflowRuns: WorkflowRunRecord[];
  deliveries: DeliveryRecord[];
  deployments: DeploymentRecord[];
  pulls: Map<number, PullRecord>;
  comments: CommentRecord[];
}

export interface InstallationRecord {
  id: number;
  account: string;
  /** Full names of the repositories it may access; undefined = all. */
  repositories?: string[];
  permissions: Record<string, string>;
}

export interface IssuedToken {
  token: string;
  installationId: number;
  expiresAt: number;
}

/** Everything the fake GitHub knows; mutated by seeding and by the API. */
export class GitHubState {
  readonly repos = new Map<string, RepoState>();
  /** Deliveries of the GitHub App's own webhook (GET /app/hook/deliveries). */
  readonly appDeliveries: DeliveryRecord[] = [];
  readonly installations = new Map<number, InstallationRecord>();
  readonly issuedTokens = new Map<string, IssuedToken>();
  private nextId = 1000;

  id(): number {
    this.nextId += 1;
    return this.nextId;
  }

  repo(fullName: string): RepoState | undefined {
    return this.repos.get(fullName.toLowerCase());
  }

  requireRepo(fullName: string): RepoState {
    const repo = this.repo(fullName);
    if (!repo) throw new Error(`fake GitHub: repository ${fullName} is not seeded (use seed.repo first)`);
    return repo;
  }

  /** A commit sha, a branch name or `heads/<branch>` → commit. */
  resolveRef(repo: RepoState, ref: string): GitCommit | undefined {
    const name = ref.replace(/^refs\//, '').replace(/^heads\//, '');
    const branchSha = repo.branches.get(name);
    if (branchSha) return repo.git.commits.get(branchSha);
    const exact = repo.git.commits.get(ref);
    if (exact) return exact;
    if (/^[0-9a-f]{7,39}$/.test(ref)) {
      for (const [sha, c] of repo.git.commits) if (sha.startsWith(ref)) return c;
    }
    return undefined;
  }

  /** Branch names whose history holds the commit (nearest first is not tracked). */
  branchOf(repo: RepoState, sha: string): string | null {
    for (const [branch, head] of repo.branches) {
      const seen = new Set<string>();
      const stack = [head];
      while (stack.length) {
        const cur = stack.pop()!;
        if (cur === sha) return branch;
        if (seen.has(cur)) continue;
        seen.add(cur);
        stack.push(...(repo.git.commits.get(cur)?.parents ?? []));
      }
    }
    return null;
  }
}

export function identity(name: string, email: string, date: string): GitIdentity {
  return { name, email, date };
}
