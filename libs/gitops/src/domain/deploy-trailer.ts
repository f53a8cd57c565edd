/** The git trailer naming the deploy a GitOps commit was made for (`Sluice-Deploy-Id: <uuid>`). */
export const DEPLOY_TRAILER = 'Sluice-Deploy-Id';

/** The commit message of a deploy's GitOps commit: what changed, why, and the trailer. */
export function gitOpsCommitMessage(input: { config: string; key: string; value: string; deployId: string; requestedBy: string }): string {
  return `deploy ${input.config}: ${input.key} = ${input.value}\n\nRequested by ${input.requestedBy} (deploy ${input.deployId}).\n\n${DEPLOY_TRAILER}: ${input.deployId}\n`;
}

/** The deploy id of a commit Sluice made (its last trailer), or null for anyone else's commit. */
export function deployIdOf(message: string): string | null {
  const matches = [...message.matchAll(new RegExp(`^${DEPLOY_TRAILER}: ([0-9a-f-]{36})\\s*$`, 'gim'))];
  return matches.at(-1)?.[1]?.toLowerCase() ?? null;
}
