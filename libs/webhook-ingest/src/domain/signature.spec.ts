import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { describe, it } from 'node:test';
import { SignatureVerifier } from './signature';

const sign = (secret: string, body: string) => `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`;

describe('SignatureVerifier', () => {
  it("accepts GitHub's documented test vector", async () => {
    // https://docs.github.com/en/webhooks/using-webhooks/validating-webhook-deliveries#testing-the-webhook-payload-validation
    const verifier = new SignatureVerifier(["It's a Secret to Everybody"]);
    assert.equal(
      await verifier.verify('Hello, World!', 'sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17'),
      true,
    );
    assert.equal(
      await verifier.verify('Hello, World?', 'sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17'),
      false,
    );
  });

  it('accepts a signature by any configured secret (rotation) and rejects others', async () => {
    const verifier = new SignatureVerifier(['old-secret', 'new-secret']);
    assert.equal(await verifier.verify('{"a":1}', sign('old-secret', '{"a":1}')), true);
    assert.equal(await verifier.verify('{"a":1}', sign('new-secret', '{"a":1}')), true);
    assert.equal(await verifier.verify('{"a":1}', sign('other', '{"a":1}')), false);
  });

  it('rejects malformed signatures without throwing', async () => {
    const verifier = new SignatureVerifier(['s']);
    for (const bad of ['', 'sha256=', 'sha1=abc', `sha256=${'z'.repeat(64)}`, sign('s', 'x').toUpperCase(), `${sign('s', 'x')}00`]) {
      assert.equal(await verifier.verify('x', bad), false, bad);
    }
  });

  it('refuses to be built without a secret', () => {
    assert.throws(() => new SignatureVerifier([]));
  });
});
