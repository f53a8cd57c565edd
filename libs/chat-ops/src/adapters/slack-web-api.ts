import { LogLevel, WebClient, type Logger as SlackLogger } from '@slack/web-api';
import { createLogger } from '@sluice/platform';
import type { ChatMessage, ChatMessenger } from '../application/ports';

/**
 * `ChatMessenger` on Slack's Web API through `@slack/web-api`: its client honours `429` +
 * `Retry-After` (queued, never dropped) and retries 5xx and network failures with backoff and
 * jitter; past those retries the error goes to the caller (a message sync the sweep repeats).
 * The bot token travels in the Authorization header only and is never logged.
 */
export class SlackWebApiMessenger implements ChatMessenger {
  private readonly client: WebClient;

  constructor(token: string, apiUrl: string) {
    const log = createLogger('chat-ops.slack-api');
    const logger: SlackLogger = {
      debug: () => undefined,
      info: () => undefined,
      warn: (...msg: unknown[]) => log.warn({ slack: msg.map(String).join(' ') }, 'Slack Web API client'),
      error: (...msg: unknown[]) => log.error({ slack: msg.map(String).join(' ') }, 'Slack Web API client'),
      setLevel: () => undefined,
      getLevel: () => LogLevel.WARN,
      setName: () => undefined,
    };
    this.client = new WebClient(token, {
      slackApiUrl: apiUrl.endsWith('/') ? apiUrl : `${apiUrl}/`,
      logger,
      retryConfig: { retries: 4, factor: 2, minTimeout: 200, maxTimeout: 5_000, randomize: true },
      rejectRateLimitedCalls: false,
      timeout: 10_000,
    });
  }

  async postEphemeral(channel: string, user: string, text: string): Promise<void> {
    await this.client.chat.postEphemeral({ channel, user, text });
  }

  async post(channel: string, message: ChatMessage): Promise<string> {
    const res = await this.client.chat.postMessage({ channel, text: message.text, blocks: message.blocks as never, unfurl_links: false });
    return res.ts!;
  }

  async update(channel: string, ts: string, message: ChatMessage): Promise<void> {
    await this.client.chat.update({ channel, ts, text: message.text, blocks: message.blocks as never });
  }

  async groupMembers(groupId: string): Promise<string[]> {
    return (await this.client.usergroups.users.list({ usergroup: groupId })).users ?? [];
  }
}
