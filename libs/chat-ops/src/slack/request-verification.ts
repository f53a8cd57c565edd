import { createHmac, timingSafeEqual } from 'node:crypto';

/** Slack's replay window: a request whose timestamp is older (or this far in the future) is refused. */
export const SLACK_MAX_SKEW_SECONDS = 5 * 60;

export type SlackVerification =
  | { readonly ok: true }
  | { readonly ok: false; readonly reason: 'missing-headers' | 'bad-timestamp' | 'stale' | 'bad-signature'; readonly message: string };

/**
 * Verifies a request Slack sent (slash command, interactivity): `X-Slack-Signature` is `v0=` and
 * the hex HMAC-SHA256 of `v0:{X-Slack-Request-Timestamp}:{raw body}` under a signing secret. Several
 * secrets are accepted (rotation); every comparison is constant-time; a timestamp outside
 * `SLACK_MAX_SKEW_SECONDS` of `nowMs` is refused (a replay). Pure: the caller reads the raw bytes
 * and the headers (lower-case names), and answers 401 on a refusal without reading the body.
 */
export function verifySlackRequest(input: {
  readonly rawBody: Buffer;
  readonly headers: Readonly<Record<string, string | string[] | undefined>>;
  readonly signingSecrets: readonly string[];
  readonly nowMs: number;
}): SlackVerification {
  const timestamp = single(input.headers['x-slack-request-timestamp']);
  const signature = single(input.headers['x-slack-signature']);
  if (!timestamp || !signature) return refuse('missing-headers', 'X-Slack-Request-Timestamp and X-Slack-Signature are required');
  if (!/^\d{1,12}$/.test(timestamp)) return refuse('bad-timestamp', 'X-Slack-Request-Timestamp must be Unix seconds');
  if (Math.abs(Math.floor(input.nowMs / 1000) - Number(timestamp)) > SLACK_MAX_SKEW_SECONDS) {
    return refuse('stale', `the request is more than ${SLACK_MAX_SKEW_SECONDS / 60} minutes old (or ahead): refused as a replay`);
  }
  const given = /^v0=[0-9a-f]{64}$/.test(signature) ? Buffer.from(signature.slice(3), 'hex') : null;
  if (given) {
    const base = Buffer.concat([Buffer.from(`v0:${timestamp}:`), input.rawBody]);
    for (const secret of input.signingSecrets) {
      const expected = createHmac('sha256', secret).update(base).digest();
      if (timingSafeEqual(expected, given)) return { ok: true };
    }
  }
  return refuse('bad-signature', 'X-Slack-Signature does not match the body under any configured signing secret');
}

/** The signature Slack would send (fakes and tests). */
export function signSlackRequest(rawBody: Buffer | string, secret: string, timestampSeconds: number): Record<string, string> {
  const body = typeof rawBody === 'string' ? Buffer.from(rawBody) : rawBody;
  const digest = createHmac('sha256', secret).update(Buffer.concat([Buffer.from(`v0:${timestampSeconds}:`), body])).digest('hex');
  return { 'x-slack-request-timestamp': String(timestampSeconds), 'x-slack-signature': `v0=${digest}` };
}

function single(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? (value.length === 1 ? value[0] : undefined) : value;
}

function refuse(reason: Exclude<SlackVerification, { ok: true }>['reason'], message: string): SlackVerification {
  return { ok: false, reason, message };
}
