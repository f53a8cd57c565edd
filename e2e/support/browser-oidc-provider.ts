// A real OpenID Connect provider (the certified `oidc-provider` package) for a browser app that
// signs in as a public client: the dashboard exchanges the code at the token endpoint with fetch,
// which the provider allows only for origins its `clientBasedCORS` accepts. @sluice/testing's
// provider serves the CLI (no CORS); this one adds CORS for the dashboard's origin and lets the
// browser go through the provider's own login page.
import { randomBytes } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import Provider, { type Configuration } from 'oidc-provider';

export interface BrowserOidcProvider {
  readonly issuer: string;
  readonly clientId: string;
  stop(): Promise<void>;
}

const LOOPBACK_ORIGIN = /^http:\/\/127\.0\.0\.1:\d+$/;

/**
 * `people`: login → groups (email `<login>@example.com`). The client is public, uses the code
 * flow with PKCE, and may be sent back to `http://127.0.0.1:<any port><callbackPath>` (a loopback
 * redirect URI, RFC 8252 §7.3); fetch from any loopback origin may call the token endpoint.
 */
export async function startBrowserOidcProvider(people: Readonly<Record<string, { readonly groups: readonly string[] }>>, callbackPath: string, clientId = 'sluice-dashboard'): Promise<BrowserOidcProvider> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const configuration: Configuration = {
    clients: [{ client_id: clientId, token_endpoint_auth_method: 'none', application_type: 'native', redirect_uris: [`http://127.0.0.1${callbackPath}`], grant_types: ['authorization_code'], response_types: ['code'] }],
    clientBasedCORS: (_ctx, origin, client) => client.clientId === clientId && LOOPBACK_ORIGIN.test(origin),
    claims: { openid: ['sub'], email: ['email', 'email_verified'], groups: ['groups'] },
    scopes: ['openid', 'email', 'groups'],
    conformIdTokenClaims: false,
    pkce: { required: () => true },
    // The development login form: any password; a person the provider does not know is refused.
    features: { devInteractions: { enabled: true } },
    cookies: { keys: [randomBytes(16).toString('hex')] },
    async findAccount(_ctx, id) {
      const person = people[id];
      return person && { accountId: id, claims: async () => ({ sub: id, email: `${id}@example.com`, email_verified: true, groups: [...person.groups] }) };
    },
    // A first-party client: the scopes it asks for are granted without a consent screen.
    async loadExistingGrant(ctx) {
      const existing = ctx.oidc.result?.consent?.grantId ?? ctx.oidc.session!.grantIdFor(clientId);
      if (existing) return ctx.oidc.provider.Grant.find(existing);
      const grant = new ctx.oidc.provider.Grant({ clientId, accountId: ctx.oidc.session!.accountId! });
      grant.addOIDCScope('openid email groups');
      grant.addOIDCClaims(['email', 'email_verified', 'groups']);
      await grant.save();
      return grant;
    },
  };
  const provider = new Provider(issuer, configuration);
  provider.on('server_error', (_ctx: unknown, error: Error) => process.stderr.write(`# OIDC provider: ${error.stack}\n`));
  server.on('request', provider.callback());
  return { issuer, clientId, stop: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}
