import { z } from 'zod';
import { commonConfigSchema, httpUrlSetting, requiredWebhookSecrets, webhookSecretsSetting } from '@sluice/platform';
import { MAX_WEBHOOK_BYTES } from './adapters/http/raw-body';
import { DEFAULT_INFLIGHT_BYTES, DEFAULT_MAX_READERS } from './adapters/http/upload-budget';

const wholeNumber = (min: number, max: number) =>
  z
    .string()
    .regex(/^\d+$/, { error: `expected a whole number (${min}-${max})` })
    .transform(Number)
    .pipe(z.number().int().min(min).max(max));

/** The common settings; the webhook secrets are required here (docs/architecture.md §9). */
export const webhookIngestConfigSchema = commonConfigSchema.extend({
  GITHUB_WEBHOOK_SECRET: requiredWebhookSecrets,
  /**
   * The secret tokens of GitLab webhooks (X-Gitlab-Token), comma-separated during a rotation;
   * unset = POST /webhooks/gitlab answers 404.
   */
  GITLAB_WEBHOOK_TOKEN: webhookSecretsSetting().optional(),
  /**
   * The secrets of Bitbucket Cloud webhooks (X-Hub-Signature, HMAC-SHA256), comma-separated
   * during a rotation; unset = POST /webhooks/bitbucket answers 404.
   */
  BITBUCKET_WEBHOOK_SECRET: webhookSecretsSetting().optional(),
  /**
   * Bitbucket Cloud's API and an access token with `repository` read (the settings repo-sync and
   * commit-status use): a pull request delivery's abbreviated commit hashes are looked up there.
   * Unset token: Bitbucket pull request deliveries are answered `ignored`.
   */
  BITBUCKET_API_URL: httpUrlSetting.default('https://api.bitbucket.org/2.0'),
  BITBUCKET_TOKEN: z.string().optional(),
  /** Id of the repository webhook whose deliveries missed-webhook recovery checks. */
  GITHUB_WEBHOOK_HOOK_ID: wholeNumber(1, Number.MAX_SAFE_INTEGER).optional(),
  /** `owner/name` of the repository that hook belongs to; unset = the GitHub App's hook. */
  GITHUB_WEBHOOK_HOOK_REPO: z.string().regex(/^[A-Za-z0-9_.-]+\/[A-Za-z0-9_.-]+$/, { error: 'expected owner/name' }).optional(),
  /** How often missed-webhook recovery runs; 0 turns it off. */
  WEBHOOK_RECOVERY_INTERVAL_SECONDS: wholeNumber(0, 86_400).default(300),
  /** How far back recovery looks (GitHub keeps deliveries 3 days). */
  WEBHOOK_RECOVERY_LOOKBACK_HOURS: wholeNumber(1, 72).default(24),
  /**
   * Bytes of webhook bodies held before their signature is checked, all requests
   * together; past it a request gets 429 + Retry-After. At least GitHub's 25 MB cap, so
   * that any one delivery fits.
   */
  SLUICE_WEBHOOK_INFLIGHT_BYTES: wholeNumber(MAX_WEBHOOK_BYTES, Number.MAX_SAFE_INTEGER).default(DEFAULT_INFLIGHT_BYTES),
  /**
   * Deliveries written in one transaction at most (group commit: those that arrive while a write
   * is in flight are written together by the next one); 1 writes each alone.
   */
  WEBHOOK_INGEST_GROUP_COMMIT_MAX: wholeNumber(1, 1_000).default(100),
  /** Webhook bodies read and checked at once; past it a request gets 429 + Retry-After. */
  SLUICE_WEBHOOK_MAX_CONCURRENT: wholeNumber(1, 100_000).default(DEFAULT_MAX_READERS),
});

export type WebhookIngestConfig = z.output<typeof webhookIngestConfigSchema>;
