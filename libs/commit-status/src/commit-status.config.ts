import type { z } from 'zod';
import { commonConfigSchema } from '@sluice/platform';

/** The common settings (ARCHITECTURE §8); commit-status's own variables are added here. */
export const commitStatusConfigSchema = commonConfigSchema.extend({});

export type CommitStatusConfig = z.output<typeof commitStatusConfigSchema>;
