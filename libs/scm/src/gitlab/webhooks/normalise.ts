import { isRepoPathOf, newEvent, type BuildConclusion, type RepoRef } from '@sluice/contracts';
import type { z } from 'zod';
import type { DeliveryInput, Normalised } from '../../webhooks/provider';
import { buildEvents, commitSummaryOf, eventsFor, ignored, refPushEvents, withShape } from '../../webhooks/normalise-kit';
import { instantOf } from '../../github/webhooks/normalise';
import { mergeRequestPayload, pipelinePayload, projectPayload, pushPayload, type GitLabCommitPayload } from './gitlab-payloads';

/** The `X-Gitlab-Event`s Sluice normalises; any other is answered `ignored`. */
export const GITLAB_EVENTS = ['Push Hook', 'Tag Push Hook', 'Pipeline Hook', 'Merge Request Hook'] as const;

/** Pure: a GitLab event name + payload → Sluice events (the same `scm.*` as GitHub's, `repo.provider: 'gitlab'`). */
export function normaliseGitLab(input: DeliveryInput): Normalised {
  switch (input.event) {
    case 'Push Hook':
    case 'Tag Push Hook':
      return withShape(pushPayload, input, normalisePush);
    case 'Pipeline Hook':
      return withShape(pipelinePayload, input, normalisePipeline);
    case 'Merge Request Hook':
      return withShape(mergeRequestPayload, input, normaliseMergeRequest);
    default:
      return ignored(`event "${input.event}" is not used by Sluice`);
  }
}

/** A project's identity, `fullName` its `path_with_namespace` (`group/name` or `group/subgroup…/name`); null for a path no GitLab project has. */
function repoOf(project: z.output<typeof projectPayload>): RepoRef | null {
  if (!isRepoPathOf('gitlab', project.path_with_namespace)) return null;
  return {
    provider: 'gitlab',
    id: project.id,
    fullName: project.path_with_namespace,
    defaultBranch: project.default_branch,
    // Internal (10) projects need an account to read, as private ones do.
    private: (project.visibility_level ?? 0) < 20,
  };
}

function withRepo(project: z.output<typeof projectPayload>, then: (repo: RepoRef) => Normalised): Normalised {
  const repo = repoOf(project);
  return repo ? then(repo) : ignored(`project path "${project.path_with_namespace}" is not a GitLab project path (group/name or group/subgroup/name, up to 20 nested groups)`);
}

function summary(c: GitLabCommitPayload) {
  return commitSummaryOf({ sha: c.id, message: c.message, authorName: c.author?.name ?? null, authorEmail: c.author?.email ?? null, timestamp: c.timestamp ?? null });
}

function normalisePush(p: z.output<typeof pushPayload>, input: DeliveryInput): Normalised {
  const branch = p.ref.startsWith('refs/heads/') ? p.ref.slice('refs/heads/'.length) : null;
  const tag = p.ref.startsWith('refs/tags/') ? p.ref.slice('refs/tags/'.length) : null;
  const name = branch ?? tag;
  if (!name) return ignored(`push to "${p.ref}" is neither a branch nor a tag`);
  return withRepo(p.project, (repo) => {
    // GitLab lists the newest 20 commits, oldest first; the head is `after` (a tag's `checkout_sha`).
    const head = p.commits.find((c) => c.id === p.after) ?? p.commits.find((c) => c.id === p.checkout_sha);
    return eventsFor(
      repo,
      null,
      refPushEvents({
        deliveryId: input.deliveryId,
        repo,
        refType: branch !== null ? 'branch' : 'tag',
        name,
        before: p.before,
        after: p.after,
        // GitLab does not say whether a push was forced.
        forced: false,
        headCommit: head ? summary(head) : null,
        commits: p.commits.map(summary),
        pusher: p.user_username ?? p.user_name ?? null,
      }),
    );
  });
}

/**
 * GitLab's pipeline statuses: a finished one's conclusion; any other (created, pending, running,
 * manual, scheduled, …) waits or runs. GitLabScm reads pipelines through the same map.
 */
export const GITLAB_PIPELINE_CONCLUSIONS: Readonly<Record<string, BuildConclusion>> = { success: 'success', failed: 'failure', canceled: 'cancelled', skipped: 'skipped' };
const FINISHED = GITLAB_PIPELINE_CONCLUSIONS;

function normalisePipeline(p: z.output<typeof pipelinePayload>, input: DeliveryInput): Normalised {
  const a = p.object_attributes;
  return withRepo(p.project, (repo) =>
    buildEvents({
      deliveryId: input.deliveryId,
      repo,
      action: a.status,
      sha: a.sha,
      branch: a.tag ? null : (a.ref ?? null),
      buildName: a.name || 'pipeline',
      source: 'workflow_run',
      conclusion: FINISHED[a.status] ?? null,
      url: a.url ?? (p.project.web_url && a.id ? `${p.project.web_url}/-/pipelines/${a.id}` : null),
      // A retried pipeline keeps its id; its deliveries are ordered by how far it got.
      run: {
        id: a.id ?? null,
        attempt: null,
        progress: a.status === 'running' ? 'in_progress' : 'queued',
        startedAt: instantOf(a.created_at),
        updatedAt: instantOf(a.finished_at ?? a.created_at),
      },
    }),
  );
}

function normaliseMergeRequest(p: z.output<typeof mergeRequestPayload>, input: DeliveryInput): Normalised {
  const mr = p.object_attributes;
  const action = mergeRequestAction(mr.action ?? null, mr.oldrev ?? null);
  if (!action) return ignored(`merge request action "${mr.action ?? ''}" is not used (an update without new commits, an approval, …)`);
  return withRepo(p.project, (repo) =>
    eventsFor(repo, mr.action ?? null, [
      newEvent('scm.pull-request.changed', {
        deliveryId: input.deliveryId,
        repo,
        action: action.action,
        number: mr.iid,
        headSha: mr.last_commit.id,
        headRef: mr.source_branch,
        baseRef: mr.target_branch,
        merged: action.merged,
      }),
    ]),
  );
}

/** GitLab's `object_attributes.action` → GitHub's pull request actions; `update` with `oldrev` is new commits. */
function mergeRequestAction(action: string | null, oldrev: string | null): { action: 'opened' | 'synchronize' | 'closed' | 'reopened'; merged: boolean } | null {
  switch (action) {
    case 'open':
      return { action: 'opened', merged: false };
    case 'reopen':
      return { action: 'reopened', merged: false };
    case 'close':
      return { action: 'closed', merged: false };
    case 'merge':
      return { action: 'closed', merged: true };
    case 'update':
      return oldrev ? { action: 'synchronize', merged: false } : null;
    default:
      return null;
  }
}
