import type { BuildFinalPhase, BuildTarget, DeployCause, DeployConfigRoot, DeployPhase, EventData } from '@sluice/contracts';
import type { ConfigEvent } from './config-events';

/** The deployment state of a config: `(artifactSha, configSha)`, docs/architecture.md §1. */
export interface StatePair {
  readonly artifactSha: string | null;
  readonly configSha: string | null;
}

export const UNDEPLOYED: StatePair = { artifactSha: null, configSha: null };

export function samePair(a: StatePair, b: StatePair): boolean {
  return a.artifactSha === b.artifactSha && a.configSha === b.configSha;
}

export function isUndeployPair(pair: StatePair): boolean {
  return pair.artifactSha === null && pair.configSha === null;
}

/** What a deploy request carries to kube-applier (the data of `deploy.requested`). */
export type DeployTarget = EventData<'deploy.requested'>;

export interface DeployState {
  readonly deployId: string;
  readonly kind: 'deploy' | 'undeploy';
  readonly pair: StatePair;
  readonly cause: DeployCause;
  readonly phase: DeployPhase;
  /** The outcome type recorded last, so a repeated report of the same outcome is not recorded twice. */
  readonly lastOutcome: string | null;
  /** The step states kube-applier reported (`<step>:<state>`, §1 "Steps"), each recorded once. */
  readonly reportedSteps: readonly string[];
  readonly target: DeployTarget;
}

/** A build decided for this config (docs/architecture.md §1 "Builds"), as far as kube-applier reported it. */
export interface BuildState {
  readonly buildId: string;
  readonly target: BuildTarget;
  readonly ref: string;
  readonly commitSha: string;
  readonly imageTag: string;
  readonly phase: 'requested' | 'scheduled' | 'running' | BuildFinalPhase;
}

/** How far a build got: a report never moves it back. */
export const BUILD_PROGRESS: Readonly<Record<BuildState['phase'], number>> = {
  requested: 0,
  scheduled: 1,
  running: 2,
  Succeeded: 3,
  Failed: 3,
  TimedOut: 3,
  Canceled: 3,
};

export interface Pin {
  readonly by: string;
  readonly reason: string;
}

export interface ConfigState {
  readonly status: 'unregistered' | 'active' | 'removed';
  readonly root: DeployConfigRoot | null;
  /** Config-repository commit the root fields were read at. */
  readonly rootSha: string | null;
  readonly deploys: Readonly<Record<string, DeployState>>;
  /** Handed to kube-applier and not ended yet (one per config). */
  readonly inFlight: string | null;
  /** Waiting behind the one in flight (at most one: a newer request supersedes it). */
  readonly queued: string | null;
  /** What the cluster holds as far as outcomes tell: the pair last applied (or undeployed). */
  readonly current: StatePair;
  readonly currentDeployId: string | null;
  readonly pin: Pin | null;
  readonly builds: Readonly<Record<string, BuildState>>;
  /** Per target, the build requested last that has not ended. */
  readonly currentBuilds: Readonly<Partial<Record<BuildTarget, string>>>;
  /** The GitOps target changed by a commit that is not Sluice's, since the last deploy that succeeded; null when none. */
  readonly drift: { readonly sha: string; readonly found: string | null; readonly expected: string } | null;
}

export const initialState: ConfigState = {
  status: 'unregistered',
  root: null,
  rootSha: null,
  deploys: {},
  inFlight: null,
  queued: null,
  current: UNDEPLOYED,
  currentDeployId: null,
  pin: null,
  builds: {},
  currentBuilds: {},
  drift: null,
};

function withDeploy(state: ConfigState, deployId: string, change: (d: DeployState) => DeployState): ConfigState {
  const deploy = state.deploys[deployId];
  if (!deploy) return state;
  return { ...state, deploys: { ...state.deploys, [deployId]: change(deploy) } };
}

function deployFrom(target: DeployTarget, phase: DeployPhase): DeployState {
  const pair = { artifactSha: target.artifactSha, configSha: target.configSha };
  return {
    deployId: target.deployId,
    kind: isUndeployPair(pair) ? 'undeploy' : 'deploy',
    pair,
    cause: target.cause,
    phase,
    lastOutcome: null,
    reportedSteps: [],
    target,
  };
}

/** An outcome of the deploy in flight ends it when it is final. */
function endIfInFlight(state: ConfigState, deployId: string): ConfigState {
  return state.inFlight === deployId ? { ...state, inFlight: null } : state;
}

/** Applies one event of the config's stream. Total and pure: an event about an unknown deploy changes nothing. */
export function evolve(state: ConfigState, event: ConfigEvent): ConfigState {
  switch (event.type) {
    case 'config.registered':
      return { ...state, status: 'active', root: event.data.root as DeployConfigRoot, rootSha: event.data.configSha };
    case 'config.removed':
      return { ...state, status: 'removed' };
    case 'config.pinned':
      return { ...state, pin: { by: event.data.by, reason: event.data.reason } };
    case 'config.unpinned':
      return { ...state, pin: null };
    case 'deploy.queued':
      return {
        ...state,
        deploys: { ...state.deploys, [event.data.deployId]: deployFrom(event.data, 'queued') },
        queued: event.data.deployId,
      };
    case 'deploy.requested':
    case 'undeploy.requested': {
      const id = event.data.deployId;
      const existing = state.deploys[id];
      const deploy = existing ? { ...existing, phase: 'applying' as const, target: event.data } : deployFrom(event.data, 'applying');
      return {
        ...state,
        deploys: { ...state.deploys, [id]: deploy },
        inFlight: id,
        queued: state.queued === id ? null : state.queued,
      };
    }
    case 'deploy.superseded': {
      const next = withDeploy(state, event.data.deployId, (d) => ({ ...d, phase: 'superseded' }));
      return next.queued === event.data.deployId ? { ...next, queued: null } : next;
    }
    case 'deploy.rejected':
    case 'deploy.skipped':
    case 'deploy.log':
      return state;
    case 'deploy.step':
      return withDeploy(state, event.data.deployId, (d) => ({ ...d, reportedSteps: [...d.reportedSteps, `${event.data.step}:${event.data.state}`] }));
    case 'deploy.started':
      return withDeploy(state, event.data.deployId, (d) => ({ ...d, phase: 'applying', lastOutcome: event.type }));
    case 'deploy.applied': {
      const next = withDeploy(state, event.data.deployId, (d) => ({ ...d, phase: 'applied', lastOutcome: event.type }));
      return becomesCurrent(next, event.data.deployId);
    }
    case 'deploy.succeeded': {
      // A deploy that succeeded wrote its own tag: whatever drifted before is overwritten.
      const next = withDeploy({ ...state, drift: null }, event.data.deployId, (d) => ({ ...d, phase: 'succeeded', lastOutcome: event.type }));
      return endIfInFlight(becomesCurrent(next, event.data.deployId), event.data.deployId);
    }
    case 'gitops.drift.detected':
      return { ...state, drift: { sha: event.data.sha, found: event.data.found, expected: event.data.expected } };
    case 'deploy.undeployed': {
      const next = withDeploy(state, event.data.deployId, (d) => ({ ...d, phase: 'succeeded', lastOutcome: event.type }));
      return endIfInFlight(becomesCurrent(next, event.data.deployId), event.data.deployId);
    }
    case 'deploy.failed': {
      const next = withDeploy(state, event.data.deployId, (d) => ({ ...d, phase: 'failed', lastOutcome: event.type }));
      return endIfInFlight(next, event.data.deployId);
    }
    case 'build.requested': {
      const d = event.data;
      const build: BuildState = { buildId: d.buildId, target: d.target, ref: d.ref, commitSha: d.commitSha, imageTag: d.imageTag, phase: 'requested' };
      return { ...state, builds: { ...state.builds, [d.buildId]: build }, currentBuilds: { ...state.currentBuilds, [d.target]: d.buildId } };
    }
    case 'build.scheduled':
      return withBuild(state, event.data.buildId, 'scheduled');
    case 'build.started':
      return withBuild(state, event.data.buildId, 'running');
    case 'build.finished': {
      const next = withBuild(state, event.data.buildId, event.data.phase);
      if (next.currentBuilds[event.data.target] !== event.data.buildId) return next;
      const currentBuilds = { ...next.currentBuilds };
      delete currentBuilds[event.data.target];
      return { ...next, currentBuilds };
    }
    default: {
      const unknown: never = event;
      return unknown;
    }
  }
}

function withBuild(state: ConfigState, buildId: string, phase: BuildState['phase']): ConfigState {
  const build = state.builds[buildId];
  if (!build || BUILD_PROGRESS[phase] <= BUILD_PROGRESS[build.phase]) return state;
  return { ...state, builds: { ...state.builds, [buildId]: { ...build, phase } } };
}

/**
 * The deploy in flight (or, with none in flight, the latest one) defines what the
 * cluster holds once it applied; a late report of an older deploy does not.
 */
function becomesCurrent(state: ConfigState, deployId: string): ConfigState {
  const deploy = state.deploys[deployId];
  if (!deploy) return state;
  if (state.inFlight !== null && state.inFlight !== deployId) return state;
  return { ...state, current: deploy.pair, currentDeployId: deployId };
}

export function fold(events: readonly ConfigEvent[], from: ConfigState = initialState): ConfigState {
  return events.reduce(evolve, from);
}
