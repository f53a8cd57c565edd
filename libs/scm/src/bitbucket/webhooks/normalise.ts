import { newEvent, type BuildConclusion, type RepoRef } from '@sluice/contracts';
import type { z } from 'zod';
import type { DeliveryInput, Normalised } from '../../webhooks/provider';
import { authorLine, buildEvents, commitSummaryOf, eventsFor, ignored, OWNER_NAME, refPushEvents, withShape, ZERO_SHA } from '../../webhooks/normalise-kit';
import { instantOf } from '../../github/webhooks/normalise';
import { commitStatusPayload, pullRequestPayload, pushPayload, repositoryPayload, type BitbucketCommitPayload } from './bitbucket-payloads';

/** The `X-Event-Key`s Sluice normalises; any other is answered `ignored`. */
export const BITBUCKET_EVENTS = [
  'repo:push',
  'repo:commit_status_created',
  'repo:commit_status_updated',
  'pullrequest:created',
  'pullrequest:updated',
  'pullrequest:fulfilled',
  'pullrequest:rejected',
] as const;

/**
 * The main branch of a repository whose delivery does not name it (Bitbucket's Repository
 * entity in webhooks usually has no `mainbranch`). repo-sync, with a Bitbucket reader, takes an
 * event's `main` as possibly assumed and reads the real one from the API (BitbucketMainBranch).
 */
export const ASSUMED_MAIN_BRANCH = 'main';

/** Pure: a Bitbucket Cloud event key + payload → Sluice events (the same `scm.*` as GitHub's, `repo.provider: 'bitbucket'`). */
export function normaliseBitbucket(input: DeliveryInput): Normalised {
  switch (input.event) {
    case 'repo:push':
      return withShape(pushPayload, input, normalisePush);
    case 'repo:commit_status_created':
    case 'repo:commit_status_updated':
      return withShape(commitStatusPayload, input, normaliseCommitStatus);
    case 'pullrequest:created':
    case 'pullrequest:updated':
    case 'pullrequest:fulfilled':
    case 'pullrequest:rejected':
      return withShape(pullRequestPayload, input, normalisePullRequest);
    default:
      return ignored(`event "${input.event}" is not used by Sluice`);
  }
}

/** Bitbucket's repositories have a UUID, not a numeric id: `id` is null and the stream is by name (docs/architecture.md §3). */
function repoOf(r: z.output<typeof repositoryPayload>): RepoRef | null {
  if (!OWNER_NAME.test(r.full_name)) return null;
  return { provider: 'bitbucket', id: null, fullName: r.full_name, defaultBranch: r.mainbranch?.name ?? ASSUMED_MAIN_BRANCH, private: r.is_private ?? true };
}

function withRepo(r: z.output<typeof repositoryPayload>, then: (repo: RepoRef) => Normalised): Normalised {
  const repo = repoOf(r);
  return repo ? then(repo) : ignored(`repository "${r.full_name}" is not a workspace/name`);
}

function summary(c: BitbucketCommitPayload) {
  const author = authorLine(c.author?.raw);
  return commitSummaryOf({
    sha: c.hash,
    message: c.message ?? '',
    authorName: author.name ?? c.author?.user?.display_name ?? null,
    authorEmail: author.email,
    timestamp: c.date ?? null,
  });
}

const REF_TYPES: Readonly<Record<string, 'branch' | 'tag'>> = { branch: 'branch', tag: 'tag', annotated_tag: 'tag' };

/** One delivery may push several refs: each change is its own push (and creation or deletion), in order. */
function normalisePush(p: z.output<typeof pushPayload>, input: DeliveryInput): Normalised {
  return withRepo(p.repository, (repo) => {
    const events = p.push.changes.flatMap((change) => {
      const ref = change.new ?? change.old;
      const refType = ref ? REF_TYPES[ref.type] : undefined;
      if (!ref || !refType) return [];
      return refPushEvents({
        deliveryId: input.deliveryId,
        repo,
        refType,
        name: ref.name,
        before: change.old?.target.hash ?? ZERO_SHA,
        after: change.new?.target.hash ?? ZERO_SHA,
        forced: change.forced ?? false,
        headCommit: change.new ? summary(change.new.target) : null,
        // Bitbucket lists the newest first.
        commits: [...change.commits].reverse().map(summary),
        pusher: p.actor?.display_name ?? p.actor?.nickname ?? p.actor?.username ?? null,
      });
    });
    return events.length > 0 ? eventsFor(repo, null, events) : ignored('repo:push changes no branch or tag');
  });
}

const STATES: Readonly<Record<string, BuildConclusion | null>> = { INPROGRESS: null, SUCCESSFUL: 'success', FAILED: 'failure', STOPPED: 'cancelled' };

function normaliseCommitStatus(p: z.output<typeof commitStatusPayload>, input: DeliveryInput): Normalised {
  const s = p.commit_status;
  if (!(s.state in STATES)) return ignored(`commit status state "${s.state}" is not used`);
  // The commit is named by `commit.hash` or, in Atlassian's examples, only by the end of `links.commit.href`.
  const sha = [s.commit?.hash, /\/commit\/([0-9a-f]{40})$/.exec(s.links?.commit?.href ?? '')?.[1]].find((h) => h && /^[0-9a-f]{40}$/.test(h));
  if (!sha) return ignored(`"${input.event}" payload not understood: commit_status: no full commit hash`);
  return withRepo(p.repository, (repo) =>
    buildEvents({
      deliveryId: input.deliveryId,
      repo,
      action: s.state,
      sha,
      branch: s.refname ?? null,
      buildName: s.name || s.key,
      source: 'status',
      conclusion: STATES[s.state]!,
      url: s.url ?? null,
      // One status per (commit, key), updated in place: its `updated_on` orders the deliveries.
      run: { id: null, attempt: null, progress: 'in_progress', startedAt: instantOf(s.created_on), updatedAt: instantOf(s.updated_on ?? s.created_on) },
    }),
  );
}

const PR_ACTIONS: Readonly<Record<string, { action: 'opened' | 'synchronize' | 'closed'; merged: boolean }>> = {
  'pullrequest:created': { action: 'opened', merged: false },
  'pullrequest:updated': { action: 'synchronize', merged: false },
  'pullrequest:fulfilled': { action: 'closed', merged: true },
  'pullrequest:rejected': { action: 'closed', merged: false },
};

function normalisePullRequest(p: z.output<typeof pullRequestPayload>, input: DeliveryInput): Normalised {
  const pr = p.pullrequest;
  // Bitbucket names a pull request's commits by abbreviated hashes; the events need the full one,
  // which webhook-ingest looks up before normalising (ResolveShortHashes). Unresolved: ignored.
  if (!/^[0-9a-f]{40}$/.test(pr.source.commit.hash)) return ignored(`pull request #${pr.id}: the source commit "${pr.source.commit.hash}" is an abbreviated hash`);
  const { action, merged } = PR_ACTIONS[input.event]!;
  return withRepo(p.repository, (repo) =>
    eventsFor(repo, action, [
      newEvent('scm.pull-request.changed', {
        deliveryId: input.deliveryId,
        repo,
        action,
        number: pr.id,
        headSha: pr.source.commit.hash,
        headRef: pr.source.branch.name,
        baseRef: pr.destination.branch.name,
        merged,
      }),
    ]),
  );
}
