import { z } from 'zod';

/**
 * Events on `sluice.auth.v1` (key: stream `auth-token-<id>`), appended by autodeploy when
 * an admin issues or revokes a team token, so that every other service can verify team
 * tokens from a projection of its own. Never the token itself: only its SHA-256.
 */

/** The id part of a team token `sl_<id>_<secret>`. */
export const tokenId = z.string().regex(/^[0-9a-f]{16}$/, 'a token id (16 lowercase hex characters)');

export const tokenIssuedV1 = z.object({
  id: tokenId,
  team: z.string().min(1),
  /** SHA-256 of the token, lowercase hex. */
  tokenHash: z.string().regex(/^[0-9a-f]{64}$/, 'a SHA-256 as 64 lowercase hex characters'),
  /** Who issued it: `admin`. */
  createdBy: z.string().min(1),
});

export const tokenRevokedV1 = z.object({
  id: tokenId,
  /** Who revoked it: `admin`. */
  revokedBy: z.string().min(1),
});
