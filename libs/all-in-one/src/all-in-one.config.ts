import { autodeployConfigSchema } from '@sluice/autodeploy';
import { commitStatusConfigSchema } from '@sluice/commit-status';
import { kubeApplierConfigSchema } from '@sluice/kube-applier';
import { repoSyncConfigSchema } from '@sluice/repo-sync';
import { webhookIngestConfigSchema } from '@sluice/webhook-ingest';
import { postgresUrlSetting } from '@sluice/platform';
import type { z } from 'zod';

/**
 * Every service's settings in one schema (ARCHITECTURE §8). Unlike the distributed
 * services, DATABASE_URL is optional: unset = the embedded database.
 */
export const allInOneConfigSchema = repoSyncConfigSchema
  .extend(autodeployConfigSchema.shape)
  .extend(kubeApplierConfigSchema.shape)
  .extend(commitStatusConfigSchema.shape)
  .extend(webhookIngestConfigSchema.shape)
  .extend({ DATABASE_URL: postgresUrlSetting.optional() });

export type AllInOneConfig = z.output<typeof allInOneConfigSchema>;

/** The settings once the embedded database (if any) has started. */
export type ResolvedConfig = AllInOneConfig & { DATABASE_URL: string };
