import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

type Obj = Record<string, unknown>;
const ZERO = '0'.repeat(40);

/** GitLab's published example payloads (fixtures/README.md), by `X-Gitlab-Event`. */
export const GITLAB_EXAMPLE_FILES = {
  'Push Hook': 'push-hook.json',
  'Tag Push Hook': 'tag-push-hook.json',
  'Merge Request Hook': 'merge-request-hook.json',
  'Pipeline Hook': 'pipeline-hook.json',
} as const;
export type GitLabExampleEvent = keyof typeof GITLAB_EXAMPLE_FILES;

/** GitLab's example payload of `event`, unedited; a deep copy: change it freely. */
export function gitlabExamplePayload<T = Obj>(event: GitLabExampleEvent): T {
  return JSON.parse(readFileSync(join(__dirname, 'fixtures', GITLAB_EXAMPLE_FILES[event]), 'utf8')) as T;
}

export interface GitLabWebhookRequest {
  readonly headers: Record<string, string>;
  /** The exact bytes to send. */
  readonly body: string;
  readonly deliveryId: string;
}

/**
 * Headers and raw body of a webhook delivery as GitLab sends it: `X-Gitlab-Event`,
 * `X-Gitlab-Event-UUID` and `Idempotency-Key` (the same across retries), and the webhook's secret
 * token in `X-Gitlab-Token` when `token` is given.
 */
export function gitlabWebhookRequest(options: { event: string; payload: unknown; token?: string; deliveryId?: string; instance?: string }): GitLabWebhookRequest {
  const body = JSON.stringify(options.payload);
  const deliveryId = options.deliveryId ?? randomUUID();
  const headers: Record<string, string> = {
    'content-type': 'application/json',
    'user-agent': 'GitLab/17.6.0',
    'x-gitlab-event': options.event,
    'x-gitlab-event-uuid': deliveryId,
    'idempotency-key': deliveryId,
    'x-gitlab-webhook-uuid': '0b8e2d52-3f3a-4b8f-9a3e-5d5e8f0c1a2b',
    'x-gitlab-instance': options.instance ?? 'https://gitlab.example.com',
  };
  if (options.token !== undefined) headers['x-gitlab-token'] = options.token;
  return { headers, body, deliveryId };
}

/**
 * A project as payloads name it: `path` is its `path_with_namespace`, `group/name` or, in a
 * subgroup, `group/subgroup/name` (GitLab nests subgroups up to 20 levels).
 */
export interface GitLabProjectRef {
  readonly id: number;
  readonly path: string;
  readonly defaultBranch?: string;
  /** 0 private (default), 10 internal, 20 public. */
  readonly visibility?: 0 | 10 | 20;
}

export interface GitLabCommitInput {
  readonly sha: string;
  readonly message?: string;
  readonly authorName?: string;
  readonly authorEmail?: string;
  readonly timestamp?: string;
}

/**
 * Webhook payloads of a project, built from GitLab's published examples with the project, refs
 * and commits replaced: the rest of each payload is what GitLab's documentation shows.
 */
export class GitLabEventPayloads {
  constructor(private readonly origin = 'https://gitlab.example.com') {}

  private project(template: unknown, p: GitLabProjectRef): Obj {
    const web = `${this.origin}/${p.path}`;
    const host = new URL(this.origin).host;
    return {
      ...(template as Obj),
      id: p.id,
      name: p.path.split('/').at(-1),
      // GitLab's `namespace` is the name of the project's immediate group (a subgroup's own name, not its path).
      namespace: p.path.split('/').at(-2),
      path_with_namespace: p.path,
      default_branch: p.defaultBranch ?? 'main',
      visibility_level: p.visibility ?? 0,
      web_url: web,
      homepage: web,
      git_http_url: `${web}.git`,
      http_url: `${web}.git`,
      git_ssh_url: `git@${host}:${p.path}.git`,
      ssh_url: `git@${host}:${p.path}.git`,
      url: `git@${host}:${p.path}.git`,
    };
  }

  private commit(template: unknown, project: GitLabProjectRef, c: GitLabCommitInput): Obj {
    const message = c.message ?? 'commit';
    return {
      ...(template as Obj),
      id: c.sha,
      message,
      title: message.split('\n')[0],
      timestamp: c.timestamp ?? '2026-01-01T00:00:00+00:00',
      url: `${this.origin}/${project.path}/-/commit/${c.sha}`,
      author: { name: c.authorName ?? 'Sluice Tester', email: c.authorEmail ?? 'tester@example.com' },
    };
  }

  /**
   * A `Push Hook` of `branch` (or a `Tag Push Hook` of `tag`) from `before` to `after`, with
   * `commits` oldest first. `after` = 40 zeros deletes the ref, `before` = 40 zeros creates it.
   */
  push(project: GitLabProjectRef, options: { branch?: string; tag?: string; before?: string; after: string; commits?: readonly GitLabCommitInput[]; user?: string }): { event: 'Push Hook' | 'Tag Push Hook'; payload: Obj } {
    const event = options.tag !== undefined ? 'Tag Push Hook' : 'Push Hook';
    const p = gitlabExamplePayload<Obj>(event);
    const template = (gitlabExamplePayload<{ commits: Obj[] }>('Push Hook').commits[0]) as Obj;
    const commits = (options.commits ?? []).map((c) => this.commit(template, project, c));
    Object.assign(p, {
      ref: options.tag !== undefined ? `refs/tags/${options.tag}` : `refs/heads/${options.branch ?? project.defaultBranch ?? 'main'}`,
      before: options.before ?? ZERO,
      after: options.after,
      checkout_sha: options.after === ZERO ? null : options.after,
      user_username: options.user ?? p.user_username ?? 'jsmith',
      project_id: project.id,
      project: this.project(p.project, project),
      commits,
      total_commits_count: commits.length,
    });
    return { event, payload: p };
  }

  /** A `Pipeline Hook` of a pipeline for `sha` on `ref`; `status` as GitLab names it (`running`, `success`, `failed`, …). */
  pipeline(project: GitLabProjectRef, options: { sha: string; ref?: string; tag?: boolean; status: string; id?: number; name?: string | null; createdAt?: string; finishedAt?: string | null }): { event: 'Pipeline Hook'; payload: Obj } {
    const p = gitlabExamplePayload<Obj>('Pipeline Hook');
    const attrs = p.object_attributes as Obj;
    const id = options.id ?? 31;
    Object.assign(attrs, {
      id,
      name: options.name === undefined ? attrs.name : options.name,
      ref: options.ref ?? project.defaultBranch ?? 'main',
      tag: options.tag ?? false,
      sha: options.sha,
      before_sha: options.sha,
      source: 'push',
      status: options.status,
      created_at: options.createdAt ?? '2026-01-01 10:00:00 UTC',
      finished_at: options.finishedAt === undefined ? (['success', 'failed', 'canceled', 'skipped'].includes(options.status) ? '2026-01-01 10:05:00 UTC' : null) : options.finishedAt,
      url: `${this.origin}/${project.path}/-/pipelines/${id}`,
    });
    p.merge_request = null;
    p.project = this.project(p.project, project);
    p.commit = { ...(p.commit as Obj), id: options.sha, url: `${this.origin}/${project.path}/-/commit/${options.sha}` };
    return { event: 'Pipeline Hook', payload: p };
  }

  /** A `Merge Request Hook`: `action` open, reopen, close, merge or update (with `oldrev` when commits were pushed). */
  mergeRequest(
    project: GitLabProjectRef,
    options: { iid: number; action: 'open' | 'reopen' | 'close' | 'merge' | 'update' | 'approved'; sourceBranch: string; targetBranch?: string; headSha: string; oldrev?: string },
  ): { event: 'Merge Request Hook'; payload: Obj } {
    const p = gitlabExamplePayload<Obj>('Merge Request Hook');
    const attrs = p.object_attributes as Obj;
    const target = this.project(attrs.target, project);
    Object.assign(attrs, {
      iid: options.iid,
      action: options.action,
      state: options.action === 'merge' ? 'merged' : options.action === 'close' ? 'closed' : 'opened',
      source_branch: options.sourceBranch,
      target_branch: options.targetBranch ?? project.defaultBranch ?? 'main',
      source_project_id: project.id,
      target_project_id: project.id,
      source: target,
      target,
      url: `${this.origin}/${project.path}/-/merge_requests/${options.iid}`,
      last_commit: { ...(attrs.last_commit as Obj), id: options.headSha, url: `${this.origin}/${project.path}/-/commit/${options.headSha}` },
    });
    if (options.oldrev) attrs.oldrev = options.oldrev;
    p.project = this.project(p.project, project);
    return { event: 'Merge Request Hook', payload: p };
  }
}
