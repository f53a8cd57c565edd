import type { IncomingMessage, ServerResponse } from 'node:http';
import { Controller, HttpCode, Inject, Post, Req, Res } from '@nestjs/common';
import { ApiConsumes, ApiHeader, ApiOperation, ApiResponse, ApiTags } from '@nestjs/swagger';
import { BadRequestError, createLogger, errorResponse, NotFoundError, openApiSchema, UnauthorizedError, UnsupportedMediaTypeError } from '@sluice/platform';
import { z } from 'zod';
import type { Acknowledgement, SlackCommands } from '../application/slack-commands';
import type { SlackAppSettings } from '../chat-ops.settings';
import { verifySlackRequest } from '../slack/request-verification';

export const SLACK_APP = Symbol('SLACK_APP');
export const SLACK_COMMANDS = Symbol('SLACK_COMMANDS');

/** Slack's answer to a slash command or interaction, shown only to the user who sent it. */
const ephemeralSchema = z.object({ response_type: z.literal('ephemeral'), text: z.string() });
type Ephemeral = z.infer<typeof ephemeralSchema>;

const slashCommandForm = z.object({
  team_id: z.string().min(1),
  user_id: z.string().min(1),
  channel_id: z.string().min(1),
  command: z.string().min(1),
  text: z.string().default(''),
});

const blockActions = z.object({
  type: z.literal('block_actions'),
  team: z.object({ id: z.string().min(1) }),
  user: z.object({ id: z.string().min(1) }),
  channel: z.object({ id: z.string().min(1) }),
  actions: z.array(z.object({ action_id: z.string().min(1), value: z.string().default('') })).min(1),
});

const slackHeaders = [
  ApiConsumes('application/x-www-form-urlencoded'),
  ApiHeader({ name: 'X-Slack-Request-Timestamp', required: true, description: 'Unix seconds; older than 5 minutes is refused as a replay' }),
  ApiHeader({ name: 'X-Slack-Signature', required: true, description: 'v0=<HMAC-SHA256 of v0:{timestamp}:{raw body} under a signing secret>' }),
  ApiResponse({ status: 200, description: 'the ephemeral answer (the work continues after it)', schema: openApiSchema(ephemeralSchema) }),
  ApiResponse({ status: 400, description: 'a form Slack would not send', schema: errorResponse }),
  ApiResponse({ status: 401, description: 'missing, wrong or stale signature', schema: errorResponse }),
  ApiResponse({ status: 404, description: 'chat-ops is not configured', schema: errorResponse }),
  ApiResponse({ status: 415, description: 'not application/x-www-form-urlencoded', schema: errorResponse }),
];

const apply = (decorators: Array<MethodDecorator & ClassDecorator>): MethodDecorator => (target, key, descriptor) => {
  for (const d of decorators) d(target, key, descriptor);
};

/**
 * Slack's requests to the app (README "Chat-ops"): slash commands and interactivity, each verified
 * against the raw bytes (`X-Slack-Signature`) before anything is read from it. The answer goes back
 * within Slack's 3 seconds; the work runs after the response is sent. Nothing of the body — which
 * carries Slack's `token` and a `response_url` — is logged.
 */
@ApiTags('chat')
@Controller('chat/slack')
export class SlackController {
  private readonly log = createLogger('chat-ops.http');

  constructor(
    @Inject(SLACK_APP) private readonly app: SlackAppSettings | null,
    @Inject(SLACK_COMMANDS) private readonly commands: SlackCommands | null,
  ) {}

  @Post('commands')
  @HttpCode(200)
  @ApiOperation({ summary: 'A slash command (/deploy) from Slack' })
  @apply(slackHeaders)
  command(@Req() req: IncomingMessage & { rawBody?: Buffer }, @Res({ passthrough: true }) res: ServerResponse): Ephemeral {
    const { form, commands } = this.verified(req);
    const parsed = slashCommandForm.safeParse(Object.fromEntries(form));
    if (!parsed.success) throw new BadRequestError(`not a slash command: ${parsed.error.issues.map((i) => i.path.join('.')).join(', ')} missing`, { code: 'bad_form' });
    const c = parsed.data;
    return this.answer(res, commands.command({ workspace: c.team_id, user: c.user_id, channel: c.channel_id, command: c.command, text: c.text }));
  }

  @Post('interactions')
  @HttpCode(200)
  @ApiOperation({ summary: 'A button press on a deploy message (the "Roll back" button)' })
  @apply(slackHeaders)
  interaction(@Req() req: IncomingMessage & { rawBody?: Buffer }, @Res({ passthrough: true }) res: ServerResponse): Ephemeral {
    const { form, commands } = this.verified(req);
    let payload: unknown;
    try {
      payload = JSON.parse(form.get('payload') ?? '');
    } catch {
      throw new BadRequestError('the form has no JSON payload field', { code: 'bad_form' });
    }
    const type = (payload as { type?: unknown } | null)?.type;
    if (type !== 'block_actions') return { response_type: 'ephemeral', text: `Sluice does not use "${String(type)}" interactions.` };
    const parsed = blockActions.safeParse(payload);
    if (!parsed.success) throw new BadRequestError(`not a block_actions payload: ${parsed.error.issues.map((i) => i.path.join('.')).join(', ')}`, { code: 'bad_form' });
    const p = parsed.data;
    const action = p.actions[0]!;
    return this.answer(res, commands.press({ workspace: p.team.id, user: p.user.id, channel: p.channel.id, actionId: action.action_id, value: action.value }));
  }

  private verified(req: IncomingMessage & { rawBody?: Buffer }): { form: URLSearchParams; commands: SlackCommands } {
    if (!this.app || !this.commands) throw new NotFoundError('chat-ops is not configured: set SLACK_BOT_TOKEN and SLACK_SIGNING_SECRETS', { code: 'chat_ops_off' });
    if (!String(req.headers['content-type'] ?? '').startsWith('application/x-www-form-urlencoded')) {
      throw new UnsupportedMediaTypeError('Slack sends application/x-www-form-urlencoded');
    }
    if (!Buffer.isBuffer(req.rawBody)) throw new Error('the raw body was not kept: the hosting service must enable rawBody');
    const verdict = verifySlackRequest({ rawBody: req.rawBody, headers: req.headers, signingSecrets: this.app.signingSecrets, nowMs: Date.now() });
    if (!verdict.ok) {
      this.log.warn({ reason: verdict.reason }, 'Slack request refused');
      throw new UnauthorizedError(verdict.message, { code: verdict.reason === 'stale' ? 'stale_request' : 'bad_signature' });
    }
    return { form: new URLSearchParams(req.rawBody.toString('utf8')), commands: this.commands };
  }

  /** Answers now; the work starts once the answer is on its way. */
  private answer(res: ServerResponse, ack: Acknowledgement): Ephemeral {
    if (ack.later) {
      const later = ack.later;
      res.once('finish', () => void later());
    }
    return { response_type: 'ephemeral', text: ack.text };
  }
}
