import type { KubeObject } from '@sluice/kube';

/** The DeployConfig custom resource (docs/architecture.md §5, deploy/crds/sluice.dev_deployconfigs.yaml). */
export const DEPLOY_CONFIG_API_VERSION = 'sluice.dev/v1alpha1';
export const DEPLOY_CONFIG_KIND = 'DeployConfig';

/** Label on the DeployConfig and on every object it applied; how pruning finds them. */
export const CONFIG_LABEL = 'sluice.dev/config';
export const TEAM_LABEL = 'sluice.dev/team';
/** Annotation on the DeployConfig naming the deploy its status reports on. */
export const DEPLOY_ID_ANNOTATION = 'sluice.dev/deploy-id';
/**
 * The request's correlation and event id, so the reconciler's outcomes carry them even when it
 * runs before the request's transaction (and its record) committed.
 */
export const CORRELATION_ANNOTATION = 'sluice.dev/correlation-id';
export const CAUSATION_ANNOTATION = 'sluice.dev/causation-id';
/** The single field manager of everything kube-applier writes. */
export const FIELD_MANAGER = 'sluice';

export type DeployConfigPhase = 'Pending' | 'Applying' | 'Applied' | 'Succeeded' | 'Failed' | 'Undeployed';

export interface InventoryEntry {
  apiVersion: string;
  kind: string;
  namespace?: string;
  name: string;
}

export interface Condition {
  type: 'Ready' | 'Reconciling' | 'Stalled';
  status: 'True' | 'False' | 'Unknown';
  observedGeneration?: number;
  lastTransitionTime: string;
  reason: string;
  message: string;
}

export interface DeployConfigSpec {
  team: string;
  artifactSha: string | null;
  configSha: string | null;
  imageTag: string | null;
  specs: KubeObject[];
}

export interface DeployConfigStatus {
  phase?: DeployConfigPhase;
  observedGeneration?: number;
  /** The deploy (annotation) this status reports on. */
  deployId?: string;
  /** When the current generation/deploy was first applied: the progress deadline counts from here. */
  progressStartedAt?: string;
  lastAppliedAt?: string;
  dryRun?: boolean;
  conditions?: Condition[];
  inventory?: InventoryEntry[];
  driftCorrections?: number;
  lastDriftAt?: string;
}

export interface DeployConfigObject extends KubeObject {
  spec: DeployConfigSpec;
  status?: DeployConfigStatus;
}

export function inventoryKey(e: InventoryEntry): string {
  return `${e.apiVersion}|${e.kind}|${e.namespace ?? ''}|${e.name}`;
}

export function inventoryOf(objects: readonly KubeObject[]): InventoryEntry[] {
  return objects.map((o) => ({
    apiVersion: o.apiVersion,
    kind: o.kind,
    ...(o.metadata.namespace ? { namespace: o.metadata.namespace } : {}),
    name: o.metadata.name!,
  }));
}

/** The DeployConfig manifest kube-applier server-side-applies for a deploy. */
export function deployConfigManifest(input: {
  config: string;
  namespace: string;
  team: string;
  deployId: string;
  artifactSha: string | null;
  configSha: string | null;
  imageTag: string | null;
  specs: KubeObject[];
  cause?: { correlationId: string; causationId: string | null };
}): DeployConfigObject {
  return {
    apiVersion: DEPLOY_CONFIG_API_VERSION,
    kind: DEPLOY_CONFIG_KIND,
    metadata: {
      name: input.config,
      namespace: input.namespace,
      labels: { [CONFIG_LABEL]: input.config, [TEAM_LABEL]: teamLabelValue(input.team) },
      annotations: {
        [DEPLOY_ID_ANNOTATION]: input.deployId,
        ...(input.cause ? { [CORRELATION_ANNOTATION]: input.cause.correlationId } : {}),
        ...(input.cause?.causationId ? { [CAUSATION_ANNOTATION]: input.cause.causationId } : {}),
      },
    },
    spec: {
      team: input.team,
      artifactSha: input.artifactSha,
      configSha: input.configSha,
      imageTag: input.configSha === null ? null : input.imageTag,
      specs: input.configSha === null ? [] : input.specs,
    },
  };
}

/** A team name as a label value (63 characters of [A-Za-z0-9_.-], alphanumeric at both ends). */
export function teamLabelValue(team: string): string {
  return team.replace(/[^A-Za-z0-9_.-]/g, '-').slice(0, 63).replace(/^[^A-Za-z0-9]+|[^A-Za-z0-9]+$/g, '') || 'unknown';
}
