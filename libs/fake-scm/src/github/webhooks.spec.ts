/* eslint-disable @typescript-eslint/no-explicit-any -- webhook payloads are checked against their JSON schemas */
import assert from 'node:assert/strict';
import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, it } from 'node:test';
import { call } from '../spec-support';
import { FakeGitHub } from './fake-github';
import { examplePayload, githubWebhookRequest, signWebhook } from './webhooks';
import { Webhooks } from '@octokit/webhooks';
import Ajv from 'ajv';
import addFormats from 'ajv-formats';

// eslint-disable-next-line @typescript-eslint/no-require-imports -- a JSON document
const webhookSchemas = require('@octokit/webhooks-schemas') as { definitions: object };
const ajv = new Ajv({ strict: false, allErrors: true });
addFormats(ajv);
// Only the definitions: the document's root `oneOf` over every event would compile them all (~20 s).
ajv.addSchema({ $id: 'wh', definitions: webhookSchemas.definitions });

/** Validates a payload against @octokit/webhooks-schemas' definition for `name` (e.g. push$event). */
function payloadIssues(name: string, payload: unknown): string[] {
  const validate = ajv.compile({ $ref: `wh#/definitions/${name}` });
  return validate(payload) ? [] : (validate.errors ?? []).map((e) => `${e.instancePath} ${e.message}`);
}


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

describe('FakeGitHub event payloads', () => {
  const gh = new FakeGitHub();
  gh.seed.repo({ owner: 'acme', name: 'config' });
  const c1 = gh.seed.commit('acme/config', { message: 'one', files: { 'deploy/a/deploy.yaml': 'team: a\n', 'README.md': 'x' } });
  const c2 = gh.seed.commit('acme/config', { message: 'two', files: { 'deploy/a/deploy.yaml': 'team: b\n', 'deploy/b/deploy.yaml': 'team: b\n', 'README.md': null } });

  it('push: refs, commits and added/modified/removed from the seeded history; valid per the webhook schema', () => {
    const p = gh.events.push('acme/config') as any;
    assert.equal(p.ref, 'refs/heads/main');
    assert.equal(p.before, c1);
    assert.equal(p.after, c2);
    assert.equal(p.repository.full_name, 'acme/config');
    assert.deepEqual(p.commits.map((c: any) => c.id), [c2]);
    assert.deepEqual(p.head_commit.added, ['deploy/b/deploy.yaml']);
    assert.deepEqual(p.head_commit.modified, ['deploy/a/deploy.yaml']);
    assert.deepEqual(p.head_commit.removed, ['README.md']);
    assert.deepEqual(payloadIssues('push$event', p), []);
    const created = gh.events.push('acme/config', { before: '0'.repeat(40) }) as any;
    assert.equal(created.created, true);
    assert.deepEqual(created.commits.map((c: any) => c.id), [c1, c2]);
  });

  it('workflow_run completed and status payloads are valid per the webhook schemas', () => {
    const run = gh.events.workflowRun('acme/config', { sha: c2, name: 'build', conclusion: 'failure' }) as any;
    assert.equal(run.action, 'completed');
    assert.equal(run.workflow_run.head_sha, c2);
    assert.equal(run.workflow_run.head_branch, 'main');
    assert.equal(run.workflow_run.conclusion, 'failure');
    assert.equal(run.repository.full_name, 'acme/config');
    assert.deepEqual(payloadIssues('workflow_run$completed', run), []);
    const status = gh.events.status('acme/config', { sha: c2, state: 'success', context: 'ci' }) as any;
    assert.deepEqual(status.branches.map((b: any) => b.name), ['main']);
    assert.deepEqual(payloadIssues('status$event', status), []);
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

  it('deliverWebhook sends a signed event to the target and records the delivery', async () => {
    const received: IncomingHttpHeaders[] = [];
    const target = createServer((req, res) => {
      received.push(req.headers);
      req.resume();
      req.on('end', () => res.writeHead(202, { 'content-type': 'application/json' }).end('{"result":"accepted"}'));
    });
    await new Promise<void>((r) => target.listen(0, '127.0.0.1', r));
    const gh = new FakeGitHub({ webhookTarget: `http://127.0.0.1:${(target.address() as AddressInfo).port}/webhooks/github`, webhookSecret: 'whsec' });
    try {
      gh.seed.repo({ owner: 'acme', name: 'config' });
      gh.seed.commit('acme/config', { message: 'one', files: { a: 'a' } });
      const res = await gh.deliverWebhook('acme/config', { event: 'push', payload: gh.events.push('acme/config') });
      assert.equal(res.status, 202);
      assert.equal(JSON.parse(res.body).result, 'accepted');
      assert.equal(received[0]['x-github-delivery'], res.deliveryId);
      assert.deepEqual(gh.deliveries('acme/config').map((d) => [d.guid, d.status_code]), [[res.deliveryId, 202]]);
    } finally {
      await gh.stop();
      await new Promise((r) => target.close(r));
    }
  });

  it('refuses a webhook target outside loopback', () => {
    assert.throws(() => new FakeGitHub({ webhookTarget: 'http://10.0.0.1/hook' }), /loopback/);
  });
});
