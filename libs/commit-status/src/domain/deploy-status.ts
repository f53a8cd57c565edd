import type { EventData } from '@sluice/contracts';
import { truncate } from './mapping';
import { isFinal, type Phase, type ProviderKind } from './model';

/**
 * Sluice's own commit statuses: one per deploy config (`sluice/<config>`), reused as the
 * deployed commit moves — on the artifact commit for artifactful configs, on the config
 * commit for artifactless ones.
 */
export interface DeployStatusState {
  readonly config: string;
  readonly deployId: string;
  readonly namespace: string;
  /** `owner/name` and sha of the commit the status is on. */
  readonly repo: string;
  /** The provider `repo` lives on when it is not GitHub (absent = github, as every state before GitLab and Bitbucket). */
  readonly provider?: ProviderKind;
  readonly sha: string;
  readonly phase: Phase;
  readonly description: string;
  /**
   * The commit the status was on before `sha` and the last phase the consumer saw there (the
   * CommitStatus' `spec.previous`): a deploy that succeeded just before the next one was
   * requested keeps its success even if the controller had not written it yet (issue #23).
   */
  readonly previous?: PreviousDeployStatus;
}

/** The replaced state's commit and outcome (without its own `previous`). */
export type PreviousDeployStatus = Pick<DeployStatusState, 'deployId' | 'repo' | 'provider' | 'sha' | 'phase' | 'description'>;

export type DeployStatusEvent =
  | { readonly type: 'deploy.requested'; readonly data: EventData<'deploy.requested'> }
  | { readonly type: 'deploy.started'; readonly data: EventData<'deploy.started'> }
  | { readonly type: 'deploy.applied'; readonly data: EventData<'deploy.applied'> }
  | { readonly type: 'deploy.succeeded'; readonly data: EventData<'deploy.succeeded'> }
  | { readonly type: 'deploy.failed'; readonly data: EventData<'deploy.failed'> }
  | { readonly type: 'deploy.superseded'; readonly data: EventData<'deploy.superseded'> };

export const DEPLOY_STATUS_EVENT_TYPES = [
  'deploy.requested',
  'deploy.started',
  'deploy.applied',
  'deploy.succeeded',
  'deploy.failed',
  'deploy.superseded',
] as const;

export function statusNameOf(config: string): string {
  return `sluice/${config}`;
}

/** The resource name of a config's CommitStatus. */
export function resourceNameOf(config: string): string {
  return `sluice-${config}`;
}

/** Where a status links: the deploy's page in the dashboard (a browser has no token for the API). */
export function deployUrl(publicUrl: string, deployId: string): string {
  return `${publicUrl.replace(/\/+$/, '')}/deploys/${deployId}`;
}

/**
 * A config's requests and outcomes arrive in order (they share the config's Kafka key), but a
 * restarted kube-applier may report an earlier step again under a new event id: never step back.
 */
const RANK: Record<Phase, number> = { queued: 0, in_progress: 1, success: 2, failure: 2, canceled: 2 };

/**
 * What a new request's state records as `previous` when it replaces `current`: the replaced
 * commit and its last phase — unless the commit does not move (the previous one stays), or the
 * replaced deploy reached no final phase while the one before it did: then that final phase is
 * kept, as it may not be on the SCM yet (the controller had not caught up), whereas a replaced
 * commit the controller did write is canceled from what the CommitStatus' status tracks.
 */
function previousOf(current: DeployStatusState | null, next: Pick<DeployStatusState, 'repo' | 'provider' | 'sha'>): PreviousDeployStatus | undefined {
  if (!current) return undefined;
  const moved = current.repo !== next.repo || (current.provider ?? 'github') !== (next.provider ?? 'github') || current.sha !== next.sha;
  if (!moved) return current.previous;
  if (!isFinal(current.phase) && current.previous && isFinal(current.previous.phase)) return current.previous;
  const { previous: _older, config: _config, namespace: _namespace, ...replaced } = current;
  return replaced;
}

/** The repository a deploy's status goes on: the artifact repository's, else the config repository's. */
export function statusRepoOf(d: EventData<'deploy.requested'>): string {
  return d.artifactRepo ?? d.configRepo;
}

/**
 * The next state of a config's status after one deploy event, or null when the event changes
 * nothing: an outcome of a deploy that is no longer the config's latest request (its commit
 * was already moved on, which cancels it), a repeated or older step, an undeploy (no commit).
 * `artifactProvider`: the provider the request's artifact repository lives on (a deploy names it
 * by `owner/name` only); the config repository's is in the request.
 */
export function evolveDeployStatus(current: DeployStatusState | null, event: DeployStatusEvent, artifactProvider: ProviderKind = 'github'): DeployStatusState | null {
  if (event.type === 'deploy.requested') {
    const d = event.data;
    const target = d.artifactRepo
      ? { repo: d.artifactRepo, sha: d.artifactSha, provider: artifactProvider }
      : { repo: d.configRepo, sha: d.configSha, provider: d.configRepoProvider ?? 'github' };
    if (!target.sha) return null;
    if (current?.deployId === d.deployId) return null;
    const previous = previousOf(current, { repo: target.repo, provider: target.provider, sha: target.sha });
    return {
      config: d.config,
      deployId: d.deployId,
      namespace: d.namespace,
      repo: target.repo,
      ...(target.provider !== 'github' ? { provider: target.provider } : {}),
      sha: target.sha,
      phase: 'queued',
      description: `Deploy to ${d.namespace} queued`,
      ...(previous ? { previous } : {}),
    };
  }
  if (!current || current.deployId !== event.data.deployId) return null;
  let phase: Phase;
  let description: string;
  switch (event.type) {
    case 'deploy.started':
      phase = 'in_progress';
      description = `Deploying to ${current.namespace}`;
      break;
    case 'deploy.applied':
      phase = 'in_progress';
      description = event.data.dryRun ? `Rendered for ${current.namespace} (dry run); waiting for health` : `Applied to ${current.namespace}; waiting for health`;
      break;
    case 'deploy.succeeded':
      phase = 'success';
      description = `Deployed to ${current.namespace}`;
      break;
    case 'deploy.failed':
      phase = 'failure';
      description = truncate(`Deploy to ${current.namespace} failed: ${event.data.reason}${event.data.message ? ` — ${event.data.message}` : ''}`, 1024);
      break;
    case 'deploy.superseded':
      phase = 'canceled';
      description = 'Superseded by a newer deploy';
      break;
    default: {
      const unknown: never = event;
      throw new Error(`unhandled deploy event ${(unknown as { type: string }).type}`);
    }
  }
  if (RANK[phase] < RANK[current.phase] || RANK[current.phase] === 2) return null;
  if (phase === current.phase && description === current.description) return null;
  return { ...current, phase, description };
}
