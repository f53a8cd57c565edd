import type { EventData, PreviewReleaseReason } from '@sluice/contracts';
import type { DeploymentState } from './deployment-mirror';

/**
 * A pull request's preview environment as shown on the pull request (docs/architecture.md §1
 * "Previews"): one GitHub deployment per preview (a push is a new preview in the same slot) in
 * the environment `preview/<config>/pr-<n>`, and one comment per (config, pull request).
 */
export interface PreviewState {
  readonly config: string;
  /** The artifact repository (`owner/name`) and the pull request's number there. */
  readonly repo: string;
  readonly pr: number;
  /** The current preview (the latest push deployed). */
  readonly previewId: string;
  readonly headSha: string;
  readonly imageTag: string;
  readonly namespace: string;
  readonly url: string | null;
  readonly expiresAt: string;
  readonly phase: DeploymentState;
  /** Why the apply failed (failure). */
  readonly message: string | null;
  /** Why the slot was given up (inactive). */
  readonly releaseReason: PreviewReleaseReason | null;
  /** The `preview-<config>` stream position of the last deployed/released event taken. */
  readonly streamVersion: number;
  /** Earlier previews of this pull request (newest last, bounded): their late events are ignored. */
  readonly superseded: readonly string[];
}

export type PreviewEvent =
  | { readonly type: 'preview.deployed'; readonly streamVersion: number; readonly data: EventData<'preview.deployed'> }
  | { readonly type: 'preview.applied'; readonly streamVersion: number; readonly data: EventData<'preview.applied'> }
  | { readonly type: 'preview.released'; readonly streamVersion: number; readonly data: EventData<'preview.released'> };

export const PREVIEW_EVENT_TYPES = ['preview.deployed', 'preview.applied', 'preview.released'] as const;

const SUPERSEDED_KEPT = 20;

/** GitHub environment of a pull request's preview. */
export function previewEnvironment(config: string, pr: number): string {
  return `preview/${config}/pr-${pr}`;
}

/** The hidden marker that finds the comment again when its id was not saved (a crash). */
export function previewCommentMarker(config: string): string {
  return `<!-- sluice-preview:${config} -->`;
}

/**
 * The pull request's state after one preview event, or null when it changes nothing: a
 * redelivery, an event of an earlier preview (a push since), a deployed/released event older
 * in the `preview-<config>` stream than the one taken, an outcome after the release.
 */
export function evolvePreview(current: PreviewState | null, event: PreviewEvent): PreviewState | null {
  const d = event.data;
  if (current && current.superseded.includes(d.previewId)) return null;
  if (event.type === 'preview.deployed') {
    const d = event.data;
    if (current && (current.previewId === d.previewId || event.streamVersion <= current.streamVersion)) return null;
    return {
      config: d.config,
      repo: d.repo,
      pr: d.pr,
      previewId: d.previewId,
      headSha: d.headSha,
      imageTag: d.imageTag,
      namespace: d.namespace,
      url: d.url,
      expiresAt: d.expiresAt,
      phase: 'in_progress',
      message: null,
      releaseReason: null,
      streamVersion: event.streamVersion,
      superseded: current ? [...current.superseded, current.previewId].slice(-SUPERSEDED_KEPT) : [],
    };
  }
  if (!current) return null;
  if (event.type === 'preview.released') {
    if (current.phase === 'inactive' || (current.previewId !== d.previewId && event.streamVersion <= current.streamVersion)) return null;
    // A release of a preview never seen deployed (its deployed event is older than this consumer): nothing to show but the release.
    const sameHead = current.previewId === d.previewId;
    return {
      ...current,
      ...(sameHead ? {} : { previewId: d.previewId, headSha: d.headSha, superseded: [...current.superseded, current.previewId].slice(-SUPERSEDED_KEPT) }),
      phase: 'inactive',
      releaseReason: event.data.reason,
      streamVersion: Math.max(current.streamVersion, event.streamVersion),
    };
  }
  // preview.applied: kube-applier's outcome of the current preview; a repeat changes nothing, a release is final.
  if (current.previewId !== d.previewId || current.phase === 'inactive') return null;
  const applied = event.data;
  const next: PreviewState = applied.ok
    ? { ...current, phase: 'success', url: applied.url ?? current.url, message: null }
    : { ...current, phase: 'failure', message: applied.message || 'apply failed' };
  return next.phase === current.phase && next.url === current.url && next.message === current.message ? null : next;
}

/** The deployment status description (GitHub keeps 140 characters). */
export function previewStatusDescription(s: PreviewState): string {
  switch (s.phase) {
    case 'success':
      return `Preview of ${s.imageTag} is up`;
    case 'failure':
      return `Preview failed: ${s.message ?? ''}`.slice(0, 140);
    case 'inactive':
      return `Preview released (${s.releaseReason ?? 'released'})`;
    default:
      return `Deploying ${s.imageTag} to the preview`;
  }
}

const RELEASED: Record<PreviewReleaseReason, string> = {
  closed: 'the pull request was closed',
  merged: 'the pull request was merged',
  expired: 'it expired',
  evicted: 'its slot was needed for another pull request',
  'config-removed': 'the config was removed',
};

/** The pull request comment: state, URL, image tag, head commit, expiry; on release, why. */
export function previewCommentBody(s: PreviewState): string {
  const headline: Record<DeploymentState, string> = {
    queued: 'queued',
    in_progress: '⏳ deploying',
    success: '✅ ready',
    failure: '❌ failed',
    inactive: '⚪ released',
  };
  const lines = [
    previewCommentMarker(s.config),
    `### Sluice preview of \`${s.config}\`: ${headline[s.phase]}`,
    '',
    '| | |',
    '|---|---|',
    `| URL | ${s.phase === 'inactive' ? '—' : s.url ? `[${s.url}](${s.url})` : 'none (no host configured)'} |`,
    `| Image tag | \`${s.imageTag}\` |`,
    `| Head commit | \`${s.headSha.slice(0, 12)}\` |`,
    `| Namespace | \`${s.namespace}\` |`,
    `| Expires | ${s.phase === 'inactive' ? '—' : s.expiresAt} |`,
  ];
  if (s.phase === 'failure') lines.push('', `The preview could not be applied: ${s.message ?? 'no message'}`);
  if (s.phase === 'inactive') lines.push('', `Released because ${s.releaseReason ? RELEASED[s.releaseReason] : 'it was given up'} (\`${s.releaseReason ?? 'released'}\`).`);
  return lines.join('\n');
}
