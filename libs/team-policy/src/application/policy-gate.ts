import { checkPlacement, type Placement, type TeamPolicy, type Verdict } from '../domain/policy';
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

  /** Whether the config may deploy where it says; `namespaceLabels` where the caller can read the namespace. */
  async placement(p: Placement, namespaceLabels?: Readonly<Record<string, string>>): Promise<Verdict & { policy: TeamPolicy }> {
    const policy = await this.policies.policyOf(p.team);
    return { ...checkPlacement(p, policy, { sluiceNamespace: this.sluiceNamespace, namespaceLabels }), policy };
  }

}

export const POLICY_GATE = Symbol('POLICY_GATE');
