import type { Principal } from './principal';

/** Resolves a presented bearer token to its principal; null when it is not a valid token. */
export interface TokenAuthenticator {
  authenticate(token: string): Promise<Principal | null>;
}

export const TOKEN_AUTHENTICATOR = Symbol('TOKEN_AUTHENTICATOR');
