import { newEvent } from '@sluice/contracts';
import { hashToken } from './token-hash';

/** One stream per team token: its issue and, later, its revocation (same key, so in order on the topic). */
export function tokenStream(id: string): string {
  return `auth-token-${id}`;
}

/** `auth.token.issued`: the token's id, team and SHA-256 (hex) — never the token. */
export function tokenIssuedEvent(token: { id: string; team: string; token: string; createdBy: string }) {
  return newEvent('auth.token.issued', { id: token.id, team: token.team, tokenHash: hashToken(token.token).toString('hex'), createdBy: token.createdBy });
}

export function tokenRevokedEvent(id: string, revokedBy: string) {
  return newEvent('auth.token.revoked', { id, revokedBy });
}
