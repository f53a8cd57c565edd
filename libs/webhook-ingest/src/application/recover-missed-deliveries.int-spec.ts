import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { examplePayload, FakeGitHub } from '@sluice/fake-scm';
import { GitHubScm } from '@sluice/scm';
import { waitUntil } from '@sluice/testing';
import { RecoveryScheduler } from '../adapters/scm/recovery.scheduler';
import { freePort, post, SECRETS, startWebhookApp, type WebhookTestApp } from '../test/webhook-app';

describe('missed-webhook recovery', () => {
  let fake: FakeGitHub;
  let t: WebhookTestApp;
  const repo = 'Codertocat/Hello-World';
  const hook = { kind: 'repo' as const, repo, hookId: 9 };

  before(async () => {
    const port = await freePort();
    fake = new FakeGitHub({ webhookTarget: `http://127.0.0.1:${port}/webhooks/github`, webhookSecret: SECRETS[1] });
    await fake.start();
    fake.seed.repo({ owner: 'Codertocat', name: 'Hello-World', defaultBranch: 'master' });
    const scm = new GitHubScm({ baseUrl: fake.url, credentials: { kind: 'token', token: 't' } });
    t = await startWebhookApp({ port, recovery: { hooks: scm, hook, intervalMs: 0 } });
  });
  after(async () => {
    await t?.close();
    await fake?.stop();
  });

  const count = async (id: string) =>
    Number((await t.dataSource.query(`SELECT count(*)::int AS n FROM webhook_ingest.deliveries WHERE delivery_id = $1`, [id]))[0].n);

  it('redelivers failed deliveries not stored, once; leaves stored and successful ones alone', async () => {
    const payload = examplePayload('push', undefined, 4);
    const missed = fake.seed.delivery(repo, { hookId: 9, event: 'push', payload, status_code: 502 });
    const timedOutButStored = fake.seed.delivery(repo, { hookId: 9, event: 'push', payload, status_code: 0 });
    const fine = fake.seed.delivery(repo, { hookId: 9, event: 'push', payload, status_code: 202 });
    const otherHook = fake.seed.delivery(repo, { hookId: 10, event: 'push', payload, status_code: 500 });
    // webhook-ingest stored this one although GitHub gave up waiting for the answer.
    const body = JSON.stringify(payload);
    assert.equal((await post(t.url, { event: 'push', id: timedOutButStored.guid, body })).body.result, 'accepted');

    const scheduler = t.app.get(RecoveryScheduler);
    await scheduler.runNow();
    await fake.settled();
    await waitUntil(async () => (await count(missed.guid)) === 1, { timeoutMs: 10_000 });

    assert.equal(missed.attempts.length, 1, 'the missed delivery was redelivered');
    assert.equal(timedOutButStored.attempts.length, 0);
    assert.equal(fine.attempts.length, 0);
    assert.equal(otherHook.attempts.length, 0, 'only the configured hook is examined');
    assert.equal(await count(fine.guid), 0);

    // A second run asks for nothing again.
    await scheduler.runNow();
    await fake.settled();
    assert.equal(missed.attempts.length, 1);
    const [row] = await t.dataSource.query(`SELECT outcome FROM webhook_ingest.redeliveries WHERE guid = $1`, [missed.guid]);
    assert.equal(row.outcome, 'requested');
  });

  it('a failed redelivery request is released and retried on the next run', async () => {
    const missed = fake.seed.delivery(repo, { hookId: 9, event: 'push', payload: examplePayload('push', undefined, 4), status_code: 503, guid: randomUUID() });
    fake.injectFailure({ status: 422, times: 1, path: /\/attempts$/ });
    const scheduler = t.app.get(RecoveryScheduler);
    await scheduler.runNow();
    assert.equal((await t.dataSource.query(`SELECT count(*)::int AS n FROM webhook_ingest.redeliveries WHERE guid = $1`, [missed.guid]))[0].n, 0);
    await scheduler.runNow();
    await fake.settled();
    await waitUntil(async () => (await count(missed.guid)) === 1, { timeoutMs: 10_000 });
  });
});
