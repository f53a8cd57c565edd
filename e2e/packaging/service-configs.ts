import type { z } from 'zod';
import { withCommonChecks, loadConfig, type CommonConfig } from '@sluice/platform';
import { webhookIngestConfigSchema } from '@sluice/webhook-ingest';
import { repoSyncConfigSchema } from '@sluice/repo-sync';
import { autodeployConfigSchema } from '@sluice/autodeploy';
import { kubeApplierConfigSchema } from '@sluice/kube-applier';
import { commitStatusConfigSchema } from '@sluice/commit-status';
import type { ServiceName } from './support';

/*
 * Each service's config schema, as its apps/<service>/src/main.ts loads it: the single source
 * of truth for the variable names docker-compose.yml and deploy/k8s may set.
 */

type ServiceSchema = z.ZodObject<z.ZodRawShape> & z.ZodType<CommonConfig>;

export const CONFIG_SCHEMAS: Record<ServiceName, ServiceSchema> = {
  'webhook-ingest': webhookIngestConfigSchema as unknown as ServiceSchema,
  'repo-sync': repoSyncConfigSchema as unknown as ServiceSchema,
  autodeploy: autodeployConfigSchema as unknown as ServiceSchema,
  'kube-applier': kubeApplierConfigSchema as unknown as ServiceSchema,
  'commit-status': commitStatusConfigSchema as unknown as ServiceSchema,
};

/** The environment variables a service reads. */
export function knownVariables(service: ServiceName): Set<string> {
  return new Set(Object.keys(CONFIG_SCHEMAS[service].shape));
}

/** Loads a service's config from `env` exactly as bootstrapService does; throws ConfigError. */
export function loadServiceEnv(service: ServiceName, env: Record<string, string>): CommonConfig {
  return loadConfig(withCommonChecks(CONFIG_SCHEMAS[service]), env);
}

