import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { describe, it } from 'node:test';
import { SignatureVerifier } from './signature';

const sign = (secret: string, body: Buffer | string) => `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`;
const bytes = (text: string) => Buffer.from(text, 'utf8');

describe('SignatureVerifier', () => {
  it("accepts GitHub's documented test vector", () => {
    // https://docs.github.com/en/webhooks/using-webhooks/validating-webhook-deliveries#testing-the-webhook-payload-validation
    const verifier = new SignatureVerifier(["It's a Secret to Everybody"]);
    const vector = 'sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17';
    assert.equal(verifier.verify(bytes('Hello, World!'), vector), true);
    assert.equal(verifier.verify(bytes('Hello, World?'), vector), false);
  });

  it('accepts a signature by any configured secret (rotation) and rejects others', () => {
    const verifier = new SignatureVerifier(['old-secret', 'new-secret']);
    const body = bytes('{"a":1}');
    assert.equal(verifier.verify(body, sign('old-secret', body)), true);
    assert.equal(verifier.verify(body, sign('new-secret', body)), true);
    assert.equal(verifier.verify(body, sign('other', body)), false);
  });

  it('signs the exact bytes: a body that is not valid UTF-8 is checked as received, not as decoded text', () => {
    const verifier = new SignatureVerifier(['s3cret']);
    const raw = Buffer.concat([bytes('{"ref":"a'), Buffer.from([0xff, 0xfe]), bytes('b"}')]);
    const reencoded = Buffer.from(raw.toString('utf8'), 'utf8');
    assert.notDeepEqual(reencoded, raw, 'decoding changes these bytes');
    assert.equal(verifier.verify(raw, sign('s3cret', raw)), true);
    assert.equal(verifier.verify(raw, sign('s3cret', reencoded)), false);
  });

  it('rejects malformed signatures without throwing', () => {
    const verifier = new SignatureVerifier(['s']);
    const x = bytes('x');
    for (const bad of ['', 'sha256=', 'sha1=abc', `sha256=${'z'.repeat(64)}`, sign('s', x).toUpperCase(), `${sign('s', x)}00`, ` ${sign('s', x)}`]) {
      assert.equal(verifier.verify(x, bad), false, bad);
    }
  });

  it('refuses to be built without a secret', () => {
    assert.throws(() => new SignatureVerifier([]));
  });
});
