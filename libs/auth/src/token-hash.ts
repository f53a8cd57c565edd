import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

/** Tokens are stored as their SHA-256; a stolen table does not yield usable tokens. */
export function hashToken(token: string): Buffer {
  return createHash('sha256').update(token, 'utf8').digest();
}

/** Compares two tokens in constant time (both hashed first, so lengths never leak through timing). */
export function tokensEqual(presented: string, expected: string): boolean {
  return timingSafeEqual(hashToken(presented), hashToken(expected));
}

/** Compares a presented token with a stored hash in constant time. */
export function matchesHash(presented: string, storedHash: Buffer): boolean {
  const hash = hashToken(presented);
  return storedHash.length === hash.length && timingSafeEqual(hash, storedHash);
}

const TOKEN_PATTERN = /^sl_([0-9a-f]{16})_([A-Za-z0-9_-]{43})$/;

/** `sl_<id>_<secret>`: the id finds the stored row, the secret (256 bits) is what proves possession. */
export function newTeamToken(): { id: string; token: string } {
  const id = randomBytes(8).toString('hex');
  return { id, token: `sl_${id}_${randomBytes(32).toString('base64url')}` };
}

export function tokenId(token: string): string | null {
  return TOKEN_PATTERN.exec(token)?.[1] ?? null;
}
