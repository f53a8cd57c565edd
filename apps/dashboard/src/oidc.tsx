// Sign-in with the OpenID Connect provider Sluice names (GET /api/auth/oidc): the authorization
// code flow with PKCE (S256) from the browser, as a public client, like `sluice login --oidc`
// (apps/cli/src/oidc-login.ts). The ID token is what the API verifies, so it is the bearer token.
// No library: WebCrypto makes the verifier and challenge; the API checks the token's signature.

export interface OidcSettings {
  readonly issuer: string;
  readonly clientId: string;
  readonly scopes: readonly string[];
  readonly teamsClaim: string;
}

/** Where the provider sends the browser back (registered at the provider as a redirect URI). */
export const CALLBACK_PATH = '/auth/callback';
const PENDING_KEY = 'sluice.oidc.pending';

interface Pending {
  readonly issuer: string;
  readonly clientId: string;
  readonly tokenEndpoint: string;
  readonly verifier: string;
  readonly state: string;
}

const base64url = (bytes: Uint8Array): string => btoa(String.fromCharCode(...bytes)).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
const randomText = (): string => base64url(crypto.getRandomValues(new Uint8Array(32)));
const redirectUri = (): string => `${window.location.origin}${CALLBACK_PATH}`;
export const issuerHost = (issuer: string): string => new URL(issuer).host;

async function discover(issuer: string): Promise<{ authorization_endpoint: string; token_endpoint: string }> {
  const res = await fetch(`${issuer.replace(/\/$/, '')}/.well-known/openid-configuration`);
  if (!res.ok) throw new Error(`cannot read the OpenID Connect provider ${issuer}: ${res.status} ${res.statusText}`);
  const doc = (await res.json()) as { issuer?: string; authorization_endpoint?: string; token_endpoint?: string };
  if (doc.issuer !== issuer) throw new Error(`the OpenID Connect provider names the issuer "${doc.issuer}", not "${issuer}"`);
  if (!doc.authorization_endpoint || !doc.token_endpoint) throw new Error(`the OpenID Connect provider ${issuer} names no authorization or token endpoint`);
  return { authorization_endpoint: doc.authorization_endpoint, token_endpoint: doc.token_endpoint };
}

/** Sends the browser to the provider's sign-in; the verifier and state wait in sessionStorage for the callback. */
export async function startOidcSignIn(settings: OidcSettings): Promise<void> {
  const endpoints = await discover(settings.issuer);
  const verifier = randomText();
  const state = randomText();
  const challenge = base64url(new Uint8Array(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(verifier))));
  const pending: Pending = { issuer: settings.issuer, clientId: settings.clientId, tokenEndpoint: endpoints.token_endpoint, verifier, state };
  sessionStorage.setItem(PENDING_KEY, JSON.stringify(pending));
  const url = new URL(endpoints.authorization_endpoint);
  url.search = new URLSearchParams({
    client_id: settings.clientId,
    response_type: 'code',
    scope: settings.scopes.join(' '),
    redirect_uri: redirectUri(),
    code_challenge: challenge,
    code_challenge_method: 'S256',
    state,
  }).toString();
  window.location.assign(url.href);
}

/** At the callback: checks `state`, exchanges the code for tokens, and returns the ID token. */
export async function finishOidcSignIn(callback: URL): Promise<string> {
  const stored = sessionStorage.getItem(PENDING_KEY);
  sessionStorage.removeItem(PENDING_KEY);
  const error = callback.searchParams.get('error');
  if (error) throw new Error(`the OpenID Connect provider refused the sign-in: ${error}${callback.searchParams.has('error_description') ? `: ${callback.searchParams.get('error_description')}` : ''}`);
  if (!stored) throw new Error('no sign-in was started in this tab: sign in again');
  const pending = JSON.parse(stored) as Pending;
  if (callback.searchParams.get('state') !== pending.state) throw new Error('the sign-in answer does not match the sign-in this tab started (state): sign in again');
  const code = callback.searchParams.get('code');
  if (!code) throw new Error('the OpenID Connect provider sent no authorization code');
  const res = await fetch(pending.tokenEndpoint, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
    body: new URLSearchParams({ grant_type: 'authorization_code', code, redirect_uri: redirectUri(), client_id: pending.clientId, code_verifier: pending.verifier }).toString(),
  });
  const body = (await res.json().catch(() => ({}))) as { id_token?: string; error?: string; error_description?: string };
  if (!res.ok || !body.id_token) throw new Error(`the OpenID Connect provider did not issue an ID token: ${res.status} ${body.error ?? ''}${body.error_description ? `: ${body.error_description}` : ''}`);
  return body.id_token;
}

export interface Identity {
  /** Who, as a person reads it: name, else email, else subject. */
  readonly who: string;
  readonly issuer: string;
  /** When the token stops being accepted (ms since the epoch). */
  readonly expiresAt: number | null;
}

/**
 * The person an ID token names, read without verifying it: only to show who is signed in and
 * when that ends; the API verifies the token on every request. Null for Sluice's own tokens.
 */
export function identityOf(token: string): Identity | null {
  const parts = token.split('.');
  if (parts.length !== 3) return null;
  try {
    const json = atob(parts[1]!.replace(/-/g, '+').replace(/_/g, '/'));
    const claims = JSON.parse(new TextDecoder().decode(Uint8Array.from(json, (c) => c.charCodeAt(0)))) as Record<string, unknown>;
    const text = (key: string): string | undefined => (typeof claims[key] === 'string' && claims[key] ? (claims[key] as string) : undefined);
    return { who: text('name') ?? text('email') ?? text('sub') ?? 'unknown', issuer: text('iss') ?? '', expiresAt: typeof claims['exp'] === 'number' ? claims['exp'] * 1000 : null };
  } catch {
    return null;
  }
}
