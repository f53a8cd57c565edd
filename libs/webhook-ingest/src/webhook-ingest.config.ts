import type { z } from 'zod';
import { commonConfigSchema, requiredWebhookSecrets } from '@sluice/platform';

/** The common settings; the webhook secrets are required here (ARCHITECTURE §8). */
export const webhookIngestConfigSchema = commonConfigSchema.extend({ GITHUB_WEBHOOK_SECRET: requiredWebhookSecrets });

export type WebhookIngestConfig = z.output<typeof webhookIngestConfigSchema>;
