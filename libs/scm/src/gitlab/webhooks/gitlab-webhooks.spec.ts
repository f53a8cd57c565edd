import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { GitLabEventPayloads, gitlabWebhookRequest } from '@sluice/fake-scm';
import { webhookProviders } from '../../webhooks/registry';
import { GitLabWebhooks } from './gitlab-webhooks';
import { TokenVerifier } from './token';

const TOKENS = ['gitlab-token-one-0123456789', 'gitlab-token-two-0123456789'];
const reader = (headers: Record<string, string>) => (name: string) => headers[name];

describe('GitLabWebhooks', () => {
  const gitlab = new GitLabWebhooks(TOKENS);
  const { event, payload } = new GitLabEventPayloads().push({ id: 1, path: 'acme/app' }, { after: 'a'.repeat(40) });

  it('reads X-Gitlab-Event, X-Gitlab-Event-UUID and X-Gitlab-Token, as the fake sends them', () => {
    const req = gitlabWebhookRequest({ event, payload, token: TOKENS[0] });
    const reading = gitlab.read(reader(req.headers));
    assert.deepEqual(reading, { ok: true, headers: { event: 'Push Hook', deliveryId: req.deliveryId, credential: TOKENS[0] } });
  });

  it('takes Idempotency-Key when X-Gitlab-Event-UUID is absent', () => {
    const reading = gitlab.read(reader({ 'x-gitlab-event': 'Push Hook', 'idempotency-key': 'f0e1d2c3-0000-4000-8000-000000000000', 'x-gitlab-token': 't' }));
    assert.equal(reading.ok && reading.headers.deliveryId, 'f0e1d2c3-0000-4000-8000-000000000000');
  });

  it('names the missing headers, and refuses a bad event name or delivery id', () => {
    assert.deepEqual(gitlab.read(reader({})), { ok: false, missing: ['X-Gitlab-Event', 'X-Gitlab-Event-UUID', 'X-Gitlab-Token'] });
    assert.deepEqual(gitlab.read(reader({ 'x-gitlab-event': 'Push Hook<script>', 'x-gitlab-event-uuid': 'u-1', 'x-gitlab-token': 't' })), { ok: false, bad: 'X-Gitlab-Event is not an event name' });
    assert.deepEqual(gitlab.read(reader({ 'x-gitlab-event': 'Push Hook', 'x-gitlab-event-uuid': '../../etc', 'x-gitlab-token': 't' })), { ok: false, bad: 'X-Gitlab-Event-UUID is not a delivery id' });
  });

  it('verifies the token against every configured token, and nothing else', () => {
    const raw = Buffer.from('{}');
    const headers = (credential: string) => ({ event: 'Push Hook', deliveryId: 'd', credential });
    assert.equal(gitlab.verify(raw, headers(TOKENS[0]!)), true);
    assert.equal(gitlab.verify(raw, headers(TOKENS[1]!)), true);
    assert.equal(gitlab.verify(raw, headers(`${TOKENS[0]}x`)), false);
    assert.equal(gitlab.verify(raw, headers(TOKENS[0]!.slice(0, -1))), false);
    assert.equal(gitlab.verify(raw, headers('')), false);
    assert.throws(() => new TokenVerifier([]), /at least one/);
  });

  it('is registered only when GitLab tokens are configured', () => {
    assert.deepEqual([...webhookProviders({ github: ['g'.repeat(20)] }).keys()], ['github']);
    assert.deepEqual([...webhookProviders({ github: ['g'.repeat(20)], gitlab: TOKENS, bitbucket: ['b'.repeat(20)] }).keys()], ['github', 'gitlab', 'bitbucket']);
    assert.deepEqual([...webhookProviders({ gitlab: [] }).keys()], []);
  });
});
