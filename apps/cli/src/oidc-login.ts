import { once } from 'node:events';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import * as oidc from 'openid-client';
import { ok, sluiceClient } from './client';
import { CommandFailed } from './errors';
import type { Settings } from './settings';

const LOOPBACK = new Set(['127.0.0.1', 'localhost', '[::1]']);
const SIGN_IN_LIMIT_MS = 5 * 60_000;

/**
 * Signs a person in with the OpenID Connect provider Sluice names (`GET /api/auth/oidc`): the
 * authorization code flow with PKCE, the redirect caught on a loopback port of this machine
 * (RFC 8252); `tell` shows the address to open in a browser. Returns the ID token, which the
 * API takes as a bearer token.
 */
export async function signInWithOidc(settings: Settings, tell: (text: string) => void): Promise<string> {
  const { oidc: how } = await ok(sluiceClient({ ...settings, token: null }, { anonymous: true }).GET('/api/auth/oidc'));
  if (!how) throw new CommandFailed(`${settings.url} does not offer sign-in with OpenID Connect (SLUICE_OIDC_ISSUER is not set there)`);
  const issuer = new URL(how.issuer);
  // Plain http only to a provider on this machine (a development setup); anywhere else, https.
  const insecure = issuer.protocol === 'http:' && LOOPBACK.has(issuer.hostname);
  let config: oidc.Configuration;
  try {
    config = await oidc.discovery(issuer, how.clientId, undefined, undefined, insecure ? { execute: [oidc.allowInsecureRequests] } : undefined);
  } catch (error) {
    throw new CommandFailed(`cannot read the OpenID Connect provider ${how.issuer}: ${(error as Error).message}`);
  }

  const server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const redirectUri = `http://127.0.0.1:${(server.address() as AddressInfo).port}/callback`;
  try {
    const verifier = oidc.randomPKCECodeVerifier();
    const state = oidc.randomState();
    const authorize = oidc.buildAuthorizationUrl(config, {
      redirect_uri: redirectUri,
      scope: how.scopes.join(' '),
      code_challenge: await oidc.calculatePKCECodeChallenge(verifier),
      code_challenge_method: 'S256',
      state,
    });
    tell(`Open this address in a browser to sign in (waiting ${SIGN_IN_LIMIT_MS / 60_000} minutes):\n${authorize.href}\n`);
    const callback = await new Promise<URL>((resolve, reject) => {
      const limit = setTimeout(() => reject(new CommandFailed('no sign-in within 5 minutes')), SIGN_IN_LIMIT_MS);
      server.on('request', (req, res) => {
        const url = new URL(req.url ?? '/', redirectUri);
        if (url.pathname !== '/callback') {
          res.writeHead(404).end();
          return;
        }
        const failed = url.searchParams.get('error');
        res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(`<!doctype html><title>Sluice</title><p>${failed ? 'Sign-in failed; see the terminal.' : 'Signed in to Sluice: you can close this window.'}</p>`);
        clearTimeout(limit);
        resolve(url);
      });
    });
    try {
      const tokens = await oidc.authorizationCodeGrant(config, callback, { pkceCodeVerifier: verifier, expectedState: state });
      if (!tokens.id_token) throw new CommandFailed(`${how.issuer} returned no ID token`);
      return tokens.id_token;
    } catch (error) {
      if (error instanceof CommandFailed) throw error;
      throw new CommandFailed(`sign-in failed: ${(error as Error).message}`);
    }
  } finally {
    server.close();
  }
}
