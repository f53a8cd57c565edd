import { checkPlacement, type Placement, type TeamPolicy, type Verdict } from '../domain/policy';
import type { Transaction } from '@sluice/event-store';
import type { TeamPolicyReader } from './ports';

/**
 * Where every service asks the team policy: repo-sync (to report), autodeploy (to decide),
 * kube-applier (to apply). Sluice's own namespace comes from configuration (`SLUICE_NAMESPACE`).
 */
export class PolicyGate {
  constructor(
    private readonly policies: TeamPolicyReader,
    readonly sluiceNamespace: string,
  ) {}

  policyOf(team: string): Promise<TeamPolicy> {
    return this.policies.policyOf(team);
  }

  /** Whether the config may deploy where it says (`via`: the caller's transaction, if it has one open). */
  async placement(p: Placement, via?: Transaction): Promise<Verdict & { policy: TeamPolicy }> {
    const policy = await this.policies.policyOf(p.team, via);
    return { ...checkPlacement(p, policy, { sluiceNamespace: this.sluiceNamespace }), policy };
  }

}

export const POLICY_GATE = Symbol('POLICY_GATE');
