import { newEvent, repoStream, type BuildConclusion, type BuildRun, type CommitSummary, type NewEvent, type RepoRef } from '@sluice/contracts';
import type { z } from 'zod';
import { MAX_COMMIT_MESSAGE_CHARS, MAX_PUSH_COMMITS } from '../github/webhooks/normalise';
import type { DeliveryInput, Normalised } from './provider';

/**
 * What the normalisers of GitLab's and Bitbucket's webhooks share: they produce the same `scm.*`
 * events as GitHub's (libs/scm/src/github/webhooks/normalise.ts), with `repo.provider` set.
 */

export const ZERO_SHA = '0'.repeat(40);

export const ignored = (reason: string): Normalised => ({ kind: 'ignored', reason });

/** Parses the payload with `schema`; a payload without a field Sluice needs is ignored, the field named. */
export function withShape<S extends z.ZodType>(schema: S, input: DeliveryInput, normalise: (payload: z.output<S>, input: DeliveryInput) => Normalised): Normalised {
  const parsed = schema.safeParse(input.payload);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    return ignored(`"${input.event}" payload not understood: ${issue?.path.join('.') || '(root)'}: ${issue?.message ?? 'invalid'}`);
  }
  return normalise(parsed.data, input);
}

export function eventsFor(repo: RepoRef, action: string | null, list: NewEvent[]): Normalised {
  return { kind: 'events', repo: repo.fullName, stream: repoStream(repo), action, events: list };
}

/** `owner/name`: a GitHub or Bitbucket repository's full name (GitLab's may be `group/subgroup/name`: `isRepoPathOf` in @sluice/contracts). */
export const OWNER_NAME = /^[A-Za-z0-9_.-]+\/[A-Za-z0-9_.-]+$/;

export function commitSummaryOf(c: { sha: string; message: string; authorName: string | null; authorEmail: string | null; timestamp: string | null }): CommitSummary {
  return { ...c, message: c.message.length > MAX_COMMIT_MESSAGE_CHARS ? `${c.message.slice(0, MAX_COMMIT_MESSAGE_CHARS)}…` : c.message };
}

/** The newest `MAX_PUSH_COMMITS` of a push's commits, oldest first (as GitHub's are). */
export function lastCommits<T>(oldestFirst: readonly T[]): T[] {
  return oldestFirst.slice(-MAX_PUSH_COMMITS);
}

export interface RefPush {
  readonly deliveryId: string;
  readonly repo: RepoRef;
  readonly refType: 'branch' | 'tag';
  readonly name: string;
  readonly before: string;
  readonly after: string;
  readonly forced: boolean;
  readonly headCommit: CommitSummary | null;
  readonly commits: readonly CommitSummary[];
  readonly pusher: string | null;
}

/**
 * One ref's push: `scm.push.received`, and `scm.ref.created`/`scm.ref.deleted` when the push
 * created or deleted the ref — GitHub sends those as deliveries of their own (`create`, `delete`),
 * GitLab and Bitbucket only as a push from or to the zero commit.
 */
export function refPushEvents(p: RefPush): NewEvent[] {
  const created = p.before === ZERO_SHA;
  const deleted = p.after === ZERO_SHA;
  const ref = `${p.refType === 'branch' ? 'refs/heads/' : 'refs/tags/'}${p.name}`;
  const list: NewEvent[] = [
    newEvent('scm.push.received', {
      deliveryId: p.deliveryId,
      repo: p.repo,
      ref,
      refType: p.refType,
      name: p.name,
      before: p.before,
      after: p.after,
      created,
      deleted,
      forced: p.forced,
      headCommit: deleted ? null : p.headCommit,
      commits: lastCommits(p.commits),
      pusher: p.pusher,
    }),
  ];
  if (created && !deleted) list.push(newEvent('scm.ref.created', { deliveryId: p.deliveryId, repo: p.repo, refType: p.refType, ref: p.name }));
  if (deleted && !created) list.push(newEvent('scm.ref.deleted', { deliveryId: p.deliveryId, repo: p.repo, refType: p.refType, ref: p.name }));
  return list;
}

export interface BuildReport {
  readonly deliveryId: string;
  readonly repo: RepoRef;
  readonly action: string;
  readonly sha: string;
  readonly branch: string | null;
  readonly buildName: string;
  /** The contracts' sources are GitHub's: a GitLab pipeline is a `workflow_run`, a Bitbucket build status a `status`. */
  readonly source: 'workflow_run' | 'status';
  /** null while queued or running. */
  readonly conclusion: BuildConclusion | null;
  readonly url: string | null;
  readonly run: Omit<BuildRun, 'progress'> & { readonly progress: 'queued' | 'in_progress' };
}

export function buildEvents(b: BuildReport): Normalised {
  const base = { deliveryId: b.deliveryId, repo: b.repo, sha: b.sha, branch: b.branch || null, buildName: b.buildName, source: b.source };
  if (b.conclusion === null) return eventsFor(b.repo, b.action, [newEvent('scm.build.started', { ...base, run: b.run })]);
  return eventsFor(b.repo, b.action, [newEvent('scm.build.completed', { ...base, conclusion: b.conclusion, url: b.url, run: { ...b.run, progress: 'completed' } })]);
}

/** `Name <email>` (git's author line, as Bitbucket gives it) → its parts. */
export function authorLine(raw: string | null | undefined): { name: string | null; email: string | null } {
  if (!raw) return { name: null, email: null };
  const m = /^(.*?)\s*<([^>]*)>\s*$/.exec(raw);
  return m ? { name: m[1] || null, email: m[2] || null } : { name: raw.trim() || null, email: null };
}
