import type { z } from 'zod';
import { commonConfigSchema } from '@sluice/platform';

/** The common settings (ARCHITECTURE §8); autodeploy's own variables are added here. */
export const autodeployConfigSchema = commonConfigSchema.extend({});

export type AutodeployConfig = z.output<typeof autodeployConfigSchema>;
