import { newEvent } from '@sluice/contracts';
import type { TeamPolicySpec } from './policy';

export type TeamPolicySource = 'api' | 'cluster';

/**
 * One stream per team and source: its policy set and removed, in order (same key on
 * `sluice.auth.v1`, compacted to the last). Team names are DNS labels, so the two never collide.
 */
export function teamPolicyStream(team: string, source: TeamPolicySource): string {
  return source === 'api' ? `team-policy-${team}` : `cluster-team-policy-${team}`;
}

export function teamPolicySetEvent(team: string, source: TeamPolicySource, policy: TeamPolicySpec, setBy: string) {
  return newEvent('team.policy.set', { team, source, policy, setBy });
}

export function teamPolicyRemovedEvent(team: string, source: TeamPolicySource, removedBy: string) {
  return newEvent('team.policy.removed', { team, source, removedBy });
}

export const TEAM_POLICY_EVENT_TYPES = ['team.policy.set', 'team.policy.removed'] as const;
