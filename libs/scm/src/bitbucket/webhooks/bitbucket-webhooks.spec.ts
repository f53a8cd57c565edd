import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { BitbucketEventPayloads, bitbucketWebhookRequest } from '@sluice/fake-scm';
import { BitbucketWebhooks } from './bitbucket-webhooks';

const SECRETS = ['bitbucket-secret-one-0123', 'bitbucket-secret-two-0123'];
const reader = (headers: Record<string, string>) => (name: string) => headers[name];

describe('BitbucketWebhooks', () => {
  const bitbucket = new BitbucketWebhooks(SECRETS);
  const { event, payload } = new BitbucketEventPayloads().push({ fullName: 'acme/app' }, { before: null, after: { sha: 'a'.repeat(40) } });

  it('reads X-Event-Key, X-Request-UUID and X-Hub-Signature, and verifies the HMAC of the exact bytes with any configured secret', () => {
    for (const secret of SECRETS) {
      const req = bitbucketWebhookRequest({ event, payload, secret });
      const reading = bitbucket.read(reader(req.headers));
      assert.ok(reading.ok);
      if (!reading.ok) return;
      assert.deepEqual([reading.headers.event, reading.headers.deliveryId], ['repo:push', req.deliveryId]);
      assert.equal(bitbucket.verify(Buffer.from(req.body), reading.headers), true);
      assert.equal(bitbucket.verify(Buffer.from(`${req.body} `), reading.headers), false);
    }
    const forged = bitbucketWebhookRequest({ event, payload, secret: 'not-the-secret-at-all-000' });
    const reading = bitbucket.read(reader(forged.headers));
    assert.equal(reading.ok && bitbucket.verify(Buffer.from(forged.body), reading.headers), false);
  });

  it('takes a delivery UUID in braces, names missing headers, refuses bad ones', () => {
    const braced = bitbucket.read(reader({ 'x-event-key': 'repo:push', 'x-request-uuid': '{0b5d4d1e-0000-4000-8000-000000000000}', 'x-hub-signature': 's' }));
    assert.equal(braced.ok && braced.headers.deliveryId, '0b5d4d1e-0000-4000-8000-000000000000');
    assert.deepEqual(bitbucket.read(reader({})), { ok: false, missing: ['X-Event-Key', 'X-Request-UUID', 'X-Hub-Signature'] });
    assert.deepEqual(bitbucket.read(reader({ 'x-event-key': 'push', 'x-request-uuid': 'u', 'x-hub-signature': 's' })), { ok: false, bad: 'X-Event-Key is not an event name' });
    assert.deepEqual(bitbucket.read(reader({ 'x-event-key': 'repo:push', 'x-request-uuid': 'a b', 'x-hub-signature': 's' })), { ok: false, bad: 'X-Request-UUID is not a delivery id' });
  });
});
