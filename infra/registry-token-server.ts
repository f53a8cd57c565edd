/*
 * The token server of the test registry (infra/registry.sh): Docker's token-auth flow, served
 * on loopback. `GET /token?service=…&scope=repository:<name>:<actions>[&scope=…]`:
 *
 * - with the right Basic credentials: a JWT granting every requested action among pull, push
 *   and delete (the one user owns every repository);
 * - without credentials: a JWT granting nothing, as Docker Hub answers for a private
 *   repository — the registry then refuses the request with 401 again;
 * - with wrong credentials: 401.
 *
 * The JWT is signed RS256 with the key whose self-signed certificate is the registry's
 * `rootcertbundle`. distribution 2.8 finds the verifying key by the header's `kid`, which it
 * reads as the libtrust fingerprint of a key in that bundle (registry/auth/token/token.go,
 * VerifySigningKey), so the fingerprint is computed here the way libtrust does.
 *
 *   node --require @swc-node/register infra/registry-token-server.ts \
 *     --key <pem> --users <file with user:password> --issuer <iss> --service <aud> \
 *     --port <port, 0 for any> --port-file <file written once listening>
 *
 * Logs one JSON line per request; never a password or a token.
 */
import { createHash, createPrivateKey, createPublicKey, randomUUID, timingSafeEqual, type KeyObject } from 'node:crypto';
import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { parseArgs } from 'node:util';
import { SignJWT } from 'jose';

const TOKEN_LIFETIME_SECONDS = 300;
const GRANTABLE = new Set(['pull', 'push', 'delete']);

interface Access {
  readonly type: string;
  readonly name: string;
  readonly actions: string[];
}

const { values: args } = parseArgs({
  options: {
    key: { type: 'string' },
    users: { type: 'string' },
    issuer: { type: 'string' },
    service: { type: 'string' },
    port: { type: 'string', default: '0' },
    'port-file': { type: 'string' },
  },
});
const required = (name: keyof typeof args): string => {
  const value = args[name];
  if (typeof value !== 'string' || value === '') {
    console.error(`registry-token-server: --${name} is required`);
    process.exit(2);
  }
  return value;
};

const privateKey = createPrivateKey(readFileSync(required('key')));
const keyId = libtrustKeyId(createPublicKey(privateKey));
const issuer = required('issuer');
const service = required('service');
const [user, password] = splitOnce(readFileSync(required('users'), 'utf8').trim(), ':');
const portFile = required('port-file');

/**
 * libtrust's key id: SHA-256 of the DER (PKIX) public key, cut to 240 bits, base32 without
 * padding, in 12 groups of 4 joined by ':' (docker/libtrust util.go, keyIDFromCryptoKey).
 */
function libtrustKeyId(publicKey: KeyObject): string {
  const der = publicKey.export({ type: 'spki', format: 'der' });
  const encoded = base32(createHash('sha256').update(der).digest().subarray(0, 30));
  return encoded.match(/.{1,4}/g)!.join(':');
}

function base32(bytes: Uint8Array): string {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
  let bits = 0;
  let value = 0;
  let out = '';
  for (const byte of bytes) {
    value = (value << 8) | byte;
    bits += 8;
    while (bits >= 5) {
      out += alphabet[(value >>> (bits - 5)) & 31];
      bits -= 5;
    }
  }
  if (bits > 0) out += alphabet[(value << (5 - bits)) & 31];
  return out;
}

function splitOnce(s: string, sep: string): [string, string] {
  const i = s.indexOf(sep);
  return i < 0 ? [s, ''] : [s.slice(0, i), s.slice(i + 1)];
}

/** Constant-time comparison of two secrets of any length. */
function sameSecret(a: string, b: string): boolean {
  return timingSafeEqual(createHash('sha256').update(a).digest(), createHash('sha256').update(b).digest());
}

/** `repository:acme/billing:pull,push` → {type, name, actions}; the name may hold no ':' but a registry host's port does not occur in it. */
function parseScope(scope: string): Access | null {
  const first = scope.indexOf(':');
  const last = scope.lastIndexOf(':');
  if (first <= 0 || last === first) return null;
  return { type: scope.slice(0, first), name: scope.slice(first + 1, last), actions: scope.slice(last + 1).split(',').filter(Boolean) };
}

type Caller = { kind: 'anonymous' } | { kind: 'user'; name: string } | { kind: 'refused' };

function caller(req: IncomingMessage): Caller {
  const header = req.headers.authorization;
  if (!header) return { kind: 'anonymous' };
  const [scheme, encoded] = splitOnce(header, ' ');
  if (scheme.toLowerCase() !== 'basic') return { kind: 'refused' };
  const [name, secret] = splitOnce(Buffer.from(encoded.trim(), 'base64').toString('utf8'), ':');
  return sameSecret(name, user) && sameSecret(secret, password) ? { kind: 'user', name } : { kind: 'refused' };
}

function send(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  res.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store', ...headers });
  res.end(JSON.stringify(body));
}

async function handle(req: IncomingMessage, res: ServerResponse): Promise<Record<string, unknown>> {
  const url = new URL(req.url ?? '/', 'http://token-server');
  if (req.method === 'GET' && url.pathname === '/healthz') {
    send(res, 200, { ok: true });
    return { status: 200 };
  }
  if (req.method !== 'GET' || url.pathname !== '/token') {
    send(res, 404, { errors: [{ code: 'NOT_FOUND', message: 'GET /token only' }] });
    return { status: 404 };
  }
  const requestedService = url.searchParams.get('service');
  const scopes = url.searchParams.getAll('scope').flatMap((s) => s.split(' ')).filter(Boolean);
  if (requestedService !== service) {
    send(res, 400, { errors: [{ code: 'DENIED', message: `unknown service; this server issues tokens for ${service}` }] });
    return { status: 400, service: requestedService, scopes };
  }
  const who = caller(req);
  if (who.kind === 'refused') {
    send(res, 401, { errors: [{ code: 'UNAUTHORIZED', message: 'incorrect username or password' }] }, { 'www-authenticate': `Basic realm="${service}"` });
    return { status: 401, scopes };
  }
  const access: Access[] = [];
  if (who.kind === 'user') {
    for (const scope of scopes) {
      const parsed = parseScope(scope);
      if (!parsed) {
        send(res, 400, { errors: [{ code: 'DENIED', message: 'malformed scope' }] });
        return { status: 400, scopes };
      }
      if (parsed.type === 'repository') {
        const actions = parsed.actions.includes('*') ? [...GRANTABLE] : parsed.actions.filter((a) => GRANTABLE.has(a));
        access.push({ ...parsed, actions });
      } else if (parsed.type === 'registry' && parsed.name === 'catalog') {
        access.push({ ...parsed, actions: ['*'] });
      }
    }
  }
  const now = Math.floor(Date.now() / 1000);
  const token = await new SignJWT({ access })
    .setProtectedHeader({ alg: 'RS256', typ: 'JWT', kid: keyId })
    .setIssuer(issuer)
    .setSubject(who.kind === 'user' ? who.name : '')
    .setAudience(service)
    .setIssuedAt(now)
    .setNotBefore(now)
    .setExpirationTime(now + TOKEN_LIFETIME_SECONDS)
    .setJti(randomUUID())
    .sign(privateKey);
  send(res, 200, { token, access_token: token, expires_in: TOKEN_LIFETIME_SECONDS, issued_at: new Date(now * 1000).toISOString() });
  return { status: 200, user: who.kind === 'user' ? who.name : null, scopes, granted: access.map((a) => `${a.type}:${a.name}:${a.actions.join(',')}`) };
}

const server = createServer((req, res) => {
  const started = Date.now();
  handle(req, res)
    .catch((err: unknown) => {
      if (!res.headersSent) send(res, 500, { errors: [{ code: 'UNKNOWN', message: 'token server error' }] });
      return { status: 500, error: (err as Error).message };
    })
    .then((entry) => {
      console.log(JSON.stringify({ time: new Date().toISOString(), method: req.method, path: (req.url ?? '').split('?')[0], ms: Date.now() - started, ...entry }));
    });
});

server.listen(Number(args.port), '127.0.0.1', () => {
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  // Written once listening, and atomically: registry.sh reads it to configure the registry's realm.
  writeFileSync(`${portFile}.tmp`, `${port}\n`);
  renameSync(`${portFile}.tmp`, portFile);
  console.log(JSON.stringify({ time: new Date().toISOString(), msg: 'listening', port, kid: keyId, issuer, service }));
});

for (const signal of ['SIGTERM', 'SIGINT'] as const) {
  process.on(signal, () => {
    server.close(() => process.exit(0));
    server.closeAllConnections();
  });
}
