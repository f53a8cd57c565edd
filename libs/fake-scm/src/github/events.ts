import type { GitCommit } from './git-model';
import { changedFiles } from './routes';
import type { GitHubState, RepoState } from './state';
import { examplePayload } from './webhooks';

type Obj = Record<string, unknown>;
const ZERO = '0'.repeat(40);

/**
 * Webhook payloads for a seeded repository, built from GitHub's real example payloads
 * (@octokit/webhooks-examples) with the repository, refs, commits and files replaced by the
 * fake's own — so the rest of every payload is exactly what GitHub sends.
 */
export class GitHubEventPayloads {
  constructor(private readonly state: GitHubState) {}

  private repo(name: string): RepoState {
    return this.state.requireRepo(name);
  }

  /** The `repository` block of a webhook payload (pushes use epoch seconds for dates). */
  private repository(repo: RepoState, template: Obj, epochDates: boolean): Obj {
    const html = `https://github.com/${repo.fullName}`;
    const swap = (v: unknown): unknown => {
      if (typeof v === 'string') return v.replace(/https:\/\/(api\.)?github\.com\/(repos\/)?Codertocat\/Hello-World/g, (_m, api, repos) => `https://${api ?? ''}github.com/${repos ?? ''}${repo.fullName}`);
      if (Array.isArray(v)) return v.map(swap);
      if (v && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, swap(x)]));
      return v;
    };
    const out = swap(template) as Obj;
    const created = Date.parse(repo.createdAt);
    Object.assign(out, {
      id: repo.id,
      node_id: Buffer.from(`010:Repository${repo.id}`).toString('base64'),
      name: repo.name,
      full_name: repo.fullName,
      private: repo.private,
      visibility: repo.private ? 'private' : 'public',
      html_url: html,
      default_branch: repo.defaultBranch,
      created_at: epochDates ? Math.floor(created / 1000) : repo.createdAt,
      owner: { ...(out.owner as Obj), login: repo.owner, name: repo.owner, html_url: `https://github.com/${repo.owner}` },
    });
    if ('master_branch' in out) out.master_branch = repo.defaultBranch;
    return out;
  }

  private commitJson(repo: RepoState, c: GitCommit): Obj {
    const files = changedFiles(repo, c);
    return {
      id: c.sha,
      tree_id: c.tree,
      distinct: true,
      message: c.message,
      timestamp: c.committer.date,
      url: `https://github.com/${repo.fullName}/commit/${c.sha}`,
      author: { name: c.author.name, email: c.author.email, username: c.author.name.replace(/\W+/g, '') || 'user' },
      committer: { name: c.committer.name, email: c.committer.email, username: c.committer.name.replace(/\W+/g, '') || 'user' },
      added: files.filter((f) => f.status === 'added').map((f) => f.path),
      removed: files.filter((f) => f.status === 'removed').map((f) => f.path),
      modified: files.filter((f) => f.status === 'modified').map((f) => f.path),
    };
  }

  /**
   * A `push` of `branch` from `before` to `after` (default: the branch head and its first
   * parent). `after` = 40 zeros is a branch deletion; `before` = 40 zeros a creation.
   */
  push(repoName: string, options: { branch?: string; before?: string; after?: string; tag?: string } = {}): Obj {
    const repo = this.repo(repoName);
    const branch = options.branch ?? repo.defaultBranch;
    const after = options.after ?? repo.branches.get(branch) ?? ZERO;
    const afterCommit = repo.git.commits.get(after);
    const before = options.before ?? afterCommit?.parents[0] ?? ZERO;
    // Commits new to the branch, oldest first (first-parent walk back to `before`).
    const commits: GitCommit[] = [];
    let cur = afterCommit;
    while (cur && cur.sha !== before && commits.length < 20) {
      commits.unshift(cur);
      cur = cur.parents[0] ? repo.git.commits.get(cur.parents[0]) : undefined;
    }
    const p = examplePayload<Obj>('push', undefined, 4);
    const ref = options.tag ? `refs/tags/${options.tag}` : `refs/heads/${branch}`;
    Object.assign(p, {
      ref,
      before,
      after,
      created: before === ZERO,
      deleted: after === ZERO,
      forced: false,
      base_ref: null,
      compare: `https://github.com/${repo.fullName}/compare/${before.slice(0, 12)}...${after.slice(0, 12)}`,
      commits: commits.map((c) => this.commitJson(repo, c)),
      head_commit: afterCommit ? this.commitJson(repo, afterCommit) : null,
      repository: this.repository(repo, p.repository as Obj, true),
    });
    (p.repository as Obj).pushed_at = Math.floor(Date.parse(afterCommit?.committer.date ?? repo.createdAt) / 1000);
    return p;
  }

  /** A `workflow_run` event (default `completed`, `success`) for a commit. */
  workflowRun(
    repoName: string,
    options: { sha: string; branch?: string; name?: string; action?: 'completed' | 'requested' | 'in_progress'; conclusion?: string | null; id?: number },
  ): Obj {
    const repo = this.repo(repoName);
    const action = options.action ?? 'completed';
    const p = examplePayload<Obj>('workflow_run', action, action === 'completed' ? 1 : 0);
    const c = repo.git.commits.get(options.sha);
    const run = p.workflow_run as Obj;
    const branch = options.branch ?? this.state.branchOf(repo, options.sha) ?? repo.defaultBranch;
    Object.assign(run, {
      id: options.id ?? this.state.id(),
      name: options.name ?? run.name,
      head_sha: options.sha,
      head_branch: branch,
      status: action === 'completed' ? 'completed' : action === 'in_progress' ? 'in_progress' : 'queued',
      conclusion: action === 'completed' ? (options.conclusion === undefined ? 'success' : options.conclusion) : null,
      repository: { ...(run.repository as Obj), id: repo.id, name: repo.name, full_name: repo.fullName },
      head_repository: { ...(run.head_repository as Obj), id: repo.id, name: repo.name, full_name: repo.fullName },
      head_commit: c
        ? { ...(run.head_commit as Obj), id: c.sha, tree_id: c.tree, message: c.message, timestamp: c.committer.date }
        : run.head_commit,
    });
    p.repository = this.repository(repo, p.repository as Obj, false);
    if (p.workflow && typeof p.workflow === 'object' && options.name) (p.workflow as Obj).name = options.name;
    return p;
  }

  /**
   * A `pull_request` event for a pull request seeded with `seed.pull` (its head, base, state and
   * merged flag as seeded): `opened`, `synchronize` (its head moved), `reopened` or `closed`.
   */
  pullRequest(repoName: string, number: number, action: 'opened' | 'synchronize' | 'reopened' | 'closed'): Obj {
    const repo = this.repo(repoName);
    const pull = repo.pulls.get(number);
    if (!pull) throw new Error(`no pull request #${number} in ${repoName}: seed.pull it first`);
    const p = examplePayload<Obj>('pull_request', action);
    const template = p.pull_request as Obj;
    const side = (t: unknown, ref: string, sha: string): Obj => ({ ...(t as Obj), ref, sha, label: `${repo.owner}:${ref}`, repo: this.repository(repo, (t as Obj).repo as Obj, false) });
    Object.assign(template, {
      id: pull.id,
      number,
      title: pull.title,
      body: pull.body,
      state: pull.state,
      merged: pull.merged,
      url: `https://api.github.com/repos/${repo.fullName}/pulls/${number}`,
      html_url: `https://github.com/${repo.fullName}/pull/${number}`,
      head: side(template.head, pull.head.ref, pull.head.sha),
      base: side(template.base, pull.base.ref, pull.base.sha),
    });
    Object.assign(p, { action, number, repository: this.repository(repo, p.repository as Obj, false) });
    if (action === 'synchronize') p.after = pull.head.sha;
    return p;
  }

  /**
   * The `repository` event GitHub sends after `seed.rename`: `renamed` when only the name
   * changed, `transferred` when the owner did.
   */
  repositoryRenamed(repoName: string, previousFullName: string): Obj {
    const repo = this.repo(repoName);
    const [previousOwner, previousName] = previousFullName.split('/') as [string, string];
    const action = previousOwner === repo.owner ? 'renamed' : 'transferred';
    const p = examplePayload<Obj>('repository', action);
    p.repository = this.repository(repo, p.repository as Obj, false);
    p.changes = action === 'renamed' ? { repository: { name: { from: previousName } } } : { owner: { from: { user: { ...((p.changes as { owner: { from: { user: Obj } } }).owner.from.user), login: previousOwner } } } };
    return p;
  }

  /** A `status` event (a commit status changed). */
  status(repoName: string, options: { sha: string; state: 'pending' | 'success' | 'failure' | 'error'; context?: string; description?: string | null; target_url?: string | null }): Obj {
    const repo = this.repo(repoName);
    const p = examplePayload<Obj>('status', undefined, 1);
    const c = repo.git.commits.get(options.sha);
    const branches = [...repo.branches.entries()].filter(([, head]) => head === options.sha).map(([name]) => ({ name, commit: { sha: options.sha, url: `https://api.github.com/repos/${repo.fullName}/commits/${options.sha}` }, protected: false }));
    Object.assign(p, {
      id: this.state.id(),
      sha: options.sha,
      name: repo.fullName,
      state: options.state,
      context: options.context ?? 'default',
      description: options.description ?? null,
      target_url: options.target_url ?? null,
      branches,
      repository: this.repository(repo, p.repository as Obj, false),
    });
    if (c) {
      const commit = p.commit as Obj;
      commit.sha = c.sha;
      commit.commit = { ...(commit.commit as Obj), message: c.message };
    }
    return p;
  }
}
