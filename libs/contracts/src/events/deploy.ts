import { z } from 'zod';
import { configName, deployCause, repoFullName, sha } from './common';

/**
 * Events on `sluice.deploy.v1` (key: config name). Decisions come from autodeploy
 * (stream `config-<name>`); outcomes from kube-applier (stream `applier-<name>`) and are
 * recorded by autodeploy in the config's stream with the same type.
 */

const deployTarget = z.object({
  deployId: z.uuid(),
  config: configName,
  team: z.string().min(1),
  namespace: configName,
  configRepo: repoFullName,
  /** Folder of the config in the config repository, e.g. `deploy/billing-api`. */
  path: z.string().min(1),
  artifactRepo: repoFullName.nullable(),
  artifactImage: z.string().nullable(),
  artifactSha: sha.nullable(),
  configSha: sha.nullable(),
  /** `<branch>-<shortsha>`; null for artifactless configs. */
  imageTag: z.string().nullable(),
});

export const deployRequestedV1 = deployTarget.extend({
  cause: deployCause,
  requestedBy: z.string().min(1),
  reason: z.string(),
  reappliedFrom: z.uuid().nullable(),
});

export const undeployRequestedV1 = deployRequestedV1;

/**
 * A request waiting behind the deploy in flight (one deploy in flight per config). When
 * that one ends, the same deployId is requested (`deploy.requested`/`undeploy.requested`),
 * unless a newer request superseded it first (`deploy.superseded`).
 */
export const deployQueuedV1 = deployRequestedV1;

export const deploySupersededV1 = z.object({ deployId: z.uuid(), config: configName, supersededBy: z.uuid() });

export const deployStartedV1 = z.object({ deployId: z.uuid(), config: configName });

export const deployAppliedV1 = z.object({
  deployId: z.uuid(),
  config: configName,
  dryRun: z.boolean(),
  inventory: z.array(z.object({ apiVersion: z.string(), kind: z.string(), namespace: z.string().nullable(), name: z.string() })),
});

export const deploySucceededV1 = z.object({ deployId: z.uuid(), config: configName });

export const deployFailedV1 = z.object({
  deployId: z.uuid(),
  config: configName,
  reason: z.string().min(1),
  message: z.string(),
  terminal: z.boolean(),
});

export const undeployedV1 = z.object({ deployId: z.uuid(), config: configName });

export const configPinnedV1 = z.object({ config: configName, by: z.string().min(1), reason: z.string() });
export const configUnpinnedV1 = configPinnedV1;

export const deployRequestRejectedV1 = z.object({
  config: configName,
  artifactSha: sha.nullable(),
  configSha: sha.nullable(),
  cause: deployCause,
  requestedBy: z.string().min(1),
  reason: z.string(),
  /** Why it was rejected (e.g. the state pair the config accepts); absent in early events. */
  message: z.string().optional(),
});

/** The config as autodeploy knows it (from discovery), recorded in its stream. */
export const configRegisteredV1 = z.object({
  config: configName,
  root: z.record(z.string(), z.unknown()),
  configSha: z.string(),
});
export const configRemovedFromRepoV1 = z.object({ config: configName, configSha: z.string() });
