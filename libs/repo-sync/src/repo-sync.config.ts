import type { z } from 'zod';
import { commonConfigSchema } from '@sluice/platform';

/** The common settings (ARCHITECTURE §8); repo-sync's own variables are added here. */
export const repoSyncConfigSchema = commonConfigSchema.extend({});

export type RepoSyncConfig = z.output<typeof repoSyncConfigSchema>;
