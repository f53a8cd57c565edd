import type { PolicyGate } from '@sluice/team-policy';

interface ConfigRoot {
  name: string;
  team: string;
  namespace: string;
  configRepo: string;
}

/** What the catalogue says of a config under its team's policy: allowed, pending a namespace label check, or refused and why. */
export type PolicyVerdictView = { allowed: true; pendingSelector?: true } | { allowed: false; reason: string; message: string };

/**
 * Adds the team policy's verdict to each config of a repository, judged now (a policy changed
 * since the scan shows at once). A refused config is never deployed: autodeploy and
 * kube-applier refuse it too. Labels are not known here, so a namespace matched only by a label
 * selector shows `pendingSelector` (kube-applier decides).
 */
export async function withPolicyVerdicts<T extends { configs: Array<Record<string, unknown>> }>(page: T, gate: PolicyGate): Promise<T> {
  const configs = await Promise.all(
    page.configs.map(async (config) => {
      const root = config as unknown as ConfigRoot;
      const verdict = await gate.placement({ config: root.name, team: root.team, namespace: root.namespace, configRepo: root.configRepo });
      const policy: PolicyVerdictView = verdict.allowed
        ? { allowed: true, ...(verdict.pendingSelector ? { pendingSelector: true as const } : {}) }
        : { allowed: false, reason: verdict.reason, message: verdict.message };
      return { ...config, policy };
    }),
  );
  return { ...page, configs };
}
