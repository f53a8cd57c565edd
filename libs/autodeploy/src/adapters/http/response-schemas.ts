import { deployCause, deployPhase, deployStepName, deployStepState } from '@sluice/contracts';
import { z } from 'zod';
import type { BuildView, ConfigView, DeployView, HistoryEntry } from '../../application/read-models';

/**
 * Response shapes for the OpenAPI document. The int-spec validates live responses against
 * the generated document, and the type checks below keep them in step with the views.
 */
const sha = z.string().nullable();
const timestamp = z.string().nullable();

export const configViewSchema = z.object({
  name: z.string(),
  team: z.string(),
  namespace: z.string(),
  configRepo: z.string(),
  path: z.string(),
  artifact: z.object({ repo: z.string(), image: z.string(), build: z.string().nullable() }).nullable(),
  track: z.object({ branch: z.string() }),
  autodeploy: z.boolean(),
  rootSha: z.string(),
  status: z.enum(['active', 'removed']),
  current: z.object({ artifactSha: sha, configSha: sha, deployId: z.string().nullable() }),
  phase: deployPhase.nullable(),
  lastDeployId: z.string().nullable(),
  inFlightDeployId: z.string().nullable(),
  queuedDeployId: z.string().nullable(),
  pin: z.object({ by: z.string(), reason: z.string(), at: z.string() }).nullable(),
  drift: z
    .object({ sha: z.string(), found: z.string().nullable(), expected: z.string(), pusher: z.string().nullable(), at: z.string() })
    .nullable()
    .describe('the GitOps target changed by a commit that is not Sluice’s since the last deploy that succeeded'),
  registeredAt: z.string(),
  updatedAt: z.string(),
  streamVersion: z.number().int(),
});

export const deployViewSchema = z.object({
  id: z.string(),
  config: z.string(),
  team: z.string(),
  kind: z.enum(['deploy', 'undeploy']),
  artifactSha: sha,
  configSha: sha,
  imageTag: z.string().nullable(),
  cause: deployCause,
  requestedBy: z.string(),
  reason: z.string(),
  reappliedFrom: z.string().nullable(),
  phase: deployPhase,
  supersededBy: z.string().nullable(),
  dryRun: z.boolean().nullable(),
  inventory: z.array(z.unknown()).nullable(),
  failure: z.object({ reason: z.string(), message: z.string(), terminal: z.boolean() }).nullable(),
  steps: z
    .array(
      z.object({
        name: deployStepName,
        state: deployStepState,
        result: z.string().nullable(),
        error: z.object({ reason: z.string(), message: z.string() }).nullable(),
        childId: z.string().nullable(),
        startedAt: timestamp,
        endedAt: timestamp,
      }),
    )
    .describe('the deploy as a flow of named steps, in order: resolve, check-image, build, render, apply, wait-healthy, test (an undeploy: resolve, apply); a failed step fails the deploy and the steps after it are skipped'),
  timestamps: z.object({
    queuedAt: timestamp,
    requestedAt: timestamp,
    startedAt: timestamp,
    appliedAt: timestamp,
    succeededAt: timestamp,
    failedAt: timestamp,
    supersededAt: timestamp,
    undeployedAt: timestamp,
    updatedAt: z.string(),
  }),
});

export const historyEntrySchema = z.object({
  streamVersion: z.number().int(),
  eventId: z.string(),
  type: z.string(),
  deployId: z.string().nullable(),
  actor: z.string().nullable(),
  reason: z.string().nullable(),
  message: z.string().nullable(),
  occurredAt: z.string(),
});

export const buildViewSchema = z.object({
  id: z.string(),
  config: z.string(),
  target: z.enum(['staging', 'production']),
  ref: z.string(),
  commitSha: z.string(),
  imageTag: z.string(),
  phase: z.string(),
  message: z.string().nullable(),
  buildRun: z.string().nullable(),
  requestedBy: z.string(),
  reason: z.string(),
  timestamps: z.object({ requestedAt: z.string(), scheduledAt: z.string().nullable(), startedAt: z.string().nullable(), finishedAt: z.string().nullable() }),
});
export const buildListSchema = z.object({ builds: z.array(buildViewSchema) });

export const configListSchema = z.object({ configs: z.array(configViewSchema) });
export const deployPageSchema = z.object({ deploys: z.array(deployViewSchema), next: z.string().nullable() });
export const historyPageSchema = z.object({ history: z.array(historyEntrySchema), next: z.number().int().nullable() });
export const deployAcceptedSchema = z.object({ deployId: z.string(), created: z.boolean() });
/** The error body of every service (`HttpErrorFilter`). */
export { errorResponseSchema as errorSchema } from '@sluice/platform';

type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
const inStep: [
  Same<z.infer<typeof configViewSchema>, ConfigView>,
  Same<z.infer<typeof deployViewSchema>, DeployView>,
  Same<z.infer<typeof historyEntrySchema>, HistoryEntry>,
  Same<z.infer<typeof buildViewSchema>, BuildView>,
] = [true, true, true, true];
void inStep;
