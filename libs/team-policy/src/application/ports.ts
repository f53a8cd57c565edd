import type { Transaction } from '@sluice/event-store';
import type { TeamPolicy, TeamPolicySpec } from '../domain/policy';

/** The policies as this service knows them: configured ones, else each team's default. */
export interface TeamPolicyReader {
  /**
   * `via`: the caller's transaction, when it has one (the all-in-one's embedded database has one
   * connection, which an open transaction holds: a read beside it would wait forever).
   */
  policyOf(team: string, via?: Transaction): Promise<TeamPolicy>;
  /** Every configured policy, by team. */
  list(): Promise<TeamPolicy[]>;
}

/** Where an admin sets policies (autodeploy: its own table and log, in one transaction). */
export interface TeamPolicyWriter extends TeamPolicyReader {
  set(team: string, policy: TeamPolicySpec, by: string): Promise<TeamPolicy>;
  /** False when the team had no configured policy. */
  remove(team: string, by: string): Promise<boolean>;
}

export const TEAM_POLICY_READER = Symbol('TEAM_POLICY_READER');
export const TEAM_POLICY_WRITER = Symbol('TEAM_POLICY_WRITER');
