import { z } from 'zod';
import { repoFullName, sha } from './common';

/** Events on `sluice.status.v1`, emitted by commit-status after syncing the SCM (stream `repo-<owner/name>`). */

export const commitStatusPhase = z.enum(['queued', 'in_progress', 'success', 'failure', 'canceled']);
export type CommitStatusPhase = z.infer<typeof commitStatusPhase>;

export const commitStatusSyncedV1 = z.object({
  repo: repoFullName,
  sha,
  name: z.string().min(1),
  phase: commitStatusPhase,
  provider: z.enum(['github', 'gitlab', 'bitbucket']),
  isSynced: z.boolean(),
  syncFailure: z.string().nullable(),
});
