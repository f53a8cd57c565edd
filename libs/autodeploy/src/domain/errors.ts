/**
 * Why the decider refused a command. Pure: the HTTP edge maps `kind` to a status
 * (not_found 404, forbidden 403, conflict 409, unprocessable 422).
 */
export type DomainErrorKind = 'not_found' | 'forbidden' | 'conflict' | 'unprocessable';

export abstract class DomainError extends Error {
  abstract readonly kind: DomainErrorKind;
  abstract readonly code: string;
}

export class ConfigNotFoundError extends DomainError {
  readonly kind = 'not_found';
  readonly code = 'config_not_found';
  constructor(readonly config: string) {
    super(`config "${config}" is not known`);
    this.name = 'ConfigNotFoundError';
  }
}

export class DeployNotFoundError extends DomainError {
  readonly kind = 'not_found';
  readonly code = 'deploy_not_found';
  constructor(readonly deployId: string) {
    super(`deploy ${deployId} is not known`);
    this.name = 'DeployNotFoundError';
  }
}

export class ConfigRemovedError extends DomainError {
  readonly kind = 'conflict';
  readonly code = 'config_removed';
  constructor(readonly config: string) {
    super(`config "${config}" was removed from its config repository; it accepts no deploys until it is discovered again`);
    this.name = 'ConfigRemovedError';
  }
}

/** Another config repository already defines a config of this name (names are unique in Sluice). */
export class ConfigNameTakenError extends DomainError {
  readonly kind = 'conflict';
  readonly code = 'config_name_taken';
  constructor(readonly config: string, readonly ownedBy: string, readonly claimedBy: string) {
    super(`config "${config}" is already defined by ${ownedBy}; ${claimedBy} cannot define it too`);
    this.name = 'ConfigNameTakenError';
  }
}

export class InvalidStatePairError extends DomainError {
  readonly kind = 'unprocessable';
  readonly code = 'invalid_state_pair';
  constructor(message: string) {
    super(message);
    this.name = 'InvalidStatePairError';
  }
}

export class UnknownCommitError extends DomainError {
  readonly kind = 'unprocessable';
  readonly code = 'unknown_commit';
  constructor(message: string) {
    super(message);
    this.name = 'UnknownCommitError';
  }
}

/** A team token acting on another team's config, deploy or history. */
export class ForbiddenTeamError extends DomainError {
  readonly kind = 'forbidden';
  readonly code = 'forbidden';
  constructor(readonly subject: string, readonly team: string) {
    super(`${subject} may not act on configs of team "${team}"`);
    this.name = 'ForbiddenTeamError';
  }
}

export class DeployNotInFlightError extends DomainError {
  readonly kind = 'conflict';
  readonly code = 'deploy_not_in_flight';
  constructor(readonly deployId: string, readonly phase: string) {
    super(`deploy ${deployId} is not in flight (phase ${phase}); only the deploy in flight can be abandoned`);
    this.name = 'DeployNotInFlightError';
  }
}

/** The config's team policy does not allow it where it deploys (namespace, repository). */
export class PolicyDeniedError extends DomainError {
  readonly kind = 'forbidden';
  readonly code = 'policy_denied';
  constructor(
    readonly reason: string,
    message: string,
  ) {
    super(message);
    this.name = 'PolicyDeniedError';
  }
}
