import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { EncodedJson } from '@sluice/contracts';
import { decodeEnvelope, encodeEnvelope } from './envelope-codec';
import { envelope } from './test-support';

describe('envelope codec', () => {
  const data = { repo: 'acme/web', commits: [{ id: 'a'.repeat(40), message: 'say "hi"\n\\ ünïcode ✓' }], n: 1.5, none: null };

  it('encodes data kept as its stored JSON text exactly as it encodes the value itself', () => {
    const plain = envelope('repo-acme/web', 3, data);
    const encoded = encodeEnvelope({ ...plain, data: new EncodedJson(JSON.stringify(data)) });
    assert.deepEqual(JSON.parse(encoded), JSON.parse(encodeEnvelope(plain)));
    const decoded = decodeEnvelope(Buffer.from(encoded));
    assert.ok(decoded.ok);
    assert.deepEqual(decoded.envelope, plain);
  });

  it('serialises EncodedJson like its value anywhere else', () => {
    assert.equal(JSON.stringify({ d: new EncodedJson('{"a":[1,2]}') }), '{"d":{"a":[1,2]}}');
  });
});
