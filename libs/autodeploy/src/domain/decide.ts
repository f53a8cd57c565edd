import { imageTag, type BuildTarget, type DeployCause, type DeployConfigRoot, type DeploySkipCode } from '@sluice/contracts';
import type { BuildReport, ConfigEvent, DriftReport, LogReport, OutcomeEvent, StepReport } from './config-events';
import {
  ConfigNameTakenError,
  ConfigNotFoundError,
  ConfigRemovedError,
  DeployNotFoundError,
  DeployNotInFlightError,
  InvalidStatePairError,
  PolicyDeniedError,
  UnknownCommitError,
  type DomainError,
} from './errors';
import { shortSha } from './image-tag';
import { BUILD_PROGRESS, evolve, isUndeployPair, samePair, type BuildState, type ConfigState, type DeployTarget, type StatePair } from './state';

/** What the application looked up about the requested SHAs (the decider stays pure). */
export interface CommitFacts {
  /** `artifactSha` is a known commit of `artifact.repo`. */
  readonly artifactShaKnown: boolean;
  /** `configSha` is a known commit of the config repository. */
  readonly configShaKnown: boolean;
  /** The branch for the image tag; null = the config's tracked branch. */
  readonly artifactBranch: string | null;
}

/** What the team policy said about where the config deploys. */
export type PlacementVerdict = { readonly allowed: true } | { readonly allowed: false; readonly reason: string; readonly message: string };

export const ALL_KNOWN: CommitFacts = { artifactShaKnown: true, configShaKnown: true, artifactBranch: null };

export type RequestCause = Exclude<DeployCause, 'undeploy'>;

/**
 * Why autodeploy cannot deploy what triggered it, as the application found it (the build is
 * stale, ran on another branch, nothing green is known…). The decider records it as
 * `deploy.skipped` — unless the config does not autodeploy and the trigger did not concern
 * what it tracks (`other-branch`): then nothing is recorded, so feature-branch builds do not
 * fill the history of configs that never deploy them.
 */
export interface AutodeployObstacle {
  readonly code: Exclude<DeploySkipCode, 'pinned' | 'autodeploy-off'>;
  readonly message: string;
}

export type ConfigCommand =
  | { readonly type: 'RegisterConfig'; readonly root: DeployConfigRoot; readonly configSha: string }
  /** kube-applier saw a commit that is not Sluice's change the config's GitOps target. */
  | { readonly type: 'RecordDrift'; readonly report: DriftReport }
  /** The repository `from` was renamed or transferred to `to`: a root that names it follows. */
  | { readonly type: 'FollowRepoRename'; readonly from: string; readonly to: string }
  | { readonly type: 'RemoveConfig'; readonly configRepo: string; readonly configSha: string; readonly deployId: string }
  | {
      readonly type: 'RequestDeploy';
      readonly deployId: string;
      readonly pair: StatePair;
      /** `manual` for a (null, null) pair is an undeploy by hand. */
      readonly cause: RequestCause;
      readonly requestedBy: string;
      readonly reason: string;
      readonly reappliedFrom: string | null;
      readonly facts: CommitFacts;
      /** A re-apply carries the image tag of the deploy it re-applies, so the result is exactly that deploy. */
      readonly imageTag?: string | null;
      /** The team policy's verdict on the config's namespace and repository (absent for an undeploy, which is always allowed). */
      readonly placement?: PlacementVerdict;
      /** When the commit deployed was made, as the application found it (`deploy.requested`'s `commitAt`; absent = not known). */
      readonly commitAt?: string;
      /** Autodeploy only: what stops it from deploying `pair` (recorded as `deploy.skipped`). */
      readonly obstacle?: AutodeployObstacle;
    }
  | { readonly type: 'RejectAutodeploy'; readonly pair: StatePair; readonly reason: string; readonly message: string }
  | { readonly type: 'Pin'; readonly by: string; readonly reason: string }
  | { readonly type: 'Unpin'; readonly by: string; readonly reason: string }
  | { readonly type: 'RecordOutcome'; readonly outcome: OutcomeEvent }
  /** kube-applier's report of one step of a deploy, recorded once per (deploy, step). */
  | { readonly type: 'RecordStep'; readonly report: StepReport }
  /** Lines for a deploy's log from the cluster (kube-applier reports each once). */
  | { readonly type: 'RecordLog'; readonly report: LogReport }
  /** A tracked branch moved or a tracked tag was pushed, and the config builds its own image. */
  | {
      readonly type: 'RequestBuild';
      readonly buildId: string;
      readonly target: BuildTarget;
      readonly ref: string;
      readonly commitSha: string;
      readonly requestedBy: string;
      readonly reason: string;
      readonly placement?: PlacementVerdict;
    }
  /**
   * kube-applier's report of a build. A build that succeeded is a green build: the config is
   * then deployed `(commitSha, configHead)` with the build's image tag (rule 2).
   */
  | {
      readonly type: 'RecordBuildReport';
      readonly report: BuildReport;
      /** The head of the config repository's default branch (C), null when not known. */
      readonly configHead: string | null;
      /** For the deploy after a green build. */
      readonly deployId: string;
      readonly placement?: PlacementVerdict;
    }
  /** The escape hatch for a deploy whose outcome never comes: record it failed so the queue moves on. */
  | { readonly type: 'AbandonDeploy'; readonly deployId: string; readonly by: string; readonly reason: string }
  /** The deploy in flight has been in `step` since `since`, past the step deadline (§1 "Steps"): it fails. */
  | { readonly type: 'ExpireStep'; readonly deployId: string; readonly step: string; readonly since: string; readonly deadlineSeconds: number };

export interface Decision {
  readonly events: readonly ConfigEvent[];
  /** The deploy the command resulted in: new, or the existing one an identical request maps to. */
  readonly deployId: string | null;
  /** Set when the command was refused; `events` then holds what is recorded about the refusal. */
  readonly error: DomainError | null;
  /** Why nothing happened when nothing did (e.g. `pinned`), for logs. */
  readonly skipped?: string;
}

const AUTODEPLOY = 'autodeploy';

const ok = (events: readonly ConfigEvent[], deployId: string | null = null): Decision => ({ events, deployId, error: null });
const refuse = (error: DomainError, events: readonly ConfigEvent[] = []): Decision => ({ events, deployId: null, error });
const skip = (skipped: string): Decision => ({ events: [], deployId: null, error: null, skipped });

/** decide(command, state) → events: every rule of docs/architecture.md §1 for one config. Pure. */
export function decide(command: ConfigCommand, state: ConfigState, name: string): Decision {
  switch (command.type) {
    case 'RegisterConfig':
      return register(command, state, name);
    case 'FollowRepoRename':
      return followRename(command, state, name);
    case 'RecordDrift':
      // Once per commit; a config no longer active keeps no drift.
      if (state.status !== 'active' || state.drift?.sha === command.report.data.sha) return skip('nothing new');
      return ok([command.report]);
    case 'RemoveConfig':
      return remove(command, state, name);
    case 'RequestDeploy':
      return requestDeploy(command, state, name);
    case 'RejectAutodeploy':
      return ok([
        {
          type: 'deploy.rejected',
          data: {
            config: name,
            ...command.pair,
            cause: 'autodeploy',
            requestedBy: AUTODEPLOY,
            reason: command.reason,
            message: command.message,
          },
        },
      ]);
    case 'Pin':
      if (state.status === 'unregistered') return refuse(new ConfigNotFoundError(name));
      if (state.status === 'removed') return refuse(new ConfigRemovedError(name));
      if (state.pin) return ok([]);
      return ok([{ type: 'config.pinned', data: { config: name, by: command.by, reason: command.reason } }]);
    case 'Unpin':
      if (state.status === 'unregistered') return refuse(new ConfigNotFoundError(name));
      if (state.status === 'removed') return refuse(new ConfigRemovedError(name));
      if (!state.pin) return ok([]);
      return ok([{ type: 'config.unpinned', data: { config: name, by: command.by, reason: command.reason } }]);
    case 'RecordOutcome':
      return recordOutcome(command.outcome, state);
    case 'RecordStep': {
      const deploy = state.deploys[command.report.data.deployId];
      if (!deploy) return skip('unknown deploy');
      if (deploy.reportedSteps.includes(`${command.report.data.step}:${command.report.data.state}`)) return skip('step already recorded');
      return ok([command.report], deploy.deployId);
    }
    case 'RecordLog':
      return state.deploys[command.report.data.deployId] ? ok([command.report], command.report.data.deployId) : skip('unknown deploy');
    case 'RequestBuild':
      return requestBuild(command, state, name);
    case 'RecordBuildReport':
      return recordBuildReport(command, state, name);
    case 'AbandonDeploy': {
      const deploy = state.deploys[command.deployId];
      if (!deploy) return refuse(new DeployNotFoundError(command.deployId));
      if (state.inFlight !== command.deployId) {
        return refuse(new DeployNotInFlightError(command.deployId, deploy.phase));
      }
      const why = command.reason ? `: ${command.reason}` : '';
      return recordOutcome(
        {
          type: 'deploy.failed',
          data: { deployId: command.deployId, config: name, reason: 'Abandoned', message: `abandoned by ${command.by}${why}`, terminal: true },
        },
        state,
      );
    }
    case 'ExpireStep': {
      // It ended while the sweep looked: nothing to expire.
      if (state.inFlight !== command.deployId) return skip('no longer in flight');
      const message = `stuck in step ${command.step} since ${command.since}, past the step deadline of ${command.deadlineSeconds} s (AUTODEPLOY_STEP_DEADLINE_SECONDS)`;
      return recordOutcome({ type: 'deploy.failed', data: { deployId: command.deployId, config: name, reason: 'StepDeadlineExceeded', message, terminal: true } }, state);
    }
    default: {
      const unknown: never = command;
      return unknown;
    }
  }
}

function register(command: Extract<ConfigCommand, { type: 'RegisterConfig' }>, state: ConfigState, name: string): Decision {
  const { root } = command;
  if (state.status === 'active' && state.root && (state.root.configRepo !== root.configRepo || state.root.path !== root.path)) {
    return refuse(new ConfigNameTakenError(name, `${state.root.configRepo}/${state.root.path}`, `${root.configRepo}/${root.path}`));
  }
  if (state.status === 'active' && canonicalJson(state.root) === canonicalJson(root)) return skip('unchanged');
  return ok([{ type: 'config.registered', data: { config: name, root: { ...root }, configSha: command.configSha } }]);
}

function followRename(command: Extract<ConfigCommand, { type: 'FollowRepoRename' }>, state: ConfigState, name: string): Decision {
  const { root, rootSha } = state;
  if (state.status !== 'active' || !root || !rootSha) return skip('not active');
  const moved = (repo: string) => (repo === command.from ? command.to : repo);
  const renamed: DeployConfigRoot = { ...root, configRepo: moved(root.configRepo), artifact: root.artifact && { ...root.artifact, repo: moved(root.artifact.repo) } };
  if (canonicalJson(renamed) === canonicalJson(root)) return skip('names neither repository');
  return ok([{ type: 'config.registered', data: { config: name, root: renamed, configSha: rootSha } }]);
}

/** Rule 5: a removed config is undeployed, then marked removed; its history stays. */
function remove(command: Extract<ConfigCommand, { type: 'RemoveConfig' }>, state: ConfigState, name: string): Decision {
  if (state.status !== 'active' || !state.root) return skip('not active');
  if (state.root.configRepo !== command.configRepo) return skip(`defined by ${state.root.configRepo}`);
  const removed: ConfigEvent = { type: 'config.removed', data: { config: name, configSha: command.configSha } };
  // Nothing was ever handed to kube-applier (a failed deploy may have applied part of its specs).
  const neverDeployed = state.inFlight === null && state.queued === null && Object.values(state.deploys).every((d) => d.phase === 'superseded');
  if (neverDeployed) return ok([removed]);
  const undeploy = schedule(state, name, {
    deployId: command.deployId,
    pair: { artifactSha: null, configSha: null },
    cause: 'undeploy',
    requestedBy: AUTODEPLOY,
    reason: `config removed from ${command.configRepo} at ${shortSha(command.configSha)}`,
    reappliedFrom: null,
    facts: ALL_KNOWN,
  });
  return ok([...undeploy.events, removed], undeploy.deployId);
}

/** What the pair rules of §1 accept for this config. */
export function statePairError(name: string, root: DeployConfigRoot, pair: StatePair): string | null {
  const got = `got (${shortSha(pair.artifactSha)}, ${shortSha(pair.configSha)})`;
  if (root.artifact) {
    const bothSet = pair.artifactSha !== null && pair.configSha !== null;
    if (bothSet || isUndeployPair(pair)) return null;
    return `config "${name}" is artifactful: it accepts (artifactSha, configSha) or (null, null), ${got}`;
  }
  if (pair.artifactSha === null) return null;
  return `config "${name}" is artifactless: it accepts (null, configSha) or (null, null), ${got}`;
}

function requestDeploy(command: Extract<ConfigCommand, { type: 'RequestDeploy' }>, state: ConfigState, name: string): Decision {
  if (state.status === 'unregistered' || !state.root) return refuse(new ConfigNotFoundError(name));
  if (state.status === 'removed') return refuse(new ConfigRemovedError(name));
  const root = state.root;
  const { pair, facts } = command;
  const rejected = (message: string): ConfigEvent => ({
    type: 'deploy.rejected',
    data: { config: name, ...pair, cause: command.cause, requestedBy: command.requestedBy, reason: command.reason, message },
  });

  // Rules 1, 2 and 4: whatever autodeploy does not deploy, it says why (deploy.skipped).
  const skipped = (code: DeploySkipCode, message: string): Decision => ({
    events: [
      {
        type: 'deploy.skipped',
        data: { config: name, ...pair, cause: command.cause, requestedBy: command.requestedBy, reason: command.reason, code, message },
      },
    ],
    deployId: null,
    error: null,
    skipped: code,
  });
  if (command.cause === 'autodeploy') {
    if (!root.autodeploy) {
      if (command.obstacle?.code === 'other-branch') return skip('autodeploy is off');
      return skipped('autodeploy-off', `autodeploy is off: ${root.path}/deploy.yaml at ${shortSha(state.rootSha)} says autodeploy: false`);
    }
    if (command.obstacle) return skipped(command.obstacle.code, command.obstacle.message);
  }

  const pairError = statePairError(name, root, pair);
  if (pairError) return refuse(new InvalidStatePairError(pairError), [rejected(pairError)]);
  // Checked before the pin: a config outside its team's policy is never deployed, by anyone.
  if (command.placement && !command.placement.allowed) {
    return refuse(new PolicyDeniedError(command.placement.reason, command.placement.message), [rejected(`${command.placement.reason}: ${command.placement.message}`)]);
  }
  if (pair.artifactSha !== null && !facts.artifactShaKnown) {
    const message = `artifactSha ${pair.artifactSha} is not a known commit of ${root.artifact?.repo}`;
    return refuse(new UnknownCommitError(message), [rejected(message)]);
  }
  if (pair.configSha !== null && !facts.configShaKnown) {
    const message = `configSha ${pair.configSha} is not a known commit of ${root.configRepo}`;
    return refuse(new UnknownCommitError(message), [rejected(message)]);
  }

  // Rule 4: autodeploy leaves a pinned config alone; only people pin.
  if (command.cause === 'autodeploy' && state.pin) {
    const why = state.pin.reason ? `: ${state.pin.reason}` : '';
    return skipped('pinned', `pinned by ${state.pin.by}${why}; unpin to let autodeploy move it`);
  }
  const pinEvents: ConfigEvent[] =
    command.cause !== 'autodeploy' && !state.pin
      ? [{ type: 'config.pinned', data: { config: name, by: command.requestedBy, reason: pinReason(command) } }]
      : [];

  const scheduled = schedule(state, name, {
    ...command,
    cause: isUndeployPair(pair) && command.cause === 'manual' ? 'undeploy' : command.cause,
  });
  return ok([...pinEvents, ...scheduled.events], scheduled.deployId);
}

function pinReason(command: Extract<ConfigCommand, { type: 'RequestDeploy' }>): string {
  const what = command.cause === 'reapply' ? `re-apply of ${command.reappliedFrom}` : `manual deploy ${command.deployId}`;
  return command.reason ? `${what}: ${command.reason}` : what;
}

interface ScheduleRequest {
  readonly deployId: string;
  readonly pair: StatePair;
  readonly cause: DeployCause;
  readonly requestedBy: string;
  readonly reason: string;
  readonly reappliedFrom: string | null;
  readonly facts: CommitFacts;
  readonly imageTag?: string | null;
  readonly commitAt?: string;
}

/**
 * Rule 3: one deploy in flight; a newer request supersedes a queued older one; a request
 * for the pair already queued, in flight or (with nothing in flight) applied maps to
 * that deploy. A request for the pair in flight also drops what is queued behind it, so
 * the last request wins (a rollback to the deploy in flight is not undone by the queue).
 */
function schedule(state: ConfigState, name: string, request: ScheduleRequest): { events: ConfigEvent[]; deployId: string } {
  const queued = state.queued ? state.deploys[state.queued] : undefined;
  const inFlight = state.inFlight ? state.deploys[state.inFlight] : undefined;
  if (queued && samePair(queued.pair, request.pair)) return { events: [], deployId: queued.deployId };
  if (inFlight && samePair(inFlight.pair, request.pair)) {
    const events: ConfigEvent[] = queued ? [superseded(name, queued.deployId, inFlight.deployId)] : [];
    return { events, deployId: inFlight.deployId };
  }
  if (!inFlight && !queued && state.currentDeployId && samePair(state.current, request.pair)) {
    const current = state.deploys[state.currentDeployId];
    if (current && (current.phase === 'applied' || current.phase === 'succeeded')) return { events: [], deployId: current.deployId };
  }

  const target = targetOf(state, name, request);
  if (!inFlight) {
    return { events: [{ type: target.artifactSha === null && target.configSha === null ? 'undeploy.requested' : 'deploy.requested', data: target }], deployId: request.deployId };
  }
  const events: ConfigEvent[] = queued ? [superseded(name, queued.deployId, request.deployId)] : [];
  events.push({ type: 'deploy.queued', data: target });
  return { events, deployId: request.deployId };
}

function superseded(config: string, deployId: string, supersededBy: string): ConfigEvent {
  return { type: 'deploy.superseded', data: { deployId, config, supersededBy } };
}

function targetOf(state: ConfigState, name: string, request: ScheduleRequest): DeployTarget {
  const root = state.root!;
  const artifact = root.artifact;
  return {
    deployId: request.deployId,
    config: name,
    team: root.team,
    namespace: root.namespace,
    configRepo: root.configRepo,
    // Only for another provider than GitHub, so a GitHub config's requests read as before.
    ...(root.configRepoProvider && root.configRepoProvider !== 'github' ? { configRepoProvider: root.configRepoProvider } : {}),
    path: root.path,
    artifactRepo: artifact?.repo ?? null,
    artifactImage: artifact?.image ?? null,
    artifactSha: request.pair.artifactSha,
    configSha: request.pair.configSha,
    imageTag:
      artifact && request.pair.artifactSha !== null
        ? (request.imageTag ?? imageTag(request.facts.artifactBranch ?? root.track.branch, request.pair.artifactSha))
        : null,
    ...(root.target ? { gitops: root.target.gitops } : {}),
    ...(root.tests ? { tests: root.tests } : {}),
    cause: request.cause,
    requestedBy: request.requestedBy,
    reason: request.reason,
    reappliedFrom: request.reappliedFrom,
    ...(request.commitAt ? { commitAt: request.commitAt } : {}),
  };
}

/**
 * Records kube-applier's report in the config's stream. When it ends the deploy in
 * flight, the queued one is requested next. A report about a deploy this config never
 * requested, or a repeat of the last report, records nothing.
 */
function recordOutcome(outcome: OutcomeEvent, state: ConfigState): Decision {
  const deploy = state.deploys[outcome.data.deployId];
  if (!deploy) return skip('unknown deploy');
  if (deploy.lastOutcome === outcome.type) return skip('already recorded');
  if (deploy.phase === 'superseded' || deploy.phase === 'queued') return skip(`deploy is ${deploy.phase}`);
  // Outcomes are delivered at least once and a restarted applier may report `deploy.started`
  // again after it already reported the deploy applied or succeeded: a phase never steps back.
  if (stepsBack(outcome.type, deploy.phase)) return skip(`late ${outcome.type}: deploy is ${deploy.phase}`);
  const events: ConfigEvent[] = [outcome];
  const ends = outcome.type === 'deploy.succeeded' || outcome.type === 'deploy.failed' || outcome.type === 'deploy.undeployed';
  if (ends && state.inFlight === deploy.deployId && state.queued) {
    const next = state.deploys[state.queued];
    if (next) events.push({ type: next.kind === 'undeploy' ? 'undeploy.requested' : 'deploy.requested', data: next.target });
  }
  return ok(events, deploy.deployId);
}

/**
 * A build of `(target, ref, commit)` once: a push or tag seen again, or a commit already built
 * green for that target, requests nothing; a newer commit for the target is a new build (the
 * one running is canceled by kube-applier: one build per target).
 */
function requestBuild(command: Extract<ConfigCommand, { type: 'RequestBuild' }>, state: ConfigState, name: string): Decision {
  if (state.status !== 'active' || !state.root) return skip('not active');
  const { root } = state;
  if (!root.build || !root.artifact) return skip('builds nothing');
  if (!root.autodeploy) return skip('autodeploy is off');
  const current = state.currentBuilds[command.target];
  const seen = Object.values(state.builds).some(
    (b) => b.target === command.target && b.ref === command.ref && b.commitSha === command.commitSha && (b.phase === 'Succeeded' || b.buildId === current),
  );
  if (seen) return skip('already built or building');
  if (command.placement && !command.placement.allowed) {
    const message = `build refused: ${command.placement.reason}: ${command.placement.message}`;
    return refuse(new PolicyDeniedError(command.placement.reason, command.placement.message), [
      {
        type: 'deploy.rejected',
        data: { config: name, artifactSha: command.commitSha, configSha: null, cause: 'autodeploy', requestedBy: command.requestedBy, reason: command.reason, message },
      },
    ]);
  }
  const tag = imageTag(command.ref, command.commitSha);
  return ok([
    {
      type: 'build.requested',
      data: {
        buildId: command.buildId,
        config: name,
        team: root.team,
        namespace: root.namespace,
        target: command.target,
        repo: root.artifact.repo,
        ref: command.ref,
        commitSha: command.commitSha,
        artifactImage: `${root.artifact.image}:${tag}`,
        imageTag: tag,
        builder: root.build,
        requestedBy: command.requestedBy,
        reason: command.reason,
      },
    },
  ]);
}

function reportedPhase(report: BuildReport): BuildState['phase'] {
  if (report.type === 'build.scheduled') return 'scheduled';
  if (report.type === 'build.started') return 'running';
  return report.data.phase;
}

function recordBuildReport(command: Extract<ConfigCommand, { type: 'RecordBuildReport' }>, state: ConfigState, name: string): Decision {
  const { report } = command;
  const build = state.builds[report.data.buildId];
  if (!build) return skip('unknown build');
  if (BUILD_PROGRESS[reportedPhase(report)] <= BUILD_PROGRESS[build.phase]) return skip('already recorded');
  const recorded: ConfigEvent[] = [report];
  if (report.type !== 'build.finished' || report.data.phase !== 'Succeeded') return ok(recorded);

  // A green build of the commit: rule 2, with the image the build pushed.
  const superseded = state.currentBuilds[build.target] !== build.buildId;
  const after = evolve(state, report);
  const pair = { artifactSha: build.commitSha, configSha: command.configHead };
  const reason = `build ${build.imageTag} (${build.target}) succeeded`;
  const deploy: Extract<ConfigCommand, { type: 'RequestDeploy' }> = {
    type: 'RequestDeploy',
    deployId: command.deployId,
    pair,
    cause: 'autodeploy',
    requestedBy: AUTODEPLOY,
    reason,
    reappliedFrom: null,
    facts: ALL_KNOWN,
    imageTag: build.imageTag,
    ...(command.placement ? { placement: command.placement } : {}),
    ...(superseded ? { obstacle: { code: 'stale-build' as const, message: `a newer build for ${build.target} was requested: ${build.imageTag} is not deployed` } } : {}),
  };
  const decision =
    command.configHead === null && !superseded
      ? decide({ type: 'RejectAutodeploy', pair, reason, message: `the head of the default branch of ${state.root?.configRepo} is not known yet` }, after, name)
      : requestDeploy(deploy, after, name);
  return { ...decision, events: [...recorded, ...decision.events] };
}

const PROGRESS: Readonly<Record<string, number>> = { 'deploy.started': 1, 'deploy.applied': 2, applying: 1, applied: 2, succeeded: 3 };

/** A `deploy.started`/`deploy.applied` report for a deploy that is already further along. */
function stepsBack(outcomeType: string, phase: string): boolean {
  const reported = PROGRESS[outcomeType];
  const current = PROGRESS[phase];
  return reported !== undefined && current !== undefined && reported < current;
}

/** JSON with sorted keys: stored roots come back from jsonb with their keys reordered. */
function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) =>
    v && typeof v === 'object' && !Array.isArray(v) ? Object.fromEntries(Object.entries(v as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) : v,
  );
}
