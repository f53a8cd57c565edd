import { timingSafeEqual, createHash } from 'node:crypto';
import { CanActivate, ExecutionContext, Inject, Injectable } from '@nestjs/common';
import { ForbiddenError, UnauthorizedError } from '@sluice/platform';

export const REPO_SYNC_AUTH = Symbol('REPO_SYNC_AUTH');

export interface RepoSyncAuthOptions {
  /** The admin bearer token (SLUICE_ADMIN_TOKEN). Unset: every request is refused. */
  readonly adminToken?: string;
}

export type Caller = { readonly kind: 'admin' };

const digest = (s: string) => createHash('sha256').update(s).digest();

/**
 * Bearer auth of the repo read API. Known shortcut: only the admin token exists so far;
 * team tokens are issued by autodeploy (`POST /api/admin/tokens`) and will be accepted
 * for reading once their verification is shared. Comparison is constant-time.
 */
export function authenticate(header: string | undefined, options: RepoSyncAuthOptions): Caller {
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header ?? '');
  if (!match) throw new UnauthorizedError('a bearer token is required');
  if (options.adminToken && timingSafeEqual(digest(match[1]), digest(options.adminToken))) return { kind: 'admin' };
  throw new UnauthorizedError('unknown token');
}

@Injectable()
export class ReaderGuard implements CanActivate {
  constructor(@Inject(REPO_SYNC_AUTH) private readonly options: RepoSyncAuthOptions) {}
  canActivate(context: ExecutionContext): boolean {
    const req = context.switchToHttp().getRequest<{ headers: Record<string, string | undefined>; caller?: Caller }>();
    req.caller = authenticate(req.headers.authorization, this.options);
    return true;
  }
}

@Injectable()
export class AdminGuard implements CanActivate {
  constructor(@Inject(REPO_SYNC_AUTH) private readonly options: RepoSyncAuthOptions) {}
  canActivate(context: ExecutionContext): boolean {
    const req = context.switchToHttp().getRequest<{ headers: Record<string, string | undefined>; caller?: Caller }>();
    const caller = authenticate(req.headers.authorization, this.options);
    if (caller.kind !== 'admin') throw new ForbiddenError('admin token required');
    req.caller = caller;
    return true;
  }
}
