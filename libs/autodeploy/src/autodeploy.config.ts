import type { z } from 'zod';
import { chatOpsSettingsSchema } from '@sluice/chat-ops';
import { commonConfigSchema, postgresUrlSetting } from '@sluice/platform';

/** The common settings (docs/architecture.md §9) and chat-ops' (SLACK_*); the distributed autodeploy service needs its PostgreSQL. */
export const autodeployConfigSchema = commonConfigSchema.extend(chatOpsSettingsSchema.shape).extend({ DATABASE_URL: postgresUrlSetting });

export type AutodeployConfig = z.output<typeof autodeployConfigSchema>;
