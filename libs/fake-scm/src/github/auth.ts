import { createSign, createVerify, generateKeyPairSync, type KeyObject } from 'node:crypto';

export type AuthScheme = 'token' | 'bearer' | 'basic' | 'none' | 'other';

export interface Credentials {
  readonly scheme: AuthScheme;
  readonly credential: string;
}

export function parseAuthorization(header: string | undefined): Credentials {
  if (!header) return { scheme: 'none', credential: '' };
  const m = /^(\S+)\s+(.+)$/.exec(header.trim());
  if (!m) return { scheme: 'other', credential: '' };
  const scheme = m[1].toLowerCase();
  if (scheme === 'token' || scheme === 'bearer' || scheme === 'basic') return { scheme, credential: m[2] };
  return { scheme: 'other', credential: m[2] };
}

export function looksLikeJwt(value: string): boolean {
  return /^eyJ[\w-]*\.[\w-]+\.[\w-]+$/.test(value);
}

function b64url(data: Buffer | string): string {
  return Buffer.from(data).toString('base64url');
}

export interface AppJwtClaims {
  readonly iss: string;
  readonly iat: number;
  readonly exp: number;
}

export class JwtError extends Error {}

/**
 * Verifies a GitHub App JWT the way GitHub does: RS256 signature with the app's public key,
 * `iss` = app id, `iat` not in the future (60 s skew), `exp` in the future and at most
 * 10 minutes after `iat`.
 */
export function verifyAppJwt(jwt: string, publicKey: string | KeyObject, appId: string | number, nowMs: number): AppJwtClaims {
  const parts = jwt.split('.');
  if (parts.length !== 3) throw new JwtError('A JSON web token could not be decoded');
  let header: { alg?: string };
  let claims: { iss?: unknown; iat?: unknown; exp?: unknown };
  try {
    header = JSON.parse(Buffer.from(parts[0], 'base64url').toString('utf8'));
    claims = JSON.parse(Buffer.from(parts[1], 'base64url').toString('utf8'));
  } catch {
    throw new JwtError('A JSON web token could not be decoded');
  }
  if (header.alg !== 'RS256') throw new JwtError(`'alg' must be RS256, got ${String(header.alg)}`);
  const verifier = createVerify('RSA-SHA256');
  verifier.update(`${parts[0]}.${parts[1]}`);
  if (!verifier.verify(publicKey, Buffer.from(parts[2], 'base64url'))) {
    throw new JwtError('A JSON web token could not be decoded');
  }
  const now = Math.floor(nowMs / 1000);
  if (String(claims.iss) !== String(appId)) throw new JwtError(`'Issuer' claim ('iss') must be an Integer or String for the app id ${String(appId)}`);
  if (typeof claims.iat !== 'number' || claims.iat > now + 60) throw new JwtError("'Issued at' claim ('iat') must be an Integer representing a time in the past.");
  if (typeof claims.exp !== 'number' || claims.exp <= now) throw new JwtError("'Expiration time' claim ('exp') must be a numeric value representing the future time at which the assertion expires.");
  if (claims.exp - claims.iat > 600) throw new JwtError("'Expiration time' claim ('exp') is too far in the future.");
  return { iss: String(claims.iss), iat: claims.iat, exp: claims.exp };
}

export interface AppCredentials {
  readonly appId: number;
  readonly privateKey: string;
  readonly publicKey: string;
}

/** A fresh RSA key pair for a test GitHub App (PKCS#1 private key, as GitHub hands them out). */
export function createAppCredentials(appId = 4242): AppCredentials {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', {
    modulusLength: 2048,
    privateKeyEncoding: { type: 'pkcs1', format: 'pem' },
    publicKeyEncoding: { type: 'spki', format: 'pem' },
  });
  return { appId, privateKey, publicKey };
}

/** Signs an App JWT (iat 60 s in the past, exp 9 minutes ahead, like @octokit/auth-app). */
export function signAppJwt(options: { appId: number | string; privateKey: string; nowMs?: number; expiresInSeconds?: number }): string {
  const now = Math.floor((options.nowMs ?? Date.now()) / 1000);
  const header = b64url(JSON.stringify({ alg: 'RS256', typ: 'JWT' }));
  const payload = b64url(JSON.stringify({ iat: now - 60, exp: now + (options.expiresInSeconds ?? 540), iss: options.appId }));
  const signer = createSign('RSA-SHA256');
  signer.update(`${header}.${payload}`);
  return `${header}.${payload}.${b64url(signer.sign(options.privateKey))}`;
}
