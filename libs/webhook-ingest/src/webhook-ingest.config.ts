import { z } from 'zod';
import { commonConfigSchema, requiredWebhookSecrets } from '@sluice/platform';

const wholeNumber = (min: number, max: number) =>
  z
    .string()
    .regex(/^\d+$/, { error: `expected a whole number (${min}-${max})` })
    .transform(Number)
    .pipe(z.number().int().min(min).max(max));

/** The common settings; the webhook secrets are required here (ARCHITECTURE §8). */
export const webhookIngestConfigSchema = commonConfigSchema.extend({
  GITHUB_WEBHOOK_SECRET: requiredWebhookSecrets,
  /** Id of the repository webhook whose deliveries missed-webhook recovery checks. */
  GITHUB_WEBHOOK_HOOK_ID: wholeNumber(1, Number.MAX_SAFE_INTEGER).optional(),
  /** `owner/name` of the repository that hook belongs to; unset = the GitHub App's hook. */
  GITHUB_WEBHOOK_HOOK_REPO: z.string().regex(/^[A-Za-z0-9_.-]+\/[A-Za-z0-9_.-]+$/, { error: 'expected owner/name' }).optional(),
  /** How often missed-webhook recovery runs; 0 turns it off. */
  WEBHOOK_RECOVERY_INTERVAL_SECONDS: wholeNumber(0, 86_400).default(300),
  /** How far back recovery looks (GitHub keeps deliveries 3 days). */
  WEBHOOK_RECOVERY_LOOKBACK_HOURS: wholeNumber(1, 72).default(24),
});

export type WebhookIngestConfig = z.output<typeof webhookIngestConfigSchema>;
