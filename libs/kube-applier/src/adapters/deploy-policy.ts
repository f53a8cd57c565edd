import type { KubeClient } from '@sluice/kube';
import { checkNamespace, checkRepository, type PolicyGate, type TeamPolicy, type Verdict } from '@sluice/team-policy';
import type { DeployPolicy } from '../application/ports';

/** The team policy with the target namespace's labels read from the cluster (only when the policy has a selector). */
export class ClusterDeployPolicy implements DeployPolicy {
  constructor(
    private readonly gate: PolicyGate,
    private readonly kube: KubeClient | null,
  ) {}

  policyOf(team: string): Promise<TeamPolicy> {
    return this.gate.policyOf(team);
  }

  async placement(target: { config: string; team: string; namespace: string; configRepo?: string }, policy: TeamPolicy): Promise<Verdict> {
    if (target.configRepo !== undefined) {
      const repository = checkRepository({ ...target, configRepo: target.configRepo }, policy);
      if (!repository.allowed) return repository;
    }
    const namespaceLabels = policy.namespaceSelector && this.kube ? await this.labelsOf(target.namespace) : undefined;
    return checkNamespace(target, policy, { sluiceNamespace: this.gate.sluiceNamespace, namespaceLabels });
  }

  /** A namespace that does not exist has no labels (the apply then fails on its own). */
  private async labelsOf(namespace: string): Promise<Record<string, string>> {
    const ns = await this.kube!.find({ apiVersion: 'v1', kind: 'Namespace', name: namespace });
    return ns?.metadata.labels ?? {};
  }
}
