import type { z } from 'zod';
import { commonConfigSchema, postgresUrlSetting } from '@sluice/platform';

/** The common settings (docs/architecture.md §9); the distributed autodeploy service needs its PostgreSQL. */
export const autodeployConfigSchema = commonConfigSchema.extend({ DATABASE_URL: postgresUrlSetting });

export type AutodeployConfig = z.output<typeof autodeployConfigSchema>;
