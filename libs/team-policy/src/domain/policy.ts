import type { z } from 'zod';
import type { clusterKind, labelSelector, teamPolicySpec } from '@sluice/contracts';

/**
 * A team's policy: which config repositories its configs may come from, which namespaces they
 * may deploy to, and which cluster-scoped kinds their specs may hold. Pure: the same inputs
 * always give the same verdict, and every refusal says what would have been allowed.
 */

export type TeamPolicySpec = z.infer<typeof teamPolicySpec>;
export type LabelSelector = z.infer<typeof labelSelector>;
export type ClusterKind = z.infer<typeof clusterKind>;

export interface TeamPolicy extends TeamPolicySpec {
  readonly team: string;
  /** Set through the admin `api`, by a TeamPolicy in the `cluster` (which wins), or the `default` of a team with neither. */
  readonly source: 'api' | 'cluster' | 'default';
}

/**
 * A team without a configured policy: configs from any repository, into `<team>` or
 * `<team>-<anything>` only, no cluster-scoped kinds. Reserved namespaces stay refused
 * (see `checkPlacement`), so a fresh install works for well-named teams and is safe for the rest.
 */
export function defaultPolicy(team: string): TeamPolicy {
  return { team, source: 'default', repositories: ['*'], namespaces: [team, `${team}-*`], namespaceSelector: null, clusterKinds: [] };
}

export type PolicyDenialReason = 'RepositoryNotAllowed' | 'NamespaceNotAllowed' | 'ReservedNamespace' | 'ClusterKindNotAllowed';

export type Verdict =
  | { readonly allowed: true; /** The namespace matched no name, and its labels were not known here: kube-applier decides by the selector. */ readonly pendingSelector?: boolean }
  | { readonly allowed: false; readonly reason: PolicyDenialReason; readonly message: string };

export const ALLOWED: Verdict = { allowed: true };

export interface Placement {
  readonly config: string;
  readonly team: string;
  readonly namespace: string;
  /** `owner/name` of the repository that defines the config. */
  readonly configRepo: string;
}

export interface PlacementContext {
  /** The namespace Sluice runs in: never a target, whatever a policy says. */
  readonly sluiceNamespace: string;
  /** The target namespace's labels where known (kube-applier reads them); undefined elsewhere. */
  readonly namespaceLabels?: Readonly<Record<string, string>>;
}

/** Whether a config of `team`, defined in `configRepo`, may deploy into `namespace`: `checkRepository`, then `checkNamespace`. */
export function checkPlacement(p: Placement, policy: TeamPolicy, ctx: PlacementContext): Verdict {
  const repository = checkRepository(p, policy);
  return repository.allowed ? checkNamespace(p, policy, ctx) : repository;
}

/** Whether the team's configs may be defined in `configRepo`. */
export function checkRepository(p: Placement, policy: TeamPolicy): Verdict {
  if (policy.repositories.some((pattern) => repositoryMatches(pattern, p.configRepo))) return ALLOWED;
  return deny('RepositoryNotAllowed', `config "${p.config}": ${whose(policy)} does not allow configs from ${p.configRepo} (allowed: ${listOf(policy.repositories)})`);
}

/**
 * Whether the team's configs may deploy into `namespace`. `kube-*` and `default` are reserved:
 * only a configured policy naming one exactly (not by a pattern or a selector) allows it.
 * Sluice's own namespace is never allowed.
 */
export function checkNamespace(p: Omit<Placement, 'configRepo'>, policy: TeamPolicy, ctx: PlacementContext): Verdict {
  if (p.namespace === ctx.sluiceNamespace) {
    return deny('ReservedNamespace', `config "${p.config}": namespace "${p.namespace}" is Sluice's own; no config may deploy there`);
  }
  if (isReserved(p.namespace)) {
    if (policy.source !== 'default' && policy.namespaces.includes(p.namespace)) return ALLOWED;
    return deny(
      'ReservedNamespace',
      `config "${p.config}": namespace "${p.namespace}" is reserved (kube-*, default); only a team policy naming it exactly allows it`,
    );
  }
  if (policy.namespaces.some((pattern) => namespaceMatches(pattern, p.namespace))) return ALLOWED;
  if (policy.namespaceSelector) {
    if (ctx.namespaceLabels === undefined) return { allowed: true, pendingSelector: true };
    if (selectorMatches(policy.namespaceSelector, ctx.namespaceLabels)) return ALLOWED;
  }
  const selector = policy.namespaceSelector ? ` or namespaces labelled ${describeSelector(policy.namespaceSelector)}` : '';
  return deny('NamespaceNotAllowed', `config "${p.config}": ${whose(policy)} does not allow namespace "${p.namespace}" (allowed: ${listOf(policy.namespaces)}${selector})`);
}

/** Whether a team's specs may hold a cluster-scoped object of this kind. */
export function checkClusterKind(object: { kind: string; group: string; name: string }, policy: TeamPolicy): Verdict {
  if (policy.clusterKinds.some((k) => k.kind === object.kind && k.group === object.group)) return ALLOWED;
  const kind = object.group ? `${object.kind}.${object.group}` : object.kind;
  return deny(
    'ClusterKindNotAllowed',
    `${object.kind} "${object.name}": ${kind} is cluster-scoped and ${whose(policy)} does not allow it (allowed: ${listOf(policy.clusterKinds.map((k) => (k.group ? `${k.kind}.${k.group}` : k.kind)))})`,
  );
}

export function isReserved(namespace: string): boolean {
  return namespace === 'default' || namespace.startsWith('kube-');
}

/**
 * Whether `repo` (`owner/name`, or a GitLab `group/subgroup…/name`) matches `pattern`: `*` matches
 * every repository; otherwise every segment but the last must equal the repository's (same depth),
 * and the last is a name, a prefix followed by `*`, or `*` — one segment. So `acme/*` matches
 * `acme/billing` but not `acme/platform/billing` (a subgroup is named by `acme/platform/*`): a
 * pattern never reaches deeper than it says. Case-insensitive, as GitHub's and GitLab's paths are.
 */
export function repositoryMatches(pattern: string, repo: string): boolean {
  if (pattern === '*') return true;
  const want = pattern.toLowerCase().split('/');
  const have = repo.toLowerCase().split('/');
  if (want.length < 2 || want.length !== have.length) return false;
  if (want.slice(0, -1).some((segment, i) => segment !== have[i])) return false;
  const name = want.at(-1)!;
  const repoName = have.at(-1)!;
  return name.endsWith('*') ? repoName.startsWith(name.slice(0, -1)) : name === repoName;
}

export function namespaceMatches(pattern: string, namespace: string): boolean {
  return pattern.endsWith('*') ? namespace.startsWith(pattern.slice(0, -1)) : pattern === namespace;
}

/** Kubernetes LabelSelector semantics; an empty selector matches every namespace. */
export function selectorMatches(selector: LabelSelector, labels: Readonly<Record<string, string>>): boolean {
  for (const [key, value] of Object.entries(selector.matchLabels ?? {})) if (labels[key] !== value) return false;
  for (const r of selector.matchExpressions ?? []) {
    const has = Object.prototype.hasOwnProperty.call(labels, r.key);
    const values = r.values ?? [];
    switch (r.operator) {
      case 'In':
        if (!has || !values.includes(labels[r.key]!)) return false;
        break;
      case 'NotIn':
        if (has && values.includes(labels[r.key]!)) return false;
        break;
      case 'Exists':
        if (!has) return false;
        break;
      case 'DoesNotExist':
        if (has) return false;
        break;
    }
  }
  return true;
}

function describeSelector(selector: LabelSelector): string {
  const parts = [
    ...Object.entries(selector.matchLabels ?? {}).map(([k, v]) => `${k}=${v}`),
    ...(selector.matchExpressions ?? []).map((r) => `${r.key} ${r.operator}${r.values?.length ? ` (${r.values.join(', ')})` : ''}`),
  ];
  return parts.length ? parts.join(', ') : '(any)';
}

function whose(policy: TeamPolicy): string {
  if (!policy.team) return 'the team policy';
  if (policy.source === 'default') return `the default policy of team "${policy.team}"`;
  return policy.source === 'cluster' ? `TeamPolicy "${policy.team}"` : `the policy of team "${policy.team}"`;
}

function listOf(items: readonly string[]): string {
  return items.length ? items.join(', ') : 'none';
}

function deny(reason: PolicyDenialReason, message: string): Verdict {
  return { allowed: false, reason, message };
}
