import { timingSafeEqual, createHash } from 'node:crypto';
import { Inject, Injectable, Optional, type CanActivate, type ExecutionContext } from '@nestjs/common';
import { UnauthorizedError } from '@sluice/platform';

/** The admin token the read API accepts (SLUICE_ADMIN_TOKEN). */
export const ADMIN_TOKEN = Symbol('COMMIT_STATUS_ADMIN_TOKEN');

/**
 * `Authorization: Bearer <SLUICE_ADMIN_TOKEN>`. Team tokens are autodeploy's; until they are
 * shared, commit statuses are readable by the admin only. Compared in constant time.
 */
@Injectable()
export class AdminTokenGuard implements CanActivate {
  private readonly expected: Buffer | null;

  constructor(@Optional() @Inject(ADMIN_TOKEN) token?: string) {
    this.expected = token ? digest(token) : null;
  }

  canActivate(context: ExecutionContext): boolean {
    const req = context.switchToHttp().getRequest<{ headers: Record<string, string | undefined> }>();
    const header = req.headers.authorization ?? '';
    const m = /^Bearer\s+(\S+)\s*$/i.exec(header);
    if (!m) throw new UnauthorizedError('a bearer token is required');
    if (!this.expected || !timingSafeEqual(digest(m[1]), this.expected)) throw new UnauthorizedError('invalid token');
    return true;
  }
}

function digest(s: string): Buffer {
  return createHash('sha256').update(s).digest();
}
