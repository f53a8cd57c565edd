import type { z } from 'zod';
import { chatOpsSettingsSchema } from '@sluice/chat-ops';
import { commonConfigSchema, postgresUrlSetting, secondsSetting } from '@sluice/platform';

/** autodeploy's own settings, in both modes. */
export const autodeploySettings = {
  /** How long a deploy may stay in one step before it fails (§1 "Steps"). */
  AUTODEPLOY_STEP_DEADLINE_SECONDS: secondsSetting.default(1800),
  /** How often expired preview environments are released (§1 "Previews"). */
  AUTODEPLOY_PREVIEW_SWEEP_SECONDS: secondsSetting.default(30),
};

/** The common settings (docs/architecture.md §9) and chat-ops' (SLACK_*); the distributed autodeploy service needs its PostgreSQL. */
export const autodeployConfigSchema = commonConfigSchema.extend(chatOpsSettingsSchema.shape).extend({ DATABASE_URL: postgresUrlSetting, ...autodeploySettings });

export type AutodeployConfig = z.output<typeof autodeployConfigSchema>;
