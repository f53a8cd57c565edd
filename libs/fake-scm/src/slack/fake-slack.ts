import { createHmac, randomUUID } from 'node:crypto';
import { FakeServer, type FakeServerOptions } from '../common/fake-server';
import type { RateLimitInjection } from '../common/faults';
import { FakeHttpError, type FakeRequest, type FakeResponse } from '../common/types';
import { SlackApiDescription, type SlackMethod } from './slack-api';

export interface FakeSlackOptions extends FakeServerOptions {
  /** Bot tokens (`xoxb-…`) the fake accepts. */
  readonly tokens: readonly string[];
  /** The workspace: its id (`T…`) and domain. */
  readonly team?: { readonly id: string; readonly domain: string };
  /** Most messages a channel takes per second before `429` (Slack: about one per second per channel); default unlimited. */
  readonly channelMessagesPerSecond?: number;
}

export interface SlackMessage {
  readonly channel: string;
  readonly ts: string;
  text: string;
  blocks: unknown[] | null;
  /** How many times `chat.update` changed it. */
  updates: number;
}

export interface SlackEphemeral {
  readonly channel: string;
  readonly user: string;
  readonly text: string;
  readonly blocks: unknown[] | null;
}

/** A slash command or an interaction, as Slack sends it to an app: the form body and its signature headers. */
export interface SlackSignedRequest {
  readonly headers: Record<string, string>;
  readonly body: string;
}

export interface SlashCommandInput {
  readonly command?: string;
  readonly text: string;
  readonly userId: string;
  readonly userName?: string;
  readonly channelId: string;
  readonly teamId?: string;
}

/** A form body signed as Slack signs what it sends to an app: `v0=` HMAC-SHA256 of `v0:{timestamp}:{body}`. */
function slackSigned(body: string, secret: string, timestamp: number): SlackSignedRequest {
  const signature = `v0=${createHmac('sha256', secret).update(`v0:${timestamp}:${body}`).digest('hex')}`;
  return {
    body,
    headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-slack-request-timestamp': String(timestamp), 'x-slack-signature': signature },
  };
}

/** A `/command` as Slack posts it to an app's request URL (every field Slack sends), signed with `signingSecret`. */
export function slackSlashCommand(
  input: SlashCommandInput & { readonly teamDomain?: string },
  signingSecret: string,
  timestamp = Math.floor(Date.now() / 1000),
): SlackSignedRequest {
  const teamId = input.teamId ?? 'T0SLUICE01';
  const form = new URLSearchParams({
    token: 'gIkuvaNzQIHg97ATvDxqgjtO', // Slack's deprecated verification token: sent, never to be trusted
    team_id: teamId,
    team_domain: input.teamDomain ?? 'acme',
    channel_id: input.channelId,
    channel_name: 'deploys',
    user_id: input.userId,
    user_name: input.userName ?? input.userId.toLowerCase(),
    command: input.command ?? '/deploy',
    text: input.text,
    api_app_id: 'A0SLUICE01',
    is_enterprise_install: 'false',
    response_url: `https://hooks.slack.com/commands/${teamId}/1/${randomUUID()}`,
    trigger_id: `${Date.now()}.1.${randomUUID().slice(0, 8)}`,
  });
  return slackSigned(form.toString(), signingSecret, timestamp);
}

const BOT_USER = 'U0SLUICEBOT';
const BOT_ID = 'B0SLUICEBOT1';

/**
 * Slack's Web API as a bot sees it (auth.test, chat.postMessage, chat.update, chat.postEphemeral,
 * conversations.replies, reactions.add, and usergroups.users.list as Slack documents it): form or JSON bodies with a bearer bot token, Slack's
 * `{ ok, error }` answers (HTTP 200 even for errors), 429 + `Retry-After` on a channel's message
 * rate or an injected limit. Every request is checked against, and every answer validated by,
 * Slack's own API description (`SlackApiDescription`). It also builds signed slash commands and
 * interactions the way Slack sends them to an app.
 */
export class FakeSlack extends FakeServer {
  private readonly api = new SlackApiDescription();
  private readonly channels = new Map<string, SlackMessage[]>();
  private readonly ephemeralLog: SlackEphemeral[] = [];
  private readonly recentPosts = new Map<string, number[]>();
  private readonly groups = new Map<string, string[]>();
  private tsCounter = 0;
  readonly team: { readonly id: string; readonly domain: string };

  constructor(private readonly options: FakeSlackOptions) {
    super(options);
    this.team = options.team ?? { id: 'T0SLUICE01', domain: 'acme' };
    for (const method of this.api.methods.values()) {
      this.router.add(method.httpMethod, `/api/${method.name}`, (req) => this.call(method, req), method.name);
      // Slack takes either verb for every method.
      this.router.add(method.httpMethod === 'GET' ? 'POST' : 'GET', `/api/${method.name}`, (req) => this.call(method, req), method.name);
    }
  }

  /** A user group (`S…`) and its members. */
  userGroup(id: string, users: readonly string[]): void {
    this.groups.set(id, [...users]);
  }

  /** Messages of a channel, oldest first. */
  messages(channel: string): readonly SlackMessage[] {
    return this.channels.get(channel) ?? [];
  }

  /** Ephemeral messages shown to `user` (every channel), oldest first. */
  ephemerals(user?: string): readonly SlackEphemeral[] {
    return user ? this.ephemeralLog.filter((e) => e.user === user) : this.ephemeralLog;
  }

  /** A `/command` as Slack posts it to the app's request URL, signed with `signingSecret` at `timestamp` (seconds). */
  slashCommand(input: SlashCommandInput, signingSecret: string, timestamp = Math.floor(this.nowMs() / 1000)): SlackSignedRequest {
    return slackSlashCommand({ ...input, teamId: input.teamId ?? this.team.id, teamDomain: this.team.domain }, signingSecret, timestamp);
  }

  /** A `block_actions` interaction (a button press on a message the bot posted). */
  buttonPress(
    input: { userId: string; channelId: string; messageTs: string; actionId: string; value: string; teamId?: string },
    signingSecret: string,
    timestamp = Math.floor(this.nowMs() / 1000),
  ): SlackSignedRequest {
    const payload = {
      type: 'block_actions',
      team: { id: input.teamId ?? this.team.id, domain: this.team.domain },
      user: { id: input.userId, username: input.userId.toLowerCase(), team_id: input.teamId ?? this.team.id },
      api_app_id: 'A0SLUICE01',
      token: 'gIkuvaNzQIHg97ATvDxqgjtO',
      container: { type: 'message', message_ts: input.messageTs, channel_id: input.channelId, is_ephemeral: false },
      trigger_id: `${Date.now()}.1.${randomUUID().slice(0, 8)}`,
      channel: { id: input.channelId, name: 'deploys' },
      message: this.messages(input.channelId).find((m) => m.ts === input.messageTs) ?? null,
      response_url: `https://hooks.slack.com/actions/${this.team.id}/1/${randomUUID()}`,
      actions: [{ action_id: input.actionId, block_id: 'actions', type: 'button', value: input.value, action_ts: String(this.nowMs() / 1000) }],
    };
    return slackSigned(new URLSearchParams({ payload: JSON.stringify(payload) }).toString(), signingSecret, timestamp);
  }

  private nextTs(): string {
    this.tsCounter += 1;
    return `${Math.floor(this.nowMs() / 1000)}.${String(this.tsCounter % 1_000_000).padStart(6, '0')}`;
  }

  private argsOf(req: FakeRequest): Record<string, string> {
    const out: Record<string, string> = Object.fromEntries(req.query);
    const type = String(req.headers['content-type'] ?? '');
    if (req.rawBody.length === 0) return out;
    if (type.startsWith('application/json')) {
      if (!req.body || typeof req.body !== 'object' || Array.isArray(req.body)) throw new SlackAnswer({ ok: false, error: 'json_not_object' });
      for (const [k, v] of Object.entries(req.body as Record<string, unknown>)) out[k] = typeof v === 'string' ? v : JSON.stringify(v);
      return out;
    }
    if (!type.startsWith('application/x-www-form-urlencoded')) throw new SlackAnswer({ ok: false, error: 'invalid_post_type' });
    for (const [k, v] of new URLSearchParams(req.rawBody.toString('utf8'))) out[k] = v;
    return out;
  }

  private call(method: SlackMethod, req: FakeRequest): FakeResponse {
    let answer: { ok: boolean } & Record<string, unknown>;
    try {
      const raw = this.argsOf(req);
      delete raw['token'];
      const checked = this.api.arguments(method, raw);
      if (!checked.ok) throw new SlackAnswer({ ok: false, error: checked.error });
      answer = this.perform(method.name, checked.args);
    } catch (e) {
      if (!(e instanceof SlackAnswer)) throw e;
      if (e.status === 429) return { status: 429, headers: { 'retry-after': String(e.retryAfter) }, body: e.body };
      answer = e.body;
    }
    this.api.checkAnswer(method.name, answer);
    return { status: 200, body: answer };
  }

  private perform(method: string, args: Record<string, string | boolean | number>): { ok: boolean } & Record<string, unknown> {
    const blocksOf = (): unknown[] | null => {
      if (args['blocks'] === undefined) return null;
      try {
        const blocks = JSON.parse(String(args['blocks'])) as unknown;
        if (Array.isArray(blocks) && blocks.every((b) => b && typeof b === 'object' && typeof (b as { type?: unknown }).type === 'string')) return blocks;
      } catch {
        // answered below
      }
      throw new SlackAnswer({ ok: false, error: 'invalid_array_arg' });
    };
    const text = args['text'] === undefined ? '' : String(args['text']);
    switch (method) {
      case 'auth.test':
        return { ok: true, url: `https://${this.team.domain}.slack.com/`, team: this.team.domain, user: 'sluice', team_id: this.team.id, user_id: BOT_USER, bot_id: BOT_ID };
      case 'chat.postMessage': {
        const channel = String(args['channel']);
        const blocks = blocksOf();
        if (!text && !blocks) return { ok: false, error: 'no_text' };
        this.throttle(channel);
        const ts = this.nextTs();
        const message: SlackMessage = { channel, ts, text, blocks, updates: 0 };
        this.channels.set(channel, [...this.messages(channel), message]);
        return { ok: true, channel, ts, message: { type: 'message', text, ts, user: BOT_USER, bot_id: BOT_ID, ...(blocks ? { blocks } : {}) } };
      }
      case 'chat.update': {
        const channel = String(args['channel']);
        const message = this.messages(channel).find((m) => m.ts === String(args['ts']));
        if (!message) return { ok: false, error: 'message_not_found' };
        const blocks = blocksOf();
        if (!text && !blocks) return { ok: false, error: 'no_text' };
        this.throttle(channel);
        message.text = text;
        message.blocks = blocks ?? message.blocks;
        message.updates += 1;
        return { ok: true, channel, ts: message.ts, text, message: { text } };
      }
      case 'chat.postEphemeral': {
        const blocks = blocksOf();
        if (!text && !blocks) return { ok: false, error: 'no_text' };
        this.ephemeralLog.push({ channel: String(args['channel']), user: String(args['user']), text, blocks });
        return { ok: true, message_ts: this.nextTs() };
      }
      case 'conversations.replies': {
        const messages = this.messages(String(args['channel'] ?? ''));
        const parent = messages.find((m) => m.ts === String(args['ts']));
        if (!parent) return { ok: false, error: 'thread_not_found' };
        return { ok: true, has_more: false, messages: [{ type: 'message', text: parent.text, ts: parent.ts, user: BOT_USER, bot_id: BOT_ID }] };
      }
      case 'usergroups.users.list': {
        const users = this.groups.get(String(args['usergroup']));
        return users ? { ok: true, users } : { ok: false, error: 'no_such_subteam' };
      }
      case 'reactions.add':
        if (!this.messages(String(args['channel'])).some((m) => m.ts === String(args['timestamp']))) return { ok: false, error: 'message_not_found' };
        return { ok: true };
      default:
        throw new FakeHttpError(404, { ok: false, error: 'unknown_method' });
    }
  }

  /** Slack's per-channel message rate: past it, 429 with the seconds to wait. */
  private throttle(channel: string): void {
    const limit = this.options.channelMessagesPerSecond;
    if (!limit) return;
    const now = this.nowMs();
    const recent = (this.recentPosts.get(channel) ?? []).filter((t) => now - t < 1000);
    if (recent.length >= limit) {
      this.faults.limitUntil(recent[0]! + 1000);
      throw new SlackAnswer({ ok: false, error: 'rate_limited' }, 429, 1);
    }
    this.recentPosts.set(channel, [...recent, now]);
  }

  protected authKind(req: FakeRequest): string {
    return /^bearer\s/i.test(String(req.headers.authorization ?? '')) ? 'bearer' : req.query.get('token') ? 'token' : 'none';
  }

  protected authenticate(req: FakeRequest): void {
    const token = /^bearer\s+(.+)$/i.exec(String(req.headers.authorization ?? ''))?.[1] ?? req.query.get('token') ?? undefined;
    req.auth = { kind: this.authKind(req) };
    if (!token) throw new FakeHttpError(200, { ok: false, error: 'not_authed' });
    if (!this.options.tokens.includes(token)) throw new FakeHttpError(200, { ok: false, error: 'invalid_auth' });
  }

  protected commonHeaders(): Record<string, string> {
    return { 'x-slack-req-id': randomUUID() };
  }

  protected rateLimitedResponse(spec: RateLimitInjection): FakeResponse {
    return { status: 429, headers: { 'retry-after': String(spec.retryAfterSeconds) }, body: { ok: false, error: 'rate_limited' } };
  }

  protected override notFoundBody(): unknown {
    return { ok: false, error: 'unknown_method' };
  }
}

/** An answer decided while handling a call (Slack answers errors with HTTP 200 and `ok: false`). */
class SlackAnswer extends Error {
  constructor(
    readonly body: { ok: false; error: string },
    readonly status = 200,
    readonly retryAfter = 0,
  ) {
    super(body.error);
  }
}
