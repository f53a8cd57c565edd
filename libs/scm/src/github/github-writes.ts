import { ScmRateLimitedError, ScmRequestError } from '../errors';
import { failureMessage, redactUrl } from '../http/provider-fetch';
import type {
  GitHubCheckRun,
  GitHubCheckRunInput,
  GitHubCommitStatus,
  GitHubCommitStatusInput,
  GitHubDeployment,
  GitHubDeploymentInput,
  GitHubDeploymentStatusInput,
  GitHubDeploymentWrites,
  GitHubFile,
  GitHubFileCommitInput,
  GitHubFileWrites,
  GitHubIssueComment,
  GitHubIssueCommentWrites,
  GitHubRepoRef,
  GitHubStatusWrites,
} from '../write-port';
import { ScmFileConflictError } from '../write-port';
import { FAIL_FAST, type GitHubOctokit } from './github-client';
import type { GitHubScm } from './github-scm';

/**
 * Per call: no retry inside the call and no waiting out a rate limit — the callers are
 * controllers with their own backoff (commit-status's work queue, the deployments mirror),
 * which must not hold a worker while the credentials are limited.
 */
const FAIL_FAST_REQUEST = { request: { retries: 0, [FAIL_FAST]: true } };

/**
 * GitHub writes (commit statuses, check runs, deployments) through the same clients and
 * rate-limit gate as a GitHubScm's reads: one budget per set of credentials.
 */
export class GitHubWrites implements GitHubStatusWrites, GitHubDeploymentWrites, GitHubFileWrites, GitHubIssueCommentWrites {
  constructor(private readonly scm: GitHubScm) {}

  listCommitStatuses(repo: GitHubRepoRef, sha: string, page: number): Promise<GitHubCommitStatus[]> {
    return this.call(repo, async (c, owner, name) => {
      const res = await c.rest.repos.listCommitStatusesForRef({ owner, repo: name, ref: sha, per_page: 100, page, ...FAIL_FAST_REQUEST });
      return res.data.map(toStatus);
    });
  }

  createCommitStatus(repo: GitHubRepoRef, sha: string, input: GitHubCommitStatusInput): Promise<GitHubCommitStatus> {
    return this.call(repo, async (c, owner, name) => toStatus((await c.rest.repos.createCommitStatus({ owner, repo: name, sha, ...input, ...FAIL_FAST_REQUEST })).data));
  }

  listCheckRuns(repo: GitHubRepoRef, sha: string, checkName: string): Promise<GitHubCheckRun[]> {
    return this.call(repo, async (c, owner, name) => {
      const res = await c.rest.checks.listForRef({ owner, repo: name, ref: sha, check_name: checkName, filter: 'latest', per_page: 100, ...FAIL_FAST_REQUEST });
      return res.data.check_runs.map(toCheckRun);
    });
  }

  async getCheckRun(repo: GitHubRepoRef, id: number): Promise<GitHubCheckRun | null> {
    try {
      return await this.call(repo, async (c, owner, name) => toCheckRun((await c.rest.checks.get({ owner, repo: name, check_run_id: id, ...FAIL_FAST_REQUEST })).data));
    } catch (error) {
      if (error instanceof ScmRequestError && error.status === 404) return null;
      throw error;
    }
  }

  createCheckRun(repo: GitHubRepoRef, sha: string, input: GitHubCheckRunInput): Promise<GitHubCheckRun> {
    return this.call(repo, async (c, owner, name) => toCheckRun((await c.rest.checks.create({ owner, repo: name, head_sha: sha, ...input, ...FAIL_FAST_REQUEST })).data));
  }

  updateCheckRun(repo: GitHubRepoRef, id: number, input: GitHubCheckRunInput): Promise<GitHubCheckRun> {
    return this.call(repo, async (c, owner, name) => toCheckRun((await c.rest.checks.update({ owner, repo: name, check_run_id: id, ...input, ...FAIL_FAST_REQUEST })).data));
  }

  listDeployments(repo: GitHubRepoRef, query: { readonly sha: string; readonly environment: string }): Promise<GitHubDeployment[]> {
    return this.call(repo, async (c, owner, name) => {
      const res = await c.rest.repos.listDeployments({ owner, repo: name, sha: query.sha, environment: query.environment, per_page: 100, ...FAIL_FAST_REQUEST });
      return res.data.map((d) => ({ id: d.id, payload: d.payload }));
    });
  }

  createDeployment(repo: GitHubRepoRef, input: GitHubDeploymentInput): Promise<GitHubDeployment> {
    return this.call(repo, async (c, owner, name) => {
      const res = await c.rest.repos.createDeployment({ owner, repo: name, ...input, ...FAIL_FAST_REQUEST });
      const d = res.data as { id: number; payload?: unknown };
      return { id: d.id, payload: d.payload };
    });
  }

  latestDeploymentState(repo: GitHubRepoRef, deploymentId: number): Promise<string | null> {
    return this.call(repo, async (c, owner, name) => {
      const res = await c.rest.repos.listDeploymentStatuses({ owner, repo: name, deployment_id: deploymentId, per_page: 1, ...FAIL_FAST_REQUEST });
      return res.data[0]?.state ?? null;
    });
  }

  createDeploymentStatus(repo: GitHubRepoRef, deploymentId: number, input: GitHubDeploymentStatusInput): Promise<void> {
    return this.call(repo, async (c, owner, name) => {
      await c.rest.repos.createDeploymentStatus({ owner, repo: name, deployment_id: deploymentId, ...input, ...FAIL_FAST_REQUEST });
    });
  }

  listIssueComments(repo: GitHubRepoRef, issueNumber: number, page: number): Promise<GitHubIssueComment[]> {
    return this.call(repo, async (c, owner, name) => {
      const res = await c.rest.issues.listComments({ owner, repo: name, issue_number: issueNumber, per_page: 100, page, ...FAIL_FAST_REQUEST });
      return res.data.map(toComment);
    });
  }

  createIssueComment(repo: GitHubRepoRef, issueNumber: number, body: string): Promise<GitHubIssueComment> {
    return this.call(repo, async (c, owner, name) => toComment((await c.rest.issues.createComment({ owner, repo: name, issue_number: issueNumber, body, ...FAIL_FAST_REQUEST })).data));
  }

  updateIssueComment(repo: GitHubRepoRef, commentId: number, body: string): Promise<GitHubIssueComment> {
    return this.call(repo, async (c, owner, name) => toComment((await c.rest.issues.updateComment({ owner, repo: name, comment_id: commentId, body, ...FAIL_FAST_REQUEST })).data));
  }

  readFile(repo: GitHubRepoRef, path: string, branch: string): Promise<GitHubFile | null> {
    return this.call(repo, async (c, owner, name) => {
      try {
        const res = await c.rest.repos.getContent({ owner, repo: name, path, ref: branch, ...FAIL_FAST_REQUEST });
        const file = res.data as { type?: string; content?: string; encoding?: string; sha: string };
        if (Array.isArray(res.data) || file.type !== 'file' || file.content === undefined) throw new ScmRequestError(422, `${repo.fullName}/${path} is not a file`, false);
        return { content: Buffer.from(file.content, (file.encoding ?? 'base64') as BufferEncoding).toString('utf8'), sha: file.sha };
      } catch (error) {
        if ((error as { status?: number }).status === 404) return null;
        throw error;
      }
    });
  }

  commitFile(repo: GitHubRepoRef, input: GitHubFileCommitInput): Promise<{ readonly commitSha: string }> {
    return this.call(repo, async (c, owner, name) => {
      try {
        const res = await c.rest.repos.createOrUpdateFileContents({
          owner,
          repo: name,
          path: input.path,
          branch: input.branch,
          sha: input.sha,
          message: input.message,
          content: Buffer.from(input.content, 'utf8').toString('base64'),
          committer: input.committer,
          author: input.committer,
          ...FAIL_FAST_REQUEST,
        });
        return { commitSha: res.data.commit.sha! };
      } catch (error) {
        const status = (error as { status?: number }).status;
        const text = String((error as { message?: string }).message ?? '');
        if (status === 409 || (status === 422 && /sha/i.test(text))) throw new ScmFileConflictError(input.path, `${repo.fullName}/${input.path} changed on ${input.branch} since it was read`);
        throw error;
      }
    });
  }

  private async call<T>(repo: GitHubRepoRef, fn: (client: GitHubOctokit, owner: string, name: string) => Promise<T>): Promise<T> {
    const gate = this.scm.rateLimitGate;
    const until = gate.blockedUntil();
    if (until !== null) throw new ScmRateLimitedError(until);
    const i = repo.fullName.lastIndexOf('/');
    try {
      const client = await this.scm.clientForRepo(repo.fullName, repo.installationId);
      return await fn(client, repo.fullName.slice(0, i), repo.fullName.slice(i + 1));
    } catch (error) {
      throw writeError(error, gate.blockedUntil());
    }
  }
}

/**
 * Octokit's RequestError → the SCM errors, worded as every provider call is (`METHOD url:
 * status message`, the provider's `message` field only — never a raw body); a refused
 * redirect keeps its own error; a limited answer becomes ScmRateLimitedError.
 */
function writeError(error: unknown, blockedUntil: number | null): Error {
  if (error instanceof ScmRequestError || error instanceof ScmFileConflictError) return error;
  const e = error as { status?: number; cause?: unknown; request?: { method?: string; url?: string }; response?: { data?: unknown } };
  if (e.cause instanceof ScmRequestError) return e.cause;
  const method = e.request?.method ?? 'GET';
  const url = e.request?.url;
  if (typeof e.status !== 'number' || !url || !e.response) {
    // No answer (network, timeout, App token signing): its own message.
    const message = error instanceof Error ? error.message : String(error);
    return new ScmRequestError(e.status ?? 0, url ? `${method} ${redactUrl(url)}: ${message}` : message, true);
  }
  if (blockedUntil !== null && (e.status === 403 || e.status === 429)) {
    return new ScmRateLimitedError(blockedUntil, `${method} ${redactUrl(url)}: ${e.status} rate limited until ${new Date(blockedUntil).toISOString()}`);
  }
  return new ScmRequestError(e.status, failureMessage(method, url, e.status, e.response.data), e.status >= 500 || e.status === 408);
}

function toComment(c: { id: number; body?: string }): GitHubIssueComment {
  return { id: c.id, body: c.body ?? '' };
}

function toStatus(s: { state: string; context: string; description?: string | null; target_url?: string | null }): GitHubCommitStatus {
  return { state: s.state, context: s.context, description: s.description ?? null, target_url: s.target_url ?? null };
}

function toCheckRun(r: {
  id: number;
  name: string;
  head_sha: string;
  status: string;
  conclusion: string | null;
  details_url: string | null;
  output?: { title: string | null; summary: string | null };
}): GitHubCheckRun {
  return { id: r.id, name: r.name, head_sha: r.head_sha, status: r.status, conclusion: r.conclusion ?? null, details_url: r.details_url ?? null, output: r.output ?? null };
}
