import assert from 'node:assert/strict';
import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, it } from 'node:test';
import { call } from '../spec-support';
import { FakeGitHub } from './fake-github';
import { examplePayload, githubWebhookRequest, signWebhook } from './webhooks';
import { Webhooks } from '@octokit/webhooks';


/** The verification webhook-ingest relies on. */
async function verify(secret: string, body: string, signature: string): Promise<boolean> {
  return new Webhooks({ secret }).verify(body, signature);
}

describe('GitHub webhook helpers', () => {
  it('signWebhook matches GitHub\'s documented test vector', () => {
    // https://docs.github.com/webhooks/using-webhooks/validating-webhook-deliveries#testing-the-webhook-payload-validation
    assert.equal(signWebhook("It's a Secret to Everybody", 'Hello, World!'), 'sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17');
  });

  it('githubWebhookRequest builds headers and raw body that @octokit/webhooks verifies', async () => {
    const payload = examplePayload('push');
    const req = githubWebhookRequest({ event: 'push', payload, secret: 's3cret', deliveryId: 'd-1' });
    assert.equal(req.headers['x-github-event'], 'push');
    assert.equal(req.headers['x-github-delivery'], 'd-1');
    assert.equal(await verify('s3cret', req.body, req.headers['x-hub-signature-256']), true);
    assert.equal(await verify('other', req.body, req.headers['x-hub-signature-256']), false);
  });

  it('examplePayload returns real payloads by event and action, as copies', () => {
    const run = examplePayload<{ action: string; workflow_run: { conclusion: string } }>('workflow_run', 'completed', 1);
    assert.equal(run.action, 'completed');
    assert.equal(run.workflow_run.conclusion, 'success');
    const push = examplePayload<{ ref: string; after: string }>('push');
    assert.match(push.ref, /^refs\//);
    push.ref = 'changed';
    assert.notEqual(examplePayload<{ ref: string }>('push').ref, 'changed');
    assert.throws(() => examplePayload('workflow_run', 'exploded'), /actions with examples: .*completed/);
    assert.throws(() => examplePayload('no_such_event'), /no example payloads/);
  });
});

describe('FakeGitHub webhook deliveries', () => {
  it('lists seeded deliveries and redelivers a failed one, signed, to the configured loopback target', async () => {
    const received: { headers: IncomingHttpHeaders; body: string }[] = [];
    const target = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        received.push({ headers: req.headers, body: Buffer.concat(chunks).toString('utf8') });
        res.writeHead(202).end();
      });
    });
    await new Promise<void>((r) => target.listen(0, '127.0.0.1', r));
    const gh = new FakeGitHub({ webhookTarget: `http://127.0.0.1:${(target.address() as AddressInfo).port}/webhooks/github`, webhookSecret: 'whsec' });
    await gh.start();
    try {
      gh.seed.repo({ owner: 'acme', name: 'config' });
      const payload = examplePayload('push');
      gh.seed.delivery('acme/config', { hookId: 7, event: 'push', payload, status_code: 200 });
      const failed = gh.seed.delivery('acme/config', { hookId: 7, event: 'push', payload, status_code: 502 });
      const list = await call(gh.url, 'GET', '/repos/acme/config/hooks/7/deliveries', { headers: { authorization: 'token t' } });
      assert.equal(list.status, 200);
      assert.deepEqual(list.body.map((d: { status_code: number }) => d.status_code), [502, 200]);

      const redo = await call(gh.url, 'POST', `/repos/acme/config/hooks/7/deliveries/${failed.id}/attempts`, { headers: { authorization: 'token t' } });
      assert.equal(redo.status, 202);
      await gh.settled();
      assert.equal(received.length, 1);
      assert.equal(received[0].headers['x-github-event'], 'push');
      assert.equal(received[0].headers['x-github-delivery'], failed.guid);
      assert.equal(await verify('whsec', received[0].body, String(received[0].headers['x-hub-signature-256'])), true);
      assert.deepEqual(JSON.parse(received[0].body), payload);
      assert.equal(failed.attempts[0].status_code, 202);
      const after = await call(gh.url, 'GET', '/repos/acme/config/hooks/7/deliveries', { headers: { authorization: 'token t' } });
      assert.equal(after.body[0].redelivery, true);
      assert.equal(after.body[0].guid, failed.guid);
      assert.equal(after.body[0].status_code, 202);
      assert.equal((await call(gh.url, 'POST', '/repos/acme/config/hooks/7/deliveries/1/attempts', { headers: { authorization: 'token t' } })).status, 404);
    } finally {
      await gh.stop();
      await new Promise((r) => target.close(r));
    }
  });

  it('refuses a webhook target outside loopback', () => {
    assert.throws(() => new FakeGitHub({ webhookTarget: 'http://10.0.0.1/hook' }), /loopback/);
  });
});
