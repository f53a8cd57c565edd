import { newEvent, repoStream, type BuildConclusion, type BuildProgress, type BuildRun, type CommitSummary, type NewEvent, type RepoRef } from '@sluice/contracts';
import type { z } from 'zod';
import type { DeliveryInput, Normalised } from '../../webhooks/provider';
import {
  checkRunPayload,
  checkSuitePayload,
  pullRequestPayload,
  pushPayload,
  pushCommitPayload,
  refPayload,
  repositoryChangedPayload,
  repositoryPayload,
  statusPayload,
  workflowRunPayload,
} from './github-payloads';

/** The webhook events Sluice normalises; any other event is answered `ignored`. */
export const NORMALISED_EVENTS = ['push', 'workflow_run', 'check_suite', 'check_run', 'status', 'pull_request', 'create', 'delete', 'repository'] as const;

const ignored = (reason: string): Normalised => ({ kind: 'ignored', reason });

/**
 * Pure: GitHub event name + payload → Sluice events. Unknown events and actions are
 * ignored; a payload that lacks a field Sluice needs is ignored with the field named
 * (it was signed by GitHub, so it is a shape we do not know, not an attack).
 */
export function normaliseDelivery(input: DeliveryInput): Normalised {
  switch (input.event) {
    case 'push':
      return withShape(pushPayload, input, normalisePush);
    case 'workflow_run':
      return withShape(workflowRunPayload, input, normaliseWorkflowRun);
    case 'check_suite':
      return withShape(checkSuitePayload, input, normaliseCheckSuite);
    case 'check_run':
      return withShape(checkRunPayload, input, normaliseCheckRun);
    case 'status':
      return withShape(statusPayload, input, normaliseStatus);
    case 'pull_request':
      return withShape(pullRequestPayload, input, normalisePullRequest);
    case 'create':
    case 'delete':
      return withShape(refPayload, input, normaliseRef);
    case 'repository':
      return withShape(repositoryChangedPayload, input, normaliseRepositoryChange);
    default:
      return ignored(`event "${input.event}" is not used by Sluice`);
  }
}

function withShape<S extends z.ZodType>(
  schema: S,
  input: DeliveryInput,
  normalise: (payload: z.output<S>, input: DeliveryInput) => Normalised,
): Normalised {
  const parsed = schema.safeParse(input.payload);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    return ignored(`"${input.event}" payload not understood: ${issue?.path.join('.') || '(root)'}: ${issue?.message ?? 'invalid'}`);
  }
  return normalise(parsed.data, input);
}

function repoRefOf(repository: z.output<typeof repositoryPayload>): RepoRef {
  return {
    fullName: repository.full_name,
    id: repository.id,
    defaultBranch: repository.default_branch,
    private: repository.private,
    provider: 'github',
  };
}

function events(repo: RepoRef, action: string | null, list: NewEvent[]): Normalised {
  return { kind: 'events', repo: repo.fullName, stream: repoStream(repo), action, events: list };
}

/** A rename or transfer (docs/architecture.md §2): the repository's id stays, its name changes. */
function normaliseRepositoryChange(p: z.output<typeof repositoryChangedPayload>, input: DeliveryInput): Normalised {
  if (p.action !== 'renamed' && p.action !== 'transferred') return ignored(`repository action "${p.action}" is not used by Sluice`);
  const repo = repoRefOf(p.repository);
  const [owner, name] = repo.fullName.split('/') as [string, string];
  const from = p.action === 'renamed' ? p.changes?.repository?.name.from : p.changes?.owner?.from.organization?.login ?? p.changes?.owner?.from.user?.login;
  if (!from) return ignored(`"repository" ${p.action} payload not understood: changes: the previous ${p.action === 'renamed' ? 'name' : 'owner'} is missing`);
  const previousFullName = p.action === 'renamed' ? `${owner}/${from}` : `${from}/${name}`;
  return events(repo, p.action, [newEvent('scm.repository.renamed', { deliveryId: input.deliveryId, repo, previousFullName, action: p.action })]);
}

/**
 * Commit messages are kept to their first 4 KB: an event must stay far below Kafka's
 * message size limit whatever a commit says (the raw delivery keeps the full text).
 */
export const MAX_COMMIT_MESSAGE_CHARS = 4096;
export const MAX_PUSH_COMMITS = 20;

function commitOf(commit: z.output<typeof pushCommitPayload>): CommitSummary {
  return {
    sha: commit.id,
    message: commit.message.length > MAX_COMMIT_MESSAGE_CHARS ? `${commit.message.slice(0, MAX_COMMIT_MESSAGE_CHARS)}…` : commit.message,
    authorName: commit.author?.name ?? null,
    authorEmail: commit.author?.email ?? null,
    timestamp: commit.timestamp ?? null,
  };
}

function normalisePush(p: z.output<typeof pushPayload>, input: DeliveryInput): Normalised {
  const branch = p.ref.startsWith('refs/heads/') ? p.ref.slice('refs/heads/'.length) : null;
  const tag = p.ref.startsWith('refs/tags/') ? p.ref.slice('refs/tags/'.length) : null;
  const name = branch ?? tag;
  if (!name) return ignored(`push to "${p.ref}" is neither a branch nor a tag`);
  const repo = repoRefOf(p.repository);
  return events(repo, null, [
    newEvent('scm.push.received', {
      deliveryId: input.deliveryId,
      repo,
      ref: p.ref,
      refType: branch !== null ? 'branch' : 'tag',
      name,
      before: p.before,
      after: p.after,
      created: p.created,
      deleted: p.deleted,
      forced: p.forced,
      headCommit: p.head_commit ? commitOf(p.head_commit) : null,
      // GitHub sends at most 20 commits (and `size` for the rest); so do we, newest last.
      commits: p.commits.slice(-MAX_PUSH_COMMITS).map(commitOf),
      pusher: p.pusher?.name ?? null,
    }),
  ]);
}

const CONCLUSIONS: ReadonlySet<string> = new Set<BuildConclusion>([
  'success',
  'failure',
  'cancelled',
  'neutral',
  'skipped',
  'timed_out',
  'action_required',
  'stale',
  'error',
]);

/** GitHub adds conclusions over time (e.g. `startup_failure`); an unknown one is a failure, never a success. */
function conclusionOf(value: string): BuildConclusion {
  return CONCLUSIONS.has(value) ? (value as BuildConclusion) : 'failure';
}

interface BuildFacts {
  readonly repo: RepoRef;
  readonly action: string;
  readonly deliveryId: string;
  readonly sha: string;
  readonly branch: string | null;
  readonly buildName: string;
  readonly source: 'workflow_run' | 'check_suite' | 'check_run' | 'status';
  /** null while running; a conclusion once completed. */
  readonly conclusion: string | null;
  readonly url: string | null;
  /** Which execution, and when; `progress` is that of a running build (a completed one is `completed`). */
  readonly run: Omit<BuildRun, 'progress'> & { readonly progress: Exclude<BuildProgress, 'completed'> };
}

/** GitHub's timestamps in one form (ISO-8601, UTC, milliseconds) so they compare as instants; unreadable ones are unknown. */
export function instantOf(value: string | null | undefined): string | null {
  if (!value) return null;
  const ms = Date.parse(value);
  return Number.isNaN(ms) ? null : new Date(ms).toISOString();
}

/** A payload's `status` of a build not completed: only `in_progress` is running, anything else is waiting. */
function waitingOrRunning(status: string | null | undefined): Exclude<BuildProgress, 'completed'> {
  return status === 'in_progress' ? 'in_progress' : 'queued';
}

function buildEvent(f: BuildFacts): Normalised {
  const base = {
    deliveryId: f.deliveryId,
    repo: f.repo,
    sha: f.sha,
    branch: f.branch || null,
    buildName: f.buildName,
    source: f.source,
  };
  if (f.conclusion === null) return events(f.repo, f.action, [newEvent('scm.build.started', { ...base, run: f.run })]);
  return events(f.repo, f.action, [
    newEvent('scm.build.completed', { ...base, conclusion: conclusionOf(f.conclusion), url: f.url, run: { ...f.run, progress: 'completed' } }),
  ]);
}

function normaliseWorkflowRun(p: z.output<typeof workflowRunPayload>, input: DeliveryInput): Normalised {
  if (!['requested', 'in_progress', 'completed'].includes(p.action)) return ignored(`workflow_run action "${p.action}" is not used`);
  const run = p.workflow_run;
  // A `completed` delivery always carries a conclusion; one without is still running.
  const done = p.action === 'completed' && run.status === 'completed' && run.conclusion;
  return buildEvent({
    repo: repoRefOf(p.repository),
    action: p.action,
    deliveryId: input.deliveryId,
    sha: run.head_sha,
    branch: run.head_branch ?? null,
    buildName: run.name || p.workflow?.name || 'workflow',
    source: 'workflow_run',
    conclusion: done ? run.conclusion! : null,
    url: run.html_url ?? null,
    // One run id across re-runs; `run_attempt` counts them and `run_started_at` is the attempt's start.
    run: {
      id: run.id ?? null,
      attempt: run.run_attempt ?? null,
      progress: p.action === 'in_progress' ? 'in_progress' : waitingOrRunning(run.status),
      startedAt: instantOf(run.run_started_at ?? run.created_at),
      updatedAt: instantOf(run.updated_at),
    },
  });
}

function normaliseCheckSuite(p: z.output<typeof checkSuitePayload>, input: DeliveryInput): Normalised {
  if (!['requested', 'rerequested', 'completed'].includes(p.action)) return ignored(`check_suite action "${p.action}" is not used`);
  const suite = p.check_suite;
  const done = p.action === 'completed' && suite.conclusion;
  return buildEvent({
    repo: repoRefOf(p.repository),
    action: p.action,
    deliveryId: input.deliveryId,
    sha: suite.head_sha,
    branch: suite.head_branch ?? null,
    buildName: suite.app?.slug || suite.app?.name || 'check-suite',
    source: 'check_suite',
    conclusion: done ? suite.conclusion! : null,
    url: null,
    // A re-requested suite keeps its id and says nothing new until it completes again (a later `updated_at`).
    run: {
      id: suite.id ?? null,
      attempt: null,
      progress: p.action === 'completed' ? 'in_progress' : waitingOrRunning(suite.status === 'completed' ? null : suite.status),
      startedAt: instantOf(suite.created_at),
      updatedAt: instantOf(suite.updated_at),
    },
  });
}

function normaliseCheckRun(p: z.output<typeof checkRunPayload>, input: DeliveryInput): Normalised {
  if (!['created', 'rerequested', 'completed'].includes(p.action)) return ignored(`check_run action "${p.action}" is not used`);
  const run = p.check_run;
  const done = p.action === 'completed' && run.conclusion;
  return buildEvent({
    repo: repoRefOf(p.repository),
    action: p.action,
    deliveryId: input.deliveryId,
    sha: run.head_sha,
    branch: run.check_suite?.head_branch ?? null,
    buildName: run.name,
    source: 'check_run',
    conclusion: done ? run.conclusion! : null,
    url: run.html_url ?? null,
    // A re-run is a new check run (a new id, a later `started_at`); check runs have no `updated_at`.
    run: {
      id: run.id ?? null,
      attempt: null,
      progress: waitingOrRunning(run.status === 'completed' ? null : run.status),
      startedAt: instantOf(run.started_at),
      updatedAt: instantOf(run.completed_at ?? run.started_at),
    },
  });
}

function normaliseStatus(p: z.output<typeof statusPayload>, input: DeliveryInput): Normalised {
  return buildEvent({
    repo: repoRefOf(p.repository),
    action: p.state,
    deliveryId: input.deliveryId,
    sha: p.sha,
    // `branches` lists every branch whose head is this commit: only an unambiguous one is kept.
    branch: p.branches.length === 1 ? p.branches[0].name : null,
    buildName: p.context,
    source: 'status',
    conclusion: p.state === 'pending' ? null : p.state,
    url: p.target_url ?? null,
    // Every status is a new object (a new id): the latest created wins, as on GitHub.
    run: {
      id: p.id ?? null,
      attempt: null,
      progress: 'in_progress',
      startedAt: instantOf(p.created_at),
      updatedAt: instantOf(p.updated_at ?? p.created_at),
    },
  });
}

const PR_ACTIONS = ['opened', 'synchronize', 'closed', 'reopened'] as const;
type PrAction = (typeof PR_ACTIONS)[number];

function normalisePullRequest(p: z.output<typeof pullRequestPayload>, input: DeliveryInput): Normalised {
  if (!(PR_ACTIONS as readonly string[]).includes(p.action)) return ignored(`pull_request action "${p.action}" is not used`);
  const repo = repoRefOf(p.repository);
  return events(repo, p.action, [
    newEvent('scm.pull-request.changed', {
      deliveryId: input.deliveryId,
      repo,
      action: p.action as PrAction,
      number: p.number,
      headSha: p.pull_request.head.sha,
      headRef: p.pull_request.head.ref,
      baseRef: p.pull_request.base.ref,
      merged: p.pull_request.merged ?? false,
    }),
  ]);
}

function normaliseRef(p: z.output<typeof refPayload>, input: DeliveryInput): Normalised {
  if (p.ref_type !== 'branch' && p.ref_type !== 'tag') return ignored(`${input.event} of a ${p.ref_type} is not used`);
  const repo = repoRefOf(p.repository);
  const type = input.event === 'create' ? 'scm.ref.created' : 'scm.ref.deleted';
  return events(repo, null, [newEvent(type, { deliveryId: input.deliveryId, repo, refType: p.ref_type, ref: p.ref })]);
}
