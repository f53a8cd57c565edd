import { decodeJwt } from 'jose';

/** Who an ID token names (email, else subject), for telling the person; never a verification: Sluice does that. */
export function personOf(idToken: string): string {
  const claims = decodeJwt(idToken);
  return typeof claims['email'] === 'string' ? claims['email'] : (claims.sub ?? 'unknown');
}
