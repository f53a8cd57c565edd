import type { DeployStepName } from '@sluice/contracts';

/**
 * Why a deploy cannot be applied as requested. Terminal: retrying the same (artifactSha,
 * configSha) gives the same answer, so the deploy fails (and the DeployConfig stalls) with
 * this reason instead of being retried.
 */
export type RenderFailureReason =
  | 'InvalidManifest'
  | 'ForbiddenKind'
  | 'ForeignNamespace'
  | 'DuplicateObject'
  | 'SpecsUnavailable'
  /** Helm or Kustomize failed on the config's files (the message names the file and line where the tool does). */
  | 'RenderFailed'
  /** The renderer a config needs (helm, kustomize) is not installed where kube-applier looks. */
  | 'RenderToolMissing'
  /** A render ran past KUBE_APPLIER_RENDER_TIMEOUT_SECONDS or wrote more than KUBE_APPLIER_RENDER_MAX_BYTES. */
  | 'RenderLimitExceeded'
  /** A chart repository whose host is not in KUBE_APPLIER_HELM_REPOS, or that does not serve the chart. */
  | 'ChartUnavailable'
  /** The team policy does not allow the config where it deploys (namespace, repository). */
  | 'PolicyDenied'
  /** A GitOps target (docs/architecture.md §1 "GitOps target") cannot take this deploy. */
  | 'GitOpsTargetInvalid'
  /** The image registry has no manifest for `<image>:<tag>` (step check-image). */
  | 'ImageNotFound'
  /** The image registry could not tell: credentials refused, or unreachable after retries (step check-image). */
  | 'ImageCheckFailed'
  /** The build the deploy waited for (step build) ended without the image: failed, timed out, canceled, refused, or pushed nothing. */
  | 'BuildFailed';

/** The step a refusal fails (§1 "Steps"): the image check, the build, the team policy and GitOps target at apply, the rest at render. */
export function stepOfFailure(reason: RenderFailureReason): DeployStepName {
  if (reason === 'ImageNotFound' || reason === 'ImageCheckFailed') return 'check-image';
  if (reason === 'BuildFailed') return 'build';
  if (reason === 'PolicyDenied' || reason === 'GitOpsTargetInvalid') return 'apply';
  return 'render';
}

export class RenderError extends Error {
  override readonly name = 'RenderError';
  constructor(
    readonly reason: RenderFailureReason,
    message: string,
    /** The file (and document index) the problem is in, when known. */
    readonly source?: string,
  ) {
    super(source ? `${source}: ${message}` : message);
  }
}
