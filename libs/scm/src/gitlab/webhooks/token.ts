import { createHash, timingSafeEqual } from 'node:crypto';

/**
 * Checks GitLab's `X-Gitlab-Token` (a shared secret sent as is, not a signature) against each
 * configured token (several during a rotation). Both sides are hashed first, so the comparison
 * is of equal lengths and in constant time: the time taken tells neither the token's length, nor
 * how much of it matched, nor which token did.
 */
export class TokenVerifier {
  private readonly digests: readonly Buffer[];

  constructor(tokens: readonly string[]) {
    if (tokens.length === 0) throw new Error('TokenVerifier: at least one webhook token is required');
    this.digests = tokens.map(digest);
  }

  verify(presented: string): boolean {
    const candidate = digest(presented);
    let matched = false;
    for (const expected of this.digests) matched = timingSafeEqual(candidate, expected) || matched;
    return matched;
  }
}

function digest(token: string): Buffer {
  return createHash('sha256').update(token, 'utf8').digest();
}
