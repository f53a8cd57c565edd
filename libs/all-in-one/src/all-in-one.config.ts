import { autodeployConfigSchema } from '@sluice/autodeploy';
import { commitStatusConfigSchema } from '@sluice/commit-status';
import { kubeApplierConfigSchema } from '@sluice/kube-applier';
import { repoSyncConfigSchema } from '@sluice/repo-sync';
import { webhookIngestConfigSchema } from '@sluice/webhook-ingest';
import { httpUrlSetting, postgresUrlSetting, webhookSecretsSetting } from '@sluice/platform';
import type { z } from 'zod';

/**
 * Every service's settings in one schema (docs/architecture.md §9). Unlike the distributed
 * services, DATABASE_URL is optional: unset = the embedded database; SLUICE_PUBLIC_URL
 * unset = the address the app listens on (SLUICE_HOST, SLUICE_PORT); GITHUB_WEBHOOK_SECRET
 * unset = one generated on first start into `$SLUICE_DATA_DIR/webhook-secret`, so that
 * `npm start` serves with no environment (webhooks are still refused unsigned).
 */
export const allInOneConfigSchema = repoSyncConfigSchema
  .extend(autodeployConfigSchema.shape)
  .extend(kubeApplierConfigSchema.shape)
  .extend(commitStatusConfigSchema.shape)
  .extend(webhookIngestConfigSchema.shape)
  .extend({ DATABASE_URL: postgresUrlSetting.optional(), SLUICE_PUBLIC_URL: httpUrlSetting.optional(), GITHUB_WEBHOOK_SECRET: webhookSecretsSetting().optional() })
  .transform((config) => ({ ...config, SLUICE_PUBLIC_URL: config.SLUICE_PUBLIC_URL ?? listenUrl(config.SLUICE_HOST, config.SLUICE_PORT) }));

function listenUrl(host: string, port: number): string {
  const reachable = host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host;
  return `http://${reachable.includes(':') ? `[${reachable}]` : reachable}:${port}`;
}

export type AllInOneConfig = z.output<typeof allInOneConfigSchema>;

/** The settings once the embedded database (if any) has started and the generated secrets are read. */
export type ResolvedConfig = AllInOneConfig & { DATABASE_URL: string; GITHUB_WEBHOOK_SECRET: string[] };
