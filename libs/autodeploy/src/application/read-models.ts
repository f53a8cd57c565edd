import type { DeployCause, DeployPhase } from '@sluice/contracts';
import type { DeployStep } from '../domain/deploy-steps';

/** A config as the read model shows it (GET /api/configs, /api/configs/{name}). */
export interface ConfigView {
  name: string;
  team: string;
  namespace: string;
  configRepo: string;
  path: string;
  artifact: { repo: string; image: string; build: string | null } | null;
  track: { branch: string };
  autodeploy: boolean;
  rootSha: string;
  status: 'active' | 'removed';
  /** The deployment state (artifactSha, configSha) last applied; (null, null) = undeployed. */
  current: { artifactSha: string | null; configSha: string | null; deployId: string | null };
  /** Phase of the deploy requested last. */
  phase: DeployPhase | null;
  lastDeployId: string | null;
  inFlightDeployId: string | null;
  queuedDeployId: string | null;
  pin: { by: string; reason: string; at: string } | null;
  /**
   * A GitOps target changed by a commit that is not Sluice's (docs/architecture.md §1 "GitOps
   * target"): the commit, the value found at the key (null: gone), the tag Sluice wrote, who pushed,
   * when. Null when none since the last deploy that succeeded.
   */
  drift: { sha: string; found: string | null; expected: string; pusher: string | null; at: string } | null;
  registeredAt: string;
  updatedAt: string;
  streamVersion: number;
}

export interface DeployView {
  id: string;
  config: string;
  team: string;
  kind: 'deploy' | 'undeploy';
  artifactSha: string | null;
  configSha: string | null;
  imageTag: string | null;
  cause: DeployCause;
  requestedBy: string;
  reason: string;
  reappliedFrom: string | null;
  phase: DeployPhase;
  supersededBy: string | null;
  dryRun: boolean | null;
  inventory: unknown[] | null;
  failure: { reason: string; message: string; terminal: boolean } | null;
  /** The deploy's steps in order (§1 "Steps"); empty for a deploy recorded before steps existed until a replay. */
  steps: DeployStep[];
  timestamps: {
    queuedAt: string | null;
    requestedAt: string | null;
    startedAt: string | null;
    appliedAt: string | null;
    succeededAt: string | null;
    failedAt: string | null;
    supersededAt: string | null;
    undeployedAt: string | null;
    updatedAt: string;
  };
}

/** One event of a config's stream, summarised: what happened, who decided, why. */
export interface HistoryEntry {
  streamVersion: number;
  eventId: string;
  type: string;
  deployId: string | null;
  actor: string | null;
  reason: string | null;
  message: string | null;
  occurredAt: string;
}

/** A build Sluice ran for the config (docs/architecture.md §1 "Builds"), as its reports tell. */
export interface BuildView {
  id: string;
  config: string;
  target: 'staging' | 'production';
  ref: string;
  commitSha: string;
  imageTag: string;
  /** `requested`, `scheduled`, `running`, then `Succeeded`, `Failed`, `TimedOut` or `Canceled`. */
  phase: string;
  message: string | null;
  buildRun: string | null;
  requestedBy: string;
  reason: string;
  timestamps: { requestedAt: string; scheduledAt: string | null; startedAt: string | null; finishedAt: string | null };
}

/** The read side: projections of the config streams. Eventually consistent with the log. */
export interface ReadModels {
  /** Newest first. */
  buildsOf(config: string, limit: number): Promise<BuildView[]>;
  listConfigs(team: string | null): Promise<ConfigView[]>;
  getConfig(name: string): Promise<ConfigView | null>;
  /** Newest first; `before` = a deploy id of this config (exclusive). */
  deploysOf(config: string, limit: number, before: string | null): Promise<DeployView[] | 'unknown-cursor'>;
  getDeploy(id: string): Promise<DeployView | null>;
  /** Newest first; `before` = a stream version (exclusive). */
  historyOf(config: string, limit: number, before: number | null): Promise<HistoryEntry[]>;
}

export const READ_MODELS = Symbol('READ_MODELS');
