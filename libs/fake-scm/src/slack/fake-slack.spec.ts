import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { WebClient, ErrorCode, type WebAPIPlatformError } from '@slack/web-api';
import { FakeSlack } from './fake-slack';
import { SlackApiDescription } from './slack-api';

describe('FakeSlack, driven by @slack/web-api', () => {
  const slack = new FakeSlack({ tokens: ['xoxb-good'], channelMessagesPerSecond: 2 });
  let client: WebClient;

  before(async () => {
    await slack.start();
    client = new WebClient('xoxb-good', { slackApiUrl: `${slack.url}/api/`, retryConfig: { retries: 0 }, rejectRateLimitedCalls: true });
  });
  after(() => slack.stop());

  it('answers auth.test, posts and updates a message, and shows an ephemeral one — every answer as Slack describes it', async () => {
    const auth = await client.auth.test();
    assert.equal(auth.team_id, slack.team.id);
    const posted = await client.chat.postMessage({ channel: 'C0DEPLOYS1', text: 'queued', blocks: [{ type: 'section', text: { type: 'mrkdwn', text: '*queued*' } }] });
    assert.match(posted.ts!, /^\d{10}\.\d{6}$/);
    const updated = await client.chat.update({ channel: 'C0DEPLOYS1', ts: posted.ts!, text: 'healthy' });
    assert.equal(updated.ts, posted.ts);
    assert.deepEqual(slack.messages('C0DEPLOYS1').map((m) => [m.text, m.updates]), [['healthy', 1]]);
    await client.chat.postEphemeral({ channel: 'C0DEPLOYS1', user: 'U0ALICE01', text: 'only you see this' });
    assert.deepEqual(slack.ephemerals('U0ALICE01').map((e) => e.text), ['only you see this']);
    assert.equal(slack.errors.length, 0, 'no answer drifted from the description');
  });

  it('refuses what Slack refuses: a bad token, an unknown argument, a message to update that does not exist', async () => {
    const bad = new WebClient('xoxb-bad', { slackApiUrl: `${slack.url}/api/`, retryConfig: { retries: 0 } });
    await assert.rejects(bad.auth.test(), (e: WebAPIPlatformError) => e.code === ErrorCode.PlatformError && e.data.error === 'invalid_auth');
    await assert.rejects(client.apiCall('chat.postMessage', { channel: 'C0DEPLOYS1', text: 'x', colour: 'red' }), (e: WebAPIPlatformError) => e.data.error === 'invalid_arg_name');
    await assert.rejects(client.chat.update({ channel: 'C0DEPLOYS1', ts: '1700000000.000001', text: 'x' }), (e: WebAPIPlatformError) => e.data.error === 'message_not_found');
  });

  it('limits a channel’s message rate with 429 and Retry-After', async () => {
    await client.chat.postMessage({ channel: 'C0BUSY0001', text: '1' });
    await client.chat.postMessage({ channel: 'C0BUSY0001', text: '2' });
    await assert.rejects(client.chat.postMessage({ channel: 'C0BUSY0001', text: '3' }), (e: { code: string; retryAfter: number }) => e.code === ErrorCode.RateLimitedError && e.retryAfter === 1);
  });

  it('signs slash commands as Slack does (v0 HMAC-SHA256 of v0:timestamp:body)', () => {
    const req = slack.slashCommand({ text: 'billing-api main', userId: 'U0ALICE01', channelId: 'C0DEPLOYS1' }, 'secret', 1531420618);
    const form = new URLSearchParams(req.body);
    assert.deepEqual([form.get('command'), form.get('text'), form.get('user_id')], ['/deploy', 'billing-api main', 'U0ALICE01']);
    assert.equal(req.headers['x-slack-request-timestamp'], '1531420618');
    assert.match(req.headers['x-slack-signature']!, /^v0=[0-9a-f]{64}$/);
  });

  it('the description refuses an answer that drifts from it', () => {
    const api = new SlackApiDescription();
    assert.throws(() => api.checkAnswer('chat.postMessage', { ok: true } as { ok: boolean }), /drifted/);
    assert.throws(() => api.checkAnswer('chat.update', { ok: false, error: 'not_a_slack_error' } as { ok: boolean }), /drifted/);
  });
});
