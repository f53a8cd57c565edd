// Sends a slash command to Sluice as Slack would: every field Slack posts, signed with the app's
// signing secret (X-Slack-Signature, X-Slack-Request-Timestamp).
import { parseArgs } from 'node:util';
import { slackSlashCommand } from '@sluice/fake-scm';
import { postAndPrint, runScript } from './script-support';

const USAGE = `usage: node --require @swc-node/register scripts/send-slack.ts "<text>" --user <U…> [options]

  "<text>"              what follows the command, e.g. "billing-api main" or "status billing-api"

options:
  --user <id>           the Slack user who types it (required)
  --channel <id>        the channel (default C0DEPLOYS1)
  --command <name>      default /deploy
  --url <url>           default http://127.0.0.1:$SLUICE_PORT/chat/slack/commands (SLUICE_PORT default 8080)
  --secret <secret>     the signing secret; default the first of $SLACK_SIGNING_SECRETS
  -h, --help            this text

Prints the answer's status and body (Slack shows the body to the user); exits 1 unless it is 2xx.
`;

const { positionals, values } = parseArgs({
  allowPositionals: true,
  options: {
    help: { type: 'boolean', short: 'h', default: false },
    user: { type: 'string' },
    channel: { type: 'string', default: 'C0DEPLOYS1' },
    command: { type: 'string', default: '/deploy' },
    url: { type: 'string', default: `http://127.0.0.1:${process.env.SLUICE_PORT || '8080'}/chat/slack/commands` },
    secret: { type: 'string', default: process.env.SLACK_SIGNING_SECRETS?.split(',')[0]?.trim() },
  },
});

async function main(): Promise<void> {
  if (values.help) return void process.stdout.write(USAGE);
  const text = positionals[0];
  if (text === undefined || !values.user) throw new Error(`"<text>" and --user are required\n\n${USAGE}`);
  if (!values.secret) throw new Error(`--secret or SLACK_SIGNING_SECRETS is required\n\n${USAGE}`);
  const request = slackSlashCommand({ command: values.command, text, userId: values.user, channelId: values.channel! }, values.secret);
  await postAndPrint(values.url!, request);
}

runScript(main);
