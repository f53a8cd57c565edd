import { distance } from 'fastest-levenshtein';

/** What a deploy's chat message says in each phase (issue #18: queued → applying → applied → healthy / failed / superseded). */
export const PHASE_WORDS: Readonly<Record<string, { word: string; emoji: string }>> = {
  queued: { word: 'queued', emoji: ':hourglass_flowing_sand:' },
  applying: { word: 'applying', emoji: ':gear:' },
  applied: { word: 'applied, waiting for healthy', emoji: ':arrows_counterclockwise:' },
  succeeded: { word: 'healthy', emoji: ':white_check_mark:' },
  failed: { word: 'failed', emoji: ':x:' },
  superseded: { word: 'superseded', emoji: ':fast_forward:' },
};

/** What a deploy's events said about it so far (image tag, commit, who, why, failure). */
export interface DeployDetail {
  readonly imageTag: string | null;
  readonly artifactSha: string | null;
  readonly configSha: string | null;
  readonly requestedBy: string | null;
  readonly reason: string | null;
  readonly failure: string | null;
}

export interface DeployMessageInput extends DeployDetail {
  readonly deployId: string;
  readonly config: string;
  readonly phase: string;
  /** `<public url>/api/deploys/<id>`, or null. */
  readonly link: string | null;
}

/** Slack's `<@U…>` mention for a `slack:<workspace>/<user>` actor; the subject as it is otherwise. */
export function actorMention(requestedBy: string | null): string {
  const user = /^slack:[^/]+\/([UW][A-Z0-9]+)$/.exec(requestedBy ?? '')?.[1];
  return user ? `<@${user}>` : (requestedBy ?? 'someone');
}

/** Pure: the message of one deploy in its current phase — a fallback text, and blocks with a "Roll back" button. */
export function renderDeployMessage(d: DeployMessageInput): { text: string; blocks: Array<Record<string, unknown>> } {
  const phase = PHASE_WORDS[d.phase] ?? { word: d.phase, emoji: ':grey_question:' };
  const what = d.imageTag ?? (d.configSha ? `config ${d.configSha.slice(0, 7)}` : 'nothing (undeploy)');
  const text = `Deploy of ${d.config} (${what}): ${phase.word}`;
  const facts = [
    `*Config* \`${d.config}\``,
    `*Image tag* ${d.imageTag ? `\`${d.imageTag}\`` : '—'}`,
    `*Commit* ${d.artifactSha ? `\`${d.artifactSha.slice(0, 7)}\`` : d.configSha ? `config \`${d.configSha.slice(0, 7)}\`` : '—'}`,
    `*Asked by* ${actorMention(d.requestedBy)}`,
  ];
  const blocks: Array<Record<string, unknown>> = [
    { type: 'section', block_id: 'status', text: { type: 'mrkdwn', text: `${phase.emoji} ${text}${d.failure ? `\n>${d.failure.slice(0, 500)}` : ''}` } },
    { type: 'section', block_id: 'facts', fields: facts.map((f) => ({ type: 'mrkdwn', text: f })) },
  ];
  if (d.link) blocks.push({ type: 'context', elements: [{ type: 'mrkdwn', text: `<${d.link}|deploy ${d.deployId}>` }] });
  blocks.push({
    type: 'actions',
    block_id: 'actions',
    elements: [
      {
        type: 'button',
        action_id: 'rollback',
        text: { type: 'plain_text', text: 'Roll back' },
        style: 'danger',
        value: d.deployId,
        confirm: {
          title: { type: 'plain_text', text: 'Roll back?' },
          text: { type: 'mrkdwn', text: `Re-apply the deploy of \`${d.config}\` that succeeded before this one, and pin the config.` },
          confirm: { type: 'plain_text', text: 'Roll back' },
          deny: { type: 'plain_text', text: 'Cancel' },
        },
      },
    ],
  });
  return { text, blocks };
}

/** The names in `candidates` closest to `name` (edit distance, then a shared prefix), at most `limit`. */
export function closestNames(name: string, candidates: readonly string[], limit = 3): string[] {
  return candidates
    .map((c) => ({ c, d: c.startsWith(name) || name.startsWith(c) ? 0 : distance(name, c) }))
    .filter((x) => x.d <= Math.max(3, Math.floor(name.length / 2)))
    .sort((a, b) => a.d - b.d || a.c.localeCompare(b.c))
    .slice(0, limit)
    .map((x) => x.c);
}
