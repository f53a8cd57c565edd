import { createParamDecorator, Inject, Injectable, Optional, type CanActivate, type ExecutionContext } from '@nestjs/common';
import { ForbiddenError, ServiceUnavailableError, TooManyRequestsError, UnauthorizedError } from '@sluice/platform';
import { FailedAuthLimiter } from './failed-auth-limiter';
import { OIDC_VERIFIER, type OidcVerifier } from './oidc';
import type { Principal } from './principal';
import { subjectOf } from './principal';
import { TOKEN_AUTHENTICATOR, type TokenAuthenticator } from './token-authenticator';

type AuthenticatedRequest = {
  headers: Record<string, string | string[] | undefined>;
  principal?: Principal;
  /** Express's client address (the socket's peer unless the app trusts a proxy). */
  ip?: string;
  socket?: { remoteAddress?: string };
};

/** Provide a `FailedAuthLimiter` under this token to change the limits (tests); else each guard keeps one with the defaults. */
export const FAILED_AUTH_LIMITER = Symbol('FAILED_AUTH_LIMITER');

const BEARER = /^Bearer +([\x21-\x7e]+)$/i;

/** The team a person who belongs to several acts for on this request. */
export const TEAM_HEADER = 'x-sluice-team';

/**
 * `Authorization: Bearer <token>` (docs/architecture.md §7): no or malformed header → 401, an
 * unknown token → 401; otherwise the principal is attached to the request for
 * `@CurrentPrincipal()`. Needs a `TOKEN_AUTHENTICATOR` provider.
 *
 * A client address that presented too many bad credentials (malformed header, unknown or
 * revoked token) gets 429 with `Retry-After` for a while, its token not even checked. A
 * request without any credentials is a plain 401 and does not count: it guesses nothing.
 *
 * With an `OIDC_VERIFIER` provided, an OpenID Connect ID token is accepted too: the person acts
 * as the admin (an admin group), or for their one team, or — member of several — for the team
 * the `X-Sluice-Team` header names. A person in no team gets 403.
 */
@Injectable()
export class BearerAuthGuard implements CanActivate {
  private readonly limiter: FailedAuthLimiter;

  constructor(
    @Inject(TOKEN_AUTHENTICATOR) private readonly authenticator: TokenAuthenticator,
    @Optional() @Inject(FAILED_AUTH_LIMITER) limiter?: FailedAuthLimiter,
    @Optional() @Inject(OIDC_VERIFIER) private readonly oidc?: OidcVerifier | null,
  ) {
    this.limiter = limiter ?? new FailedAuthLimiter();
  }

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const request = context.switchToHttp().getRequest<AuthenticatedRequest>();
    const header = request.headers['authorization'];
    if (header === undefined || header === '') throw new UnauthorizedError('missing bearer token: send Authorization: Bearer <token>');
    const address = request.ip ?? request.socket?.remoteAddress;
    const blockedMs = this.limiter.blockedFor(address);
    if (blockedMs > 0) {
      throw new TooManyRequestsError('too many failed authentications from this address; retry later', {
        code: 'too_many_failed_authentications',
        retryAfterSeconds: blockedMs / 1000,
      });
    }
    const match = typeof header === 'string' ? BEARER.exec(header.trim()) : null;
    if (!match) {
      this.limiter.recordFailure(address);
      throw new UnauthorizedError('malformed Authorization header: expected Bearer <token>');
    }
    const token = match[1]!;
    const principal = this.oidc?.handles(token) ? await this.personOf(this.oidc, token, request) : await this.authenticator.authenticate(token);
    if (!principal) {
      this.limiter.recordFailure(address);
      throw new UnauthorizedError(this.oidc?.handles(token) ? 'invalid or expired ID token' : 'invalid or revoked token');
    }
    request.principal = principal;
    return true;
  }

  private async personOf(oidc: OidcVerifier, token: string, request: AuthenticatedRequest): Promise<Principal | null> {
    let identity;
    try {
      identity = await oidc.verify(token);
    } catch (error) {
      throw new ServiceUnavailableError(`cannot check the ID token: ${(error as Error).message}`, { code: 'oidc_unavailable', retryAfterSeconds: 5 });
    }
    if (!identity) return null;
    const { person, teams, admin } = identity;
    if (admin) return { kind: 'admin', person };
    const claim = oidc.settings.teamsClaim;
    if (teams.length === 0) throw new ForbiddenError(`user:${person} is in no Sluice team: none of the groups in the "${claim}" claim maps to a team`, { code: 'no_team' });
    const chosen = request.headers[TEAM_HEADER];
    if (typeof chosen === 'string' && chosen !== '') {
      if (!teams.includes(chosen)) throw new ForbiddenError(`user:${person} is not a member of team "${chosen}" (member of: ${teams.join(', ')})`, { code: 'not_a_member', details: { teams } });
      return { kind: 'team', team: chosen, person };
    }
    if (teams.length > 1) throw new ForbiddenError(`user:${person} is a member of teams ${teams.join(', ')}: name the one to act for in the X-Sluice-Team header`, { code: 'team_required', details: { teams } });
    return { kind: 'team', team: teams[0]!, person };
  }
}

/** The principal the BearerAuthGuard authenticated. */
export const CurrentPrincipal = createParamDecorator((_data: unknown, context: ExecutionContext): Principal => {
  const principal = context.switchToHttp().getRequest<AuthenticatedRequest>().principal;
  if (!principal) throw new UnauthorizedError();
  return principal;
});

export function requireAdmin(principal: Principal): void {
  if (principal.kind !== 'admin') throw new ForbiddenError(`${subjectOf(principal)} may not do this: an admin token is required`);
}

/**
 * 403 unless the principal is admin or belongs to `team`. `null`: the owner is not known
 * (e.g. a record older than the team column), so only the admin may.
 */
export function requireTeam(principal: Principal, team: string | null): void {
  if (principal.kind !== 'team' || principal.team === team) return;
  if (team === null) throw new ForbiddenError(`${subjectOf(principal)} may not act on this: its team is not recorded, an admin token is required`);
  throw new ForbiddenError(`${subjectOf(principal)} may not act on configs of team "${team}"`);
}

/** After BearerAuthGuard: 403 unless the principal is the admin (`@UseGuards(BearerAuthGuard, AdminOnlyGuard)`). */
@Injectable()
export class AdminOnlyGuard implements CanActivate {
  canActivate(context: ExecutionContext): boolean {
    const principal = context.switchToHttp().getRequest<AuthenticatedRequest>().principal;
    if (!principal) throw new UnauthorizedError();
    requireAdmin(principal);
    return true;
  }
}
