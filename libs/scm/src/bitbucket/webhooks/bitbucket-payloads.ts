import { z } from 'zod';

/**
 * The parts of Bitbucket Cloud webhook payloads Sluice reads (shapes from Atlassian's "Event
 * payloads"; fixtures in libs/fake-scm/src/bitbucket/fixtures). Everything else is ignored.
 */

const sha = z.string().regex(/^[0-9a-f]{40}$/);

/** The Repository entity; `mainbranch` is only in some deliveries. */
export const repositoryPayload = z.object({
  full_name: z.string().min(1),
  is_private: z.boolean().nullish(),
  mainbranch: z.object({ name: z.string().min(1) }).nullish(),
});

const account = z.object({ display_name: z.string().nullish(), nickname: z.string().nullish(), username: z.string().nullish() }).nullish();

const commit = z.object({
  hash: sha,
  message: z.string().nullish(),
  date: z.string().nullish(),
  author: z.object({ raw: z.string().nullish(), user: account }).nullish(),
});
export type BitbucketCommitPayload = z.output<typeof commit>;

const refState = z.object({ type: z.string(), name: z.string().min(1), target: commit }).nullish();

export const pushPayload = z.object({
  actor: account,
  repository: repositoryPayload,
  push: z.object({
    changes: z.array(
      z.object({
        new: refState,
        old: refState,
        forced: z.boolean().nullish(),
        /** At most 5, newest first; `truncated` when there were more. */
        commits: z.array(commit).default([]),
      }),
    ),
  }),
});

export const commitStatusPayload = z.object({
  repository: repositoryPayload,
  commit_status: z.object({
    key: z.string().min(1),
    name: z.string().nullish(),
    state: z.string(),
    url: z.string().nullish(),
    refname: z.string().nullish(),
    created_on: z.string().nullish(),
    updated_on: z.string().nullish(),
    commit: z.object({ hash: z.string() }).nullish(),
    links: z.object({ commit: z.object({ href: z.string() }).nullish() }).nullish(),
  }),
});

const endpoint = z.object({ branch: z.object({ name: z.string().min(1) }), commit: z.object({ hash: z.string() }) });

export const pullRequestPayload = z.object({
  repository: repositoryPayload,
  pullrequest: z.object({ id: z.number().int().positive(), source: endpoint, destination: endpoint }),
});
