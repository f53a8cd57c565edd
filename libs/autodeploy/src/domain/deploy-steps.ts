import { DEPLOY_STEPS, type DeployStepName, type DeployStepState } from '@sluice/contracts';
import type { ConfigEvent } from './config-events';

/** One step of a deploy as the API shows it (docs/architecture.md §1 "Steps"). */
export interface DeployStep {
  readonly name: DeployStepName;
  readonly state: DeployStepState;
  readonly result: string | null;
  readonly error: { readonly reason: string; readonly message: string } | null;
  readonly childId: string | null;
  readonly startedAt: string | null;
  readonly endedAt: string | null;
}

const UNDEPLOY_STEPS: readonly DeployStepName[] = ['resolve', 'apply'];
const ENDED = new Set<DeployStepState>(['done', 'failed', 'skipped']);

function pending(name: DeployStepName): DeployStep {
  return { name, state: 'pending', result: null, error: null, childId: null, startedAt: null, endedAt: null };
}

const short = (sha: string | null) => (sha ? sha.slice(0, 7) : 'none');

/**
 * The steps of a deploy after `event` (at `at`, the event's time), from its steps before it
 * (`[]` before its first event). Pure: the projection folds a config's stream through it, so
 * replay rebuilds the same steps. Explicit step reports (`deploy.step`) win; the other outcomes
 * fill in the steps they imply (apply started at `deploy.started`, done at `deploy.applied`;
 * wait-healthy done at `deploy.succeeded`); a failure fails the step under way (or the first
 * not run) and skips every step that has not ended; a step never leaves an ended state.
 */
export function foldDeploySteps(steps: readonly DeployStep[], event: ConfigEvent, at: string): DeployStep[] {
  switch (event.type) {
    case 'deploy.queued':
    case 'deploy.requested':
    case 'undeploy.requested': {
      if (steps.length > 0) return [...steps];
      const d = event.data;
      const undeploy = d.artifactSha === null && d.configSha === null;
      const names = undeploy ? UNDEPLOY_STEPS : DEPLOY_STEPS;
      const resolved = undeploy ? 'undeploy' : `${d.imageTag ?? 'no image'} from config ${short(d.configSha)}${d.gitops ? ` through ${d.gitops.repo}` : ''}`;
      return names.map((name) => (name === 'resolve' ? { ...pending(name), state: 'done', result: resolved, startedAt: at, endedAt: at } : pending(name)));
    }
    case 'deploy.step': {
      const d = event.data;
      // A step after build reported while build is pending: the image was there (or not checked), nothing was built.
      if (DEPLOY_STEPS.indexOf(d.step) > DEPLOY_STEPS.indexOf('build')) {
        const when = d.startedAt ?? d.endedAt ?? at;
        steps = steps.map((s) => (s.name === 'build' && s.state === 'pending' ? { ...s, state: 'skipped', result: 'nothing to build', startedAt: when, endedAt: when } : s));
      }
      const current = steps.find((s) => s.name === d.step);
      if (current && ENDED.has(current.state)) return [...steps];
      // kube-applier's clock for what it reports; a step it only ends keeps the start recorded here.
      const startedAt = d.startedAt ?? current?.startedAt ?? at;
      const endedAt = d.endedAt ?? (ENDED.has(d.state) ? at : null);
      const reported: DeployStep = { name: d.step, state: d.state, result: d.result, error: d.error, childId: d.childId, startedAt, endedAt: endedAt && later(endedAt, startedAt) };
      const next = current ? steps.map((s) => (s === current ? reported : s)) : [...steps, reported];
      return d.state === 'failed' ? skipAfterFailure(next, `${d.step} failed`, at) : next;
    }
    case 'deploy.started': {
      // A deploy waiting for its build (step build started) applies once the build is done (kube-applier reports apply started then).
      if (steps.some((s) => s.name === 'build' && s.state === 'started')) return [...steps];
      // A build nobody started was not needed; other steps before apply that nobody reported (deploys older than step reports) were not recorded.
      return start(endBefore(end(steps, 'build', 'skipped', 'nothing to build', at, 'pending'), 'apply', 'skipped', 'not recorded', at), 'apply', at);
    }
    case 'deploy.applied': {
      const objects = event.data.inventory.length;
      const result = `${objects} object${objects === 1 ? '' : 's'} applied${event.data.dryRun ? ' (dry run: rendered and recorded, no cluster)' : ''}`;
      return start(end(endBefore(steps, 'apply', 'skipped', 'not recorded', at), 'apply', 'done', result, at), 'wait-healthy', at);
    }
    case 'deploy.succeeded':
      return skipRemaining(end(end(endBefore(steps, 'wait-healthy', 'done', null, at), 'wait-healthy', 'done', 'healthy', at), 'test', 'skipped', 'no tests declared', at), 'not run', at);
    case 'deploy.undeployed':
      return end(steps, 'apply', 'done', 'objects removed', at);
    case 'deploy.failed': {
      if (steps.some((s) => s.state === 'failed')) return skipAfterFailure(steps, 'deploy failed', at);
      const error = { reason: event.data.reason, message: event.data.message };
      const under = steps.find((s) => s.state === 'started') ?? steps.find((s) => s.state === 'pending');
      if (!under) return [...steps];
      const failed = steps.map((s) => (s === under ? { ...s, state: 'failed' as const, error, startedAt: s.startedAt ?? at, endedAt: at } : s));
      return skipAfterFailure(failed, `${under.name} failed`, at);
    }
    case 'deploy.superseded':
      return skipRemaining(steps, `superseded by deploy ${event.data.supersededBy}`, at);
    default:
      return [...steps];
  }
}

/** The later of two ISO times: a step never ends before it started, whichever clock recorded each. */
function later(a: string, b: string): string {
  return a >= b ? a : b;
}

function start(steps: readonly DeployStep[], name: DeployStepName, at: string): DeployStep[] {
  return steps.map((s) => (s.name === name && s.state === 'pending' ? { ...s, state: 'started', startedAt: at } : s));
}

function end(steps: readonly DeployStep[], name: DeployStepName, state: DeployStepState, result: string | null, at: string, only?: DeployStepState): DeployStep[] {
  return steps.map((s) =>
    s.name === name && !ENDED.has(s.state) && (only === undefined || s.state === only)
      ? { ...s, state, result, startedAt: s.startedAt ?? at, endedAt: later(at, s.startedAt ?? at) }
      : s,
  );
}

/** Every step before `name` that has not ended ends as `state`. */
function endBefore(steps: readonly DeployStep[], name: DeployStepName, state: DeployStepState, result: string | null, at: string): DeployStep[] {
  const index = steps.findIndex((s) => s.name === name);
  return steps.map((s, i) => (i < index && !ENDED.has(s.state) ? { ...s, state, result, startedAt: s.startedAt ?? (state === 'skipped' ? null : at), endedAt: at } : s));
}

function skipRemaining(steps: readonly DeployStep[], why: string, at: string): DeployStep[] {
  return steps.map((s) => (ENDED.has(s.state) ? s : { ...s, state: 'skipped', result: why, endedAt: at }));
}

/** A failed step ends the deploy: every step that has not ended is skipped. */
function skipAfterFailure(steps: readonly DeployStep[], why: string, at: string): DeployStep[] {
  return skipRemaining(steps, `not run: ${why}`, at);
}
