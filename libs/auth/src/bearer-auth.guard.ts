import { createParamDecorator, Inject, Injectable, type CanActivate, type ExecutionContext } from '@nestjs/common';
import { ForbiddenError, UnauthorizedError } from '@sluice/platform';
import type { Principal } from './principal';
import { subjectOf } from './principal';
import { TOKEN_AUTHENTICATOR, type TokenAuthenticator } from './token-authenticator';

type AuthenticatedRequest = { headers: Record<string, string | string[] | undefined>; principal?: Principal };

const BEARER = /^Bearer +([\x21-\x7e]+)$/i;

/**
 * `Authorization: Bearer <token>` (ARCHITECTURE §7): no or malformed header → 401, an
 * unknown token → 401; otherwise the principal is attached to the request for
 * `@CurrentPrincipal()`. Needs a `TOKEN_AUTHENTICATOR` provider.
 */
@Injectable()
export class BearerAuthGuard implements CanActivate {
  constructor(@Inject(TOKEN_AUTHENTICATOR) private readonly authenticator: TokenAuthenticator) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const request = context.switchToHttp().getRequest<AuthenticatedRequest>();
    const header = request.headers['authorization'];
    if (header === undefined || header === '') throw new UnauthorizedError('missing bearer token: send Authorization: Bearer <token>');
    const match = typeof header === 'string' ? BEARER.exec(header.trim()) : null;
    if (!match) throw new UnauthorizedError('malformed Authorization header: expected Bearer <token>');
    const principal = await this.authenticator.authenticate(match[1]!);
    if (!principal) throw new UnauthorizedError('invalid or revoked token');
    request.principal = principal;
    return true;
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
