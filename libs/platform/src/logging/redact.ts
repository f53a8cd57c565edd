/**
 * What never reaches a log line. Secret keys are censored by pino's `redact` at the top
 * level and in request headers (paths below), and at any depth in the final line (see
 * SECRET_FIELD for which values); secrets embedded in strings (a password in a
 * connection URL, a token in a query string, a PEM key in an error message) are scrubbed
 * from the final line too. No wildcard paths: pino's redaction costs ~2 µs per wildcard
 * path per line (45 µs a line for the 25 we had, more than the rest of a webhook's request
 * line), where the one pass over the final line costs about one.
 */
export const REDACTED = '[redacted]';

const SECRET_KEYS = [
  'authorization',
  'Authorization',
  'cookie',
  'password',
  'passphrase',
  'secret',
  'token',
  'accessToken',
  'access_token',
  'refreshToken',
  'apiKey',
  'privateKey',
  'private_key',
  'webhookSecret',
  'clientSecret',
  'GITHUB_TOKEN',
  'GITHUB_APP_PRIVATE_KEY',
  'GITHUB_WEBHOOK_SECRET',
  'SLUICE_ADMIN_TOKEN',
  'KAFKA_SASL_PASSWORD',
];

const SECRET_HEADERS = ['authorization', 'cookie', 'x-hub-signature', 'x-hub-signature-256', 'x-gitlab-token', 'x-slack-signature'];

function key(k: string): string {
  return /^[A-Za-z_$][A-Za-z0-9_$]*$/.test(k) ? `.${k}` : `["${k}"]`;
}

export const REDACT_PATHS: string[] = [
  ...SECRET_KEYS,
  ...SECRET_HEADERS.flatMap((h) => [`headers${key(h)}`, `req.headers${key(h)}`, `request.headers${key(h)}`]),
  `res.headers["set-cookie"]`,
];

const escapeRegExp = (text: string) => text.replace(/[.*+?^${}()|[\]\\-]/g, '\\$&');
const JSON_STRING = String.raw`"(?:[^"\\]|\\.)*"`;
/**
 * `"<secret key>": <value>` anywhere in a serialized line, where the value is a string,
 * number, boolean, or an array or object with no array or object inside it.
 */
const SECRET_FIELD = new RegExp(
  String.raw`("(?:${[...new Set([...SECRET_KEYS, ...SECRET_HEADERS, 'set-cookie'].map((k) => k.toLowerCase()))].map(escapeRegExp).join('|')})":)` +
    String.raw`(?:${JSON_STRING}|-?\d[\d.eE+-]*|true|false|\[(?:[^\][{}"]|${JSON_STRING})*\]|\{(?:[^\][{}"]|${JSON_STRING})*\})`,
  'gi',
);

const URL_CREDENTIALS = /([a-z][a-z0-9+.-]*:\/\/)([^\s:@/"'\\]*):([^\s@/"'\\]+)@/gi;
const QUERY_SECRET = /([?&](?:access_token|token|client_secret|secret|password|sig|signature)=)[^&\s"'\\]+/gi;
const BEARER = /(\b(?:Bearer|token|Basic)\s+)[A-Za-z0-9._~+/=-]{8,}/g;
const PEM = /-----BEGIN ([A-Z ]*)PRIVATE KEY-----[\s\S]*?-----END \1PRIVATE KEY-----/g;
const GITHUB_TOKEN = /\b(?:gh[pousr]_[A-Za-z0-9]{20,}|github_pat_[A-Za-z0-9_]{20,})\b/g;
/**
 * Sluice's own team tokens, `sl_<16 hex id>_<secret>` (libs/auth token-hash.ts; the format
 * is repeated here because platform may not depend on auth). The id stays: it names the
 * token in the admin API without proving anything, so a line can still say which token
 * was used. A truncated secret is censored too.
 */
const SLUICE_TOKEN = /(?<![A-Za-z0-9])(sl_[0-9a-f]{16}_)[A-Za-z0-9_-]+/g;

/** Scrubs secrets embedded in a string (a serialized log line, an error message). */
export function scrubSecrets(text: string): string {
  return text
    .replace(SECRET_FIELD, `$1"${REDACTED}"`)
    .replace(URL_CREDENTIALS, `$1$2:${REDACTED}@`)
    .replace(QUERY_SECRET, `$1${REDACTED}`)
    .replace(BEARER, `$1${REDACTED}`)
    .replace(PEM, REDACTED)
    .replace(GITHUB_TOKEN, REDACTED)
    .replace(SLUICE_TOKEN, `$1${REDACTED}`);
}
