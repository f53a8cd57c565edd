// Local stand-ins for the README's "Walkthrough: chat-ops and GitOps with the fakes": the fake
// GitHub, Slack and Argo CD of the tests, seeded with
//   - acme/deploy-configs: billing-api, which deploys through a GitOps target (examples/gitops/deploy-configs)
//   - acme/billing: two commits (the artifact repository)
//   - acme/gitops: the values file Argo CD's application "billing" syncs (examples/gitops/gitops-repo)
//   - Slack user U0ALICE01, mapped to team payments
// It prints `export` lines (GitHub, Slack and Argo CD settings for Sluice, and the SHAs), and keeps
// what Slack would show — the channel's messages and the ephemeral answers — in the file
// $DEMO_SLACK_VIEW (default $SLUICE_DATA_DIR/slack.txt), rewritten as it changes.
//   node --require @swc-node/register scripts/demo-chat-gitops.ts
// Ports: DEMO_GITHUB_PORT (default 3333); Slack and Argo CD on free ports.
import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { FakeArgoCd, FakeGitHub, FakeSlack } from '@sluice/fake-scm';
import { filesUnder, runScript } from './script-support';

const SLACK_BOT_TOKEN = 'xoxb-demo-0123456789';
const ARGOCD_TOKEN = 'argocd-demo-token';
const USER = 'U0ALICE01';

interface Block {
  type: string;
  elements?: Array<{ type: string; action_id?: string; value?: string; text?: { text: string } }>;
}

/** The buttons of a message's `actions` blocks. */
function buttonsOf(blocks: unknown[] | null): Array<{ text: string; action: string; value: string }> {
  return ((blocks ?? []) as Block[])
    .filter((b) => b.type === 'actions')
    .flatMap((b) => b.elements ?? [])
    .filter((e) => e.type === 'button')
    .map((e) => ({ text: e.text?.text ?? '', action: e.action_id ?? '', value: e.value ?? '' }));
}

/** What a person in the workspace would see: each message of the bot (as edited last), and the answers only they see. */
function slackView(slack: FakeSlack, channels: readonly string[]): string {
  const lines: string[] = [];
  for (const channel of channels) {
    for (const m of slack.messages(channel)) {
      lines.push(`#${channel} message ${m.ts}${m.updates ? ` (edited ${m.updates}×)` : ''}:`, ...m.text.split('\n').map((l) => `  ${l}`));
      for (const b of buttonsOf(m.blocks)) lines.push(`  [${b.text}] (action ${b.action}, value ${b.value})`);
    }
  }
  for (const e of slack.ephemerals()) lines.push(`only ${e.user} sees, in #${e.channel}:`, ...e.text.split('\n').map((l) => `  ${l}`));
  return `${lines.join('\n')}\n`;
}

async function main(): Promise<void> {
  const examples = join(__dirname, '../examples/gitops');
  const github = new FakeGitHub({ port: Number(process.env.DEMO_GITHUB_PORT ?? 3333) });
  const slack = new FakeSlack({ tokens: [SLACK_BOT_TOKEN] });
  const argo = new FakeArgoCd({ tokens: [ARGOCD_TOKEN] });
  const [{ url: githubUrl }] = await Promise.all([github.start(), slack.start(), argo.start()]);

  github.seed.repo({ owner: 'acme', name: 'deploy-configs' });
  const configSha = github.seed.commit('acme/deploy-configs', { message: 'billing-api deploys through acme/gitops', files: filesUnder(join(examples, 'deploy-configs')) });
  github.seed.repo({ owner: 'acme', name: 'billing' });
  const first = github.seed.commit('acme/billing', { message: 'first release', files: { 'README.md': 'billing v1\n' } });
  const second = github.seed.commit('acme/billing', { message: 'second release', files: { 'README.md': 'billing v2\n' } });
  github.seed.repo({ owner: 'acme', name: 'gitops' });
  const gitopsSha = github.seed.commit('acme/gitops', { message: 'billing values', files: filesUnder(join(examples, 'gitops-repo')) });
  argo.application('billing', { repoURL: 'https://github.com/acme/gitops', path: 'apps/billing', namespace: 'payments' });

  const viewFile = process.env.DEMO_SLACK_VIEW || join(process.env.SLUICE_DATA_DIR || '.sluice', 'slack.txt');
  let shown = '';
  setInterval(() => {
    const view = slackView(slack, ['C0DEPLOYS1']);
    if (view !== shown) writeFileSync(viewFile, (shown = view));
  }, 250);

  const signingSecret = randomBytes(16).toString('hex');
  // Comments and `export` lines only: the output can be sourced as it is.
  process.stdout.write(
    `# fake GitHub on ${githubUrl}, fake Slack on ${slack.url}, fake Argo CD on ${argo.url}; Slack as a person sees it: ${viewFile}\n` +
      `export GITHUB_API_URL=${githubUrl} GITHUB_TOKEN=demo\n` +
      `export SLACK_API_URL=${slack.url}/api/ SLACK_BOT_TOKEN=${SLACK_BOT_TOKEN} SLACK_SIGNING_SECRETS=${signingSecret} SLACK_USER_TEAMS='{"${USER}":["payments"]}'\n` +
      `export ARGOCD_URL=${argo.url} ARGOCD_TOKEN=${ARGOCD_TOKEN}\n` +
      `export CONFIG_SHA=${configSha} S1=${first} S2=${second} GITOPS_SHA=${gitopsSha} SLACK_VIEW=${viewFile}\n`,
  );
}

runScript(main, { stack: true });
