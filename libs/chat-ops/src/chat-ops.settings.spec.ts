import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ConfigError, loadConfig } from '@sluice/platform';
import { chatOpsSettingsSchema, slackAppOf } from './chat-ops.settings';

describe('chat-ops settings', () => {
  it('is off without Slack credentials, and needs both of them', () => {
    assert.equal(slackAppOf(loadConfig(chatOpsSettingsSchema, {})), null);
    assert.throws(() => slackAppOf(loadConfig(chatOpsSettingsSchema, { SLACK_BOT_TOKEN: 'xoxb-123456-abc' })), (e: unknown) => e instanceof ConfigError && /SLACK_SIGNING_SECRETS/.test(e.message));
    const app = slackAppOf(loadConfig(chatOpsSettingsSchema, { SLACK_BOT_TOKEN: 'xoxb-123456-abc', SLACK_SIGNING_SECRETS: 'a,b', SLACK_USER_TEAMS: '{"U0ALICE01":["payments"]}' }));
    assert.deepEqual(app?.signingSecrets, ['a', 'b']);
    assert.deepEqual(app?.userTeams, { U0ALICE01: ['payments'] });
  });

  it('names the bad variable, never its value', () => {
    for (const [variable, value] of [['SLACK_USER_TEAMS', '{"alice":["payments"]}'], ['SLACK_USER_TEAMS', 'not json'], ['SLACK_BOT_TOKEN', 'hunter2-secret']] as const) {
      assert.throws(() => loadConfig(chatOpsSettingsSchema, { [variable]: value }), (e: unknown) => e instanceof ConfigError && e.message.includes(variable) && !e.message.includes(value));
    }
  });
});
