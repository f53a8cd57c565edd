import { newEvent } from '@sluice/contracts';
import type { TeamPolicySpec } from './policy';

/** One stream per team: its policy set and removed, in order (same key on `sluice.auth.v1`, compacted to the last). */
export function teamPolicyStream(team: string): string {
  return `team-policy-${team}`;
}

export function teamPolicySetEvent(team: string, policy: TeamPolicySpec, setBy: string) {
  return newEvent('team.policy.set', { team, policy, setBy });
}

export function teamPolicyRemovedEvent(team: string, removedBy: string) {
  return newEvent('team.policy.removed', { team, removedBy });
}

export const TEAM_POLICY_EVENT_TYPES = ['team.policy.set', 'team.policy.removed'] as const;
