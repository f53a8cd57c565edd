import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { signSlackRequest, verifySlackRequest } from './request-verification';

// Slack's documented example ("Verifying requests from Slack").
const EXAMPLE = {
  secret: '8f742231b10e8888abcd99yyyzzz85a5',
  timestamp: 1531420618,
  body: 'token=xyzz0WbapA4vBCDEFasx0q6G&team_id=T1DC2JH3J&team_domain=testteamnow&channel_id=G8PSS9T3V&channel_name=foobar&user_id=U2CERLKJA&user_name=roadrunner&command=%2Fwebhook-collect&text=&response_url=https%3A%2F%2Fhooks.slack.com%2Fcommands%2FT1DC2JH3J%2F397700885554%2F96rGlfmibIGlgcZRskXaIFfN&trigger_id=398738663015.47445629121.803a0bc887a14d10d2c447fce8b6703c',
  signature: 'v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503',
};
const at = (seconds: number) => seconds * 1000;

describe('verifySlackRequest', () => {
  it("accepts Slack's documented example request", () => {
    const result = verifySlackRequest({
      rawBody: Buffer.from(EXAMPLE.body),
      headers: { 'x-slack-request-timestamp': String(EXAMPLE.timestamp), 'x-slack-signature': EXAMPLE.signature },
      signingSecrets: [EXAMPLE.secret],
      nowMs: at(EXAMPLE.timestamp + 10),
    });
    assert.deepEqual(result, { ok: true });
  });

  it('accepts any of several signing secrets (rotation) and signs as Slack does', () => {
    const headers = signSlackRequest('text=billing-api+main', 'new-secret', 1_800_000_000);
    assert.deepEqual(verifySlackRequest({ rawBody: Buffer.from('text=billing-api+main'), headers, signingSecrets: ['old-secret', 'new-secret'], nowMs: at(1_800_000_000) }), { ok: true });
  });

  it('refuses a changed body, another secret, a malformed signature and missing headers', () => {
    const headers = signSlackRequest('text=a', 'secret', 1_800_000_000);
    const verify = (body: string, h: Record<string, string>, secrets = ['secret']) => verifySlackRequest({ rawBody: Buffer.from(body), headers: h, signingSecrets: secrets, nowMs: at(1_800_000_000) });
    assert.equal((verify('text=b', headers) as { reason: string }).reason, 'bad-signature');
    assert.equal((verify('text=a', headers, ['other']) as { reason: string }).reason, 'bad-signature');
    assert.equal((verify('text=a', { ...headers, 'x-slack-signature': 'v1=abc' }) as { reason: string }).reason, 'bad-signature');
    assert.equal((verify('text=a', { 'x-slack-signature': headers['x-slack-signature']! }) as { reason: string }).reason, 'missing-headers');
    assert.equal((verify('text=a', { ...headers, 'x-slack-request-timestamp': 'yesterday' }) as { reason: string }).reason, 'bad-timestamp');
  });

  it('refuses a timestamp more than 5 minutes old or ahead (a replay), even correctly signed', () => {
    const headers = signSlackRequest('text=a', 'secret', 1_800_000_000);
    const verify = (nowSeconds: number) => verifySlackRequest({ rawBody: Buffer.from('text=a'), headers, signingSecrets: ['secret'], nowMs: at(nowSeconds) });
    assert.deepEqual(verify(1_800_000_000 + 300), { ok: true });
    assert.equal((verify(1_800_000_000 + 301) as { reason: string }).reason, 'stale');
    assert.equal((verify(1_800_000_000 - 301) as { reason: string }).reason, 'stale');
  });
});
