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
  /** The team policy does not allow the config where it deploys (namespace, repository). */
  | 'PolicyDenied'
  /** A GitOps target (docs/architecture.md §1 "GitOps target") cannot take this deploy. */
  | 'GitOpsTargetInvalid';

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
