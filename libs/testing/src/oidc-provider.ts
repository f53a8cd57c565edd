import { createHash, randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import Provider, { type Configuration } from 'oidc-provider';

/** People the provider knows: login → their groups (email is `<login>@example.com`). */
export type OidcPeople = Readonly<Record<string, { readonly groups: readonly string[] }>>;

export interface TestOidcProvider {
  /** The issuer URL, exactly as its ID tokens name it. */
  readonly issuer: string;
  readonly clientId: string;
  /**
   * What a browser does at a client's authorization URL: signs `login` in (the login form,
   * consent if asked) and returns where the provider finally sends it — the client's redirect
   * URI with the code — without going there.
   */
  signIn(authorizeUrl: string, login: string): Promise<URL>;
  /** Signs `login` in through the authorization code flow with PKCE, as a browser would, and returns the ID token. */
  idTokenFor(login: string): Promise<string>;
  stop(): Promise<void>;
}

const REDIRECT_URI = 'http://127.0.0.1/callback';

/**
 * A real OpenID Connect provider (the `oidc-provider` package, certified) on a loopback port:
 * a public client `clientId` using the authorization code flow with PKCE, its development
 * login form (any password), first-party grants without a consent screen, and the
 * `groups` claim in ID tokens. `extraRedirectUris`: where the dashboard or the CLI listen
 * (loopback URIs match any port, RFC 8252 §7.3). `corsOrigins`: the browser origins that may call
 * the token endpoint with fetch (a single-page app such as the dashboard); none by default.
 */
export async function startOidcProvider(
  people: OidcPeople,
  options: { clientId?: string; extraRedirectUris?: readonly string[]; corsOrigins?: RegExp } = {},
): Promise<TestOidcProvider> {
  const clientId = options.clientId ?? 'sluice';
  const server: Server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const configuration: Configuration = {
    clients: [
      {
        client_id: clientId,
        token_endpoint_auth_method: 'none',
        application_type: 'native',
        redirect_uris: [REDIRECT_URI, ...(options.extraRedirectUris ?? [])],
        grant_types: ['authorization_code', 'refresh_token'],
        response_types: ['code'],
      },
    ],
    clientBasedCORS: (_ctx, origin, client) => client.clientId === clientId && options.corsOrigins !== undefined && options.corsOrigins.test(origin),
    claims: { openid: ['sub'], email: ['email', 'email_verified'], groups: ['groups'] },
    scopes: ['openid', 'email', 'groups', 'offline_access'],
    conformIdTokenClaims: false,
    pkce: { required: () => true },
    features: { devInteractions: { enabled: true } },
    cookies: { keys: [randomBytes(16).toString('hex')] },
    async findAccount(_ctx, id) {
      const person = people[id];
      if (!person) return undefined;
      return { accountId: id, claims: async () => ({ sub: id, email: `${id}@example.com`, email_verified: true, groups: [...person.groups] }) };
    },
    // First-party client: every scope and claim it asks for is granted without a consent screen.
    async loadExistingGrant(ctx) {
      const grantId = ctx.oidc.result?.consent?.grantId ?? ctx.oidc.session!.grantIdFor(ctx.oidc.client!.clientId);
      if (grantId) return ctx.oidc.provider.Grant.find(grantId);
      const grant = new ctx.oidc.provider.Grant({ clientId: ctx.oidc.client!.clientId, accountId: ctx.oidc.session!.accountId! });
      grant.addOIDCScope('openid email groups offline_access');
      grant.addOIDCClaims(['email', 'email_verified', 'groups']);
      await grant.save();
      return grant;
    },
  };
  const provider = new Provider(issuer, configuration);
  provider.on('server_error', (_ctx: unknown, error: Error) => process.stderr.write(`# OIDC provider: ${error.stack}\n`));
  server.on('request', provider.callback());

  const test: TestOidcProvider = {
    issuer,
    clientId,
    async signIn(authorizeUrl, login) {
      const jar = new Map<string, string>();
      const go = async (url: string, init: RequestInit = {}): Promise<Response> => {
        const res = await fetch(new URL(url, issuer), { ...init, redirect: 'manual', headers: { ...init.headers, cookie: [...jar].map(([k, v]) => `${k}=${v}`).join('; ') } });
        for (const line of res.headers.getSetCookie()) {
          const [pair] = line.split(';');
          const [name, value] = pair!.split(/=(.*)/s);
          jar.set(name!, value ?? '');
        }
        return res;
      };
      let res = await go(authorizeUrl);
      // authorize → login form (→ consent) → resume → the client's redirect URI with the code
      for (let hop = 0; hop < 8; hop++) {
        const location = res.headers.get('location');
        if (!location) throw new Error(`OIDC sign-in of ${login} stopped at ${res.status}: ${(await res.text()).slice(0, 300)}`);
        const next = new URL(location, issuer);
        if (next.origin !== issuer) return next;
        if (next.pathname.startsWith('/interaction/')) {
          const page = await (await go(next.href)).text();
          const prompt = /name="prompt" value="(\w+)"/.exec(page)?.[1] ?? 'login';
          res = await go(next.href, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams({ prompt, login, password: 'any' }).toString() });
        } else {
          res = await go(next.href);
        }
      }
      throw new Error(`OIDC sign-in of ${login}: too many redirects`);
    },
    async idTokenFor(login) {
      const verifier = randomBytes(32).toString('base64url');
      const auth = new URL('/auth', issuer);
      auth.search = new URLSearchParams({
        client_id: clientId,
        response_type: 'code',
        scope: 'openid email groups',
        redirect_uri: REDIRECT_URI,
        code_challenge: createHash('sha256').update(verifier).digest('base64url'),
        code_challenge_method: 'S256',
        state: randomBytes(8).toString('hex'),
      }).toString();
      const callback = await test.signIn(auth.href, login);
      const code = callback.searchParams.get('code');
      if (!code) throw new Error(`OIDC sign-in of ${login}: no code in ${callback.href}`);
      const token = await fetch(new URL('/token', issuer), {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ grant_type: 'authorization_code', code, redirect_uri: REDIRECT_URI, client_id: clientId, code_verifier: verifier }).toString(),
      });
      const body = (await token.json()) as { id_token?: string; error?: string; error_description?: string };
      if (!body.id_token) throw new Error(`OIDC token exchange for ${login}: ${token.status} ${body.error}: ${body.error_description}`);
      return body.id_token;
    },
    stop: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
  return test;
}
