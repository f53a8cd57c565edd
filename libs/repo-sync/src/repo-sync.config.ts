import { z } from 'zod';
import { catalogueVisibilitySetting } from '@sluice/auth';
import { commonConfigSchema, httpUrlSetting } from '@sluice/platform';

/** Repositories global sync reads at once by default (each up to 4 reads at a time). */
export const DEFAULT_REPO_SYNC_CONCURRENCY = 16;

/** The common settings (docs/architecture.md §9) and repo-sync's own. */
export const repoSyncConfigSchema = commonConfigSchema.extend({
  /** Repositories global sync reads at once. */
  REPO_SYNC_CONCURRENCY: z
    .string()
    .regex(/^\d+$/, { error: 'expected a whole number (1-64)' })
    .transform(Number)
    .pipe(z.number().int().min(1).max(64))
    .default(DEFAULT_REPO_SYNC_CONCURRENCY),
  /** Git polling (README "Git polling"): seconds between polls of each config and artifact repository; 0 turns it off. */
  REPO_SYNC_POLL_SECONDS: z
    .string()
    .regex(/^\d+(\.\d+)?$/, { error: 'expected a number of seconds (0: no polling)' })
    .transform(Number)
    .default(180),
  /** What a team token reads of the catalogue: `team` (its configs' repositories) or `installation` (all). */
  SLUICE_CATALOGUE_VISIBILITY: catalogueVisibilitySetting,
  /** GitLab's API, to read the configs of GitLab-hosted repositories (with GITLAB_TOKEN; the same settings commit-status writes with). */
  GITLAB_API_URL: httpUrlSetting.default('https://gitlab.com/api/v4'),
  /** Unset: GitLab repositories are followed by webhook, their configs are not read. */
  GITLAB_TOKEN: z.string().optional(),
  /** Bitbucket Cloud's API, to read the configs of Bitbucket-hosted repositories (with BITBUCKET_TOKEN; unset: followed by webhook only). */
  BITBUCKET_API_URL: httpUrlSetting.default('https://api.bitbucket.org/2.0'),
  BITBUCKET_TOKEN: z.string().optional(),
});

export type RepoSyncConfig = z.output<typeof repoSyncConfigSchema>;
