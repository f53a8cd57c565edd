/**
 * The SCM write ports: what Sluice writes to a source-control system — commit statuses and
 * check runs (GitHub), deployments and their statuses (GitHub), commit statuses (GitLab),
 * build statuses (Bitbucket). The shapes are the providers' own; what a deploy phase becomes
 * in them is the caller's business (commit-status's domain). Every call builds its URL from
 * the configured API base and the arguments, goes through the credentials' shared client
 * stack and rate budget (ScmClients), and fails fast with ScmRateLimitedError while the
 * credentials are limited: writers are controllers that come back later.
 */

/** A GitHub repository, and the App installation to act as when known (App credentials). */
export interface GitHubRepoRef {
  /** `owner/name`. */
  readonly fullName: string;
  readonly installationId?: number;
}

export interface GitHubCommitStatus {
  readonly state: string;
  readonly context: string;
  readonly description: string | null;
  readonly target_url: string | null;
}

export interface GitHubCommitStatusInput {
  readonly state: 'pending' | 'success' | 'failure' | 'error';
  readonly context: string;
  readonly description: string;
  readonly target_url?: string;
}

export interface GitHubCheckRun {
  readonly id: number;
  readonly name: string;
  readonly head_sha: string;
  readonly status: string;
  readonly conclusion: string | null;
  readonly details_url: string | null;
  readonly output?: { readonly title?: string | null; readonly summary?: string | null } | null;
}

export interface GitHubCheckRunInput {
  readonly name: string;
  readonly status: 'queued' | 'in_progress' | 'completed';
  readonly conclusion?: 'success' | 'failure' | 'cancelled';
  readonly completed_at?: string;
  readonly details_url?: string;
  readonly output: { readonly title: string; readonly summary: string };
}

export interface GitHubStatusWrites {
  /** One page (100, newest first) of the statuses of a commit. */
  listCommitStatuses(repo: GitHubRepoRef, sha: string, page: number): Promise<GitHubCommitStatus[]>;
  /** Adds a status to the context (GitHub keeps at most 1,000 per context and commit). */
  createCommitStatus(repo: GitHubRepoRef, sha: string, input: GitHubCommitStatusInput): Promise<GitHubCommitStatus>;
  /** The latest check runs of `name` on a commit (App credentials). */
  listCheckRuns(repo: GitHubRepoRef, sha: string, name: string): Promise<GitHubCheckRun[]>;
  /** One check run by id; null when there is none. */
  getCheckRun(repo: GitHubRepoRef, id: number): Promise<GitHubCheckRun | null>;
  createCheckRun(repo: GitHubRepoRef, sha: string, input: GitHubCheckRunInput): Promise<GitHubCheckRun>;
  updateCheckRun(repo: GitHubRepoRef, id: number, input: GitHubCheckRunInput): Promise<GitHubCheckRun>;
}

export interface GitHubDeployment {
  readonly id: number;
  readonly payload?: unknown;
}

export interface GitHubDeploymentInput {
  readonly ref: string;
  readonly environment: string;
  readonly description: string;
  readonly auto_merge: boolean;
  readonly required_contexts: string[];
  readonly payload: Record<string, unknown>;
  /** An environment that goes away (a preview): GitHub shows its `inactive` deployment as destroyed. */
  readonly transient_environment?: boolean;
  readonly production_environment?: boolean;
}

export type GitHubDeploymentState = 'error' | 'failure' | 'inactive' | 'in_progress' | 'queued' | 'pending' | 'success';

export interface GitHubDeploymentStatusInput {
  readonly state: GitHubDeploymentState;
  readonly description: string;
  readonly log_url?: string;
  readonly environment_url?: string;
  readonly auto_inactive?: boolean;
}

export interface GitHubDeploymentWrites {
  /** Deployments of a commit to an environment (first 100, newest first). */
  listDeployments(repo: GitHubRepoRef, query: { readonly sha: string; readonly environment: string }): Promise<GitHubDeployment[]>;
  createDeployment(repo: GitHubRepoRef, input: GitHubDeploymentInput): Promise<GitHubDeployment>;
  /** The state of a deployment's latest status; null when it has none. */
  latestDeploymentState(repo: GitHubRepoRef, deploymentId: number): Promise<string | null>;
  createDeploymentStatus(repo: GitHubRepoRef, deploymentId: number, input: GitHubDeploymentStatusInput): Promise<void>;
}

/** A comment on an issue or pull request (every pull request is an issue). */
export interface GitHubIssueComment {
  readonly id: number;
  readonly body: string;
}

/** Issue and pull request comments (`/repos/{o}/{r}/issues/{n}/comments`, `/repos/{o}/{r}/issues/comments/{id}`). */
export interface GitHubIssueCommentWrites {
  /** One page (100, oldest first: GitHub orders them by ascending id) of an issue's comments. */
  listIssueComments(repo: GitHubRepoRef, issueNumber: number, page: number): Promise<GitHubIssueComment[]>;
  createIssueComment(repo: GitHubRepoRef, issueNumber: number, body: string): Promise<GitHubIssueComment>;
  /** Replaces a comment's body; `ScmRequestError` 404 when the comment is gone. */
  updateIssueComment(repo: GitHubRepoRef, commentId: number, body: string): Promise<GitHubIssueComment>;
}

/** One file of a branch as the contents API gives it: its text and its blob SHA (what an update must name). */
export interface GitHubFile {
  readonly content: string;
  readonly sha: string;
}

export interface GitHubFileCommitInput {
  readonly path: string;
  readonly branch: string;
  readonly content: string;
  /** The blob SHA the change is made on top of (GitHub refuses with 409 when the file moved since). */
  readonly sha: string;
  readonly message: string;
  readonly committer: { readonly name: string; readonly email: string };
}

/** The file changed under the writer (a 409, or 422 naming the sha): read it again and redo the change. */
export class ScmFileConflictError extends Error {
  constructor(readonly path: string, message: string) {
    super(message);
    this.name = 'ScmFileConflictError';
  }
}

/** File commits through the contents API (GitOps write-back). */
export interface GitHubFileWrites {
  /** The file at the head of `branch`; null when absent. */
  readFile(repo: GitHubRepoRef, path: string, branch: string): Promise<GitHubFile | null>;
  /** One commit changing one file; its commit SHA. `ScmFileConflictError` when the file is no longer at `sha`. */
  commitFile(repo: GitHubRepoRef, input: GitHubFileCommitInput): Promise<{ readonly commitSha: string }>;
}

export interface GitLabCommitStatus {
  readonly id: number;
  readonly status: string;
  readonly name: string;
  readonly description: string | null;
  readonly target_url: string | null;
  readonly pipeline_id?: number;
}

export interface GitLabCommitStatusInput {
  readonly state: string;
  readonly name: string;
  readonly description: string;
  readonly target_url?: string;
}

/** A note (comment) on a merge request. */
export interface GitLabNote {
  readonly id: number;
  readonly body: string;
}

export interface GitLabStatusWrites {
  /** Statuses of `name` on a commit of a project (`group/subgroup/name`). */
  listCommitStatuses(project: string, sha: string, name: string): Promise<GitLabCommitStatus[]>;
  createCommitStatus(project: string, sha: string, input: GitLabCommitStatusInput): Promise<GitLabCommitStatus>;
  /** A page (100, oldest first) of a merge request's notes. */
  listMergeRequestNotes(project: string, iid: number, page: number): Promise<GitLabNote[]>;
  createMergeRequestNote(project: string, iid: number, body: string): Promise<GitLabNote>;
  /** Edits a note in place; `ScmRequestError` 404 when it is gone. */
  updateMergeRequestNote(project: string, iid: number, noteId: number, body: string): Promise<GitLabNote>;
}

export interface BitbucketBuildStatus {
  readonly key: string;
  readonly state: string;
  readonly name?: string;
  readonly description?: string;
  readonly url: string;
  readonly uuid?: string;
}

export interface BitbucketBuildStatusInput {
  readonly key: string;
  readonly state: string;
  readonly name: string;
  readonly description: string;
  readonly url: string;
}

export interface BitbucketStatusWrites {
  /** The build status of `key` on a commit; null when there is none. */
  getBuildStatus(fullName: string, sha: string, key: string): Promise<BitbucketBuildStatus | null>;
  /** Creates the status of `key`, or updates it: one per (commit, key). */
  createBuildStatus(fullName: string, sha: string, input: BitbucketBuildStatusInput): Promise<BitbucketBuildStatus>;
}
