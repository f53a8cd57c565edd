import { commaListSetting, ConfigError, httpUrlSetting } from '@sluice/platform';
import { z } from 'zod';

const slackMemberId = /^[UWS][A-Z0-9]{2,}$/;
const teamName = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

/**
 * Who may deploy from Slack: a Slack user id, or a user-group id (every member of the group) → the
 * Sluice teams whose configs they deploy, as JSON (`{"U012ABCDEF": ["payments"], "S0PLATFORM": ["web"]}`).
 * Users neither listed nor in a listed group are refused.
 */
export const slackUserTeamsSetting = z
  .string()
  .transform((text, ctx) => {
    try {
      return JSON.parse(text) as unknown;
    } catch {
      ctx.addIssue({ code: 'custom', message: 'expected JSON: {"<Slack user id>": ["<team>", …]}' });
      return z.NEVER;
    }
  })
  .pipe(
    z.record(
      z.string().regex(slackMemberId, { error: 'keys are Slack user ids (U…, W…) or user-group ids (S…)' }),
      z.array(z.string().regex(teamName, { error: 'teams are DNS labels' })).min(1, { error: 'each user needs at least one team' }),
    ),
  );

/**
 * Chat-ops settings (README "Chat-ops"). The Slack app is on when both the bot token and the signing
 * secrets are set; one without the other is a configuration error.
 */
export const chatOpsSettingsSchema = z.object({
  /** The bot token (`xoxb-…`): posts and updates the deploy messages. */
  SLACK_BOT_TOKEN: z.string().regex(/^xox[bp]-[A-Za-z0-9-]{6,}$/, { error: 'expected a Slack bot token (xoxb-…)' }).optional(),
  /** The app's signing secrets, comma-separated (several during a rotation). */
  SLACK_SIGNING_SECRETS: commaListSetting('expected one or more comma-separated signing secrets').optional(),
  /** Slack's Web API base URL (a test points it at the fake). */
  SLACK_API_URL: httpUrlSetting.default('https://slack.com/api/'),
  SLACK_USER_TEAMS: slackUserTeamsSetting.optional(),
  /** Links in the deploy messages: `<SLUICE_PUBLIC_URL>/api/deploys/<id>`. */
  SLUICE_PUBLIC_URL: httpUrlSetting.optional(),
});

export type ChatOpsSettings = z.output<typeof chatOpsSettingsSchema>;

/** What the module needs once the settings are checked: null when chat-ops is off. */
export interface SlackAppSettings {
  readonly botToken: string;
  readonly signingSecrets: readonly string[];
  readonly apiUrl: string;
  readonly userTeams: Readonly<Record<string, readonly string[]>>;
  /** Base of the links to deploys; null: no link. */
  readonly publicUrl: string | null;
}

/** The Slack app of the settings; null when chat-ops is off; a ConfigError when only one of its two credentials is set. */
export function slackAppOf(settings: Partial<ChatOpsSettings>): SlackAppSettings | null {
  const token = settings.SLACK_BOT_TOKEN;
  const secrets = settings.SLACK_SIGNING_SECRETS ?? [];
  if (!token && secrets.length === 0) return null;
  if (!token || secrets.length === 0) {
    throw new ConfigError([{ variable: token ? 'SLACK_SIGNING_SECRETS' : 'SLACK_BOT_TOKEN', message: 'chat-ops needs both SLACK_BOT_TOKEN and SLACK_SIGNING_SECRETS' }]);
  }
  return { botToken: token, signingSecrets: secrets, apiUrl: settings.SLACK_API_URL ?? 'https://slack.com/api/', userTeams: settings.SLACK_USER_TEAMS ?? {}, publicUrl: settings.SLUICE_PUBLIC_URL?.replace(/\/$/, '') ?? null };
}
