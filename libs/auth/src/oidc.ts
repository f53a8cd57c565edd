import { createRemoteJWKSet, errors as joseErrors, jwtVerify, type JWTPayload } from 'jose';

/** Sign-in with OpenID Connect (docs/architecture.md §8), from the SLUICE_OIDC_* settings. */
export interface OidcSettings {
  readonly issuer: string;
  /** The audience an ID token must name: the client the people sign in with (dashboard, CLI). */
  readonly clientId: string;
  readonly teamsClaim: string;
  /** group → team; null: a group whose name is a team name (a DNS label) is that team. */
  readonly groupTeams: ReadonlyMap<string, string> | null;
  readonly adminGroups: readonly string[];
  readonly usernameClaim: string;
}

/** The settings oidcSettingsOf reads. */
export type OidcConfigKey =
  | 'SLUICE_OIDC_ISSUER'
  | 'SLUICE_OIDC_CLIENT_ID'
  | 'SLUICE_OIDC_TEAMS_CLAIM'
  | 'SLUICE_OIDC_GROUP_TEAMS'
  | 'SLUICE_OIDC_ADMIN_GROUPS'
  | 'SLUICE_OIDC_USERNAME_CLAIM';

export function oidcSettingsOf(config: {
  readonly SLUICE_OIDC_ISSUER?: string;
  readonly SLUICE_OIDC_CLIENT_ID?: string;
  readonly SLUICE_OIDC_TEAMS_CLAIM?: string;
  readonly SLUICE_OIDC_GROUP_TEAMS?: readonly string[];
  readonly SLUICE_OIDC_ADMIN_GROUPS?: readonly string[];
  readonly SLUICE_OIDC_USERNAME_CLAIM?: string;
}): OidcSettings | null {
  if (!config.SLUICE_OIDC_ISSUER || !config.SLUICE_OIDC_CLIENT_ID) return null;
  return {
    issuer: config.SLUICE_OIDC_ISSUER,
    clientId: config.SLUICE_OIDC_CLIENT_ID,
    teamsClaim: config.SLUICE_OIDC_TEAMS_CLAIM ?? 'groups',
    groupTeams: config.SLUICE_OIDC_GROUP_TEAMS ? new Map(config.SLUICE_OIDC_GROUP_TEAMS.map((pair) => pair.split('=') as [string, string])) : null,
    adminGroups: config.SLUICE_OIDC_ADMIN_GROUPS ?? [],
    usernameClaim: config.SLUICE_OIDC_USERNAME_CLAIM ?? 'email',
  };
}

/** A person an ID token names: who, the teams their groups make them a member of, and whether they are an admin. */
export interface OidcIdentity {
  readonly person: string;
  readonly teams: readonly string[];
  readonly admin: boolean;
}

const TEAM = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const JWT = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/;

export const OIDC_VERIFIER = Symbol('OIDC_VERIFIER');

/**
 * Verifies ID tokens of the configured issuer as Kubernetes' API server does: signature by a
 * key of the issuer's JWKS (found through its discovery document, cached, refetched on an
 * unknown key id), `iss`, `aud` = the client id, `exp`/`nbf` with a minute of clock skew.
 * Sluice's own tokens (`sl_…`, the admin token) never look like a JWT, so both kinds coexist.
 */
export class OidcVerifier {
  private keys: ReturnType<typeof createRemoteJWKSet> | null = null;

  constructor(readonly settings: OidcSettings) {}

  /** Whether `token` is for this verifier (three base64url parts) rather than a Sluice token. */
  handles(token: string): boolean {
    return JWT.test(token);
  }

  /** The identity of a valid ID token; null for any token that is not (never why: that is for the log). */
  async verify(token: string): Promise<OidcIdentity | null> {
    let payload: JWTPayload;
    try {
      ({ payload } = await jwtVerify(token, await this.jwks(), { issuer: this.settings.issuer, audience: this.settings.clientId, clockTolerance: 60 }));
    } catch (error) {
      if (error instanceof joseErrors.JOSEError) return null;
      throw error; // the issuer unreachable: a fault, not a bad token
    }
    const person = stringClaim(payload, this.settings.usernameClaim) ?? payload.sub;
    if (!person) return null;
    const groups = listClaim(payload, this.settings.teamsClaim);
    const teams = [...new Set(groups.map((g) => (this.settings.groupTeams ? this.settings.groupTeams.get(g) : TEAM.test(g) ? g : undefined)).filter((t): t is string => !!t))].sort();
    return { person, teams, admin: groups.some((g) => this.settings.adminGroups.includes(g)) };
  }

  private async jwks(): Promise<ReturnType<typeof createRemoteJWKSet>> {
    if (this.keys) return this.keys;
    const discovery = `${this.settings.issuer.replace(/\/$/, '')}/.well-known/openid-configuration`;
    const res = await fetch(discovery, { signal: AbortSignal.timeout(10_000) });
    if (!res.ok) throw new Error(`OIDC discovery ${discovery} answered ${res.status}`);
    const { jwks_uri: jwksUri, issuer } = (await res.json()) as { jwks_uri?: string; issuer?: string };
    if (issuer !== this.settings.issuer) throw new Error(`OIDC discovery names the issuer "${issuer}", not SLUICE_OIDC_ISSUER "${this.settings.issuer}"`);
    if (!jwksUri) throw new Error(`OIDC discovery ${discovery} has no jwks_uri`);
    this.keys = createRemoteJWKSet(new URL(jwksUri), { timeoutDuration: 10_000, cooldownDuration: 30_000 });
    return this.keys;
  }
}

function stringClaim(payload: JWTPayload, claim: string): string | undefined {
  const value = payload[claim];
  return typeof value === 'string' && value.length > 0 ? value : undefined;
}

function listClaim(payload: JWTPayload, claim: string): string[] {
  const value = payload[claim];
  if (typeof value === 'string') return [value];
  return Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string') : [];
}
