import { z } from 'zod';

/**
 * Events on `sluice.auth.v1` (key: stream `auth-token-<id>`), appended by autodeploy when
 * an admin issues or revokes a team token, so that every other service can verify team
 * tokens from a projection of its own. Never the token itself: only its SHA-256.
 */

/** The id part of a team token `sl_<id>_<secret>`. */
export const tokenId = z.string().regex(/^[0-9a-f]{16}$/, 'a token id (16 lowercase hex characters)');

export const tokenIssuedV1 = z.object({
  id: tokenId,
  team: z.string().min(1),
  /** SHA-256 of the token, lowercase hex. */
  tokenHash: z.string().regex(/^[0-9a-f]{64}$/, 'a SHA-256 as 64 lowercase hex characters'),
  /** Who issued it: `admin`. */
  createdBy: z.string().min(1),
});

export const tokenRevokedV1 = z.object({
  id: tokenId,
  /** Who revoked it: `admin`. */
  revokedBy: z.string().min(1),
});

/**
 * Team policies (key: stream `team-policy-<team>`), appended by autodeploy when an admin sets
 * or removes a team's policy, so every service that enforces it (repo-sync reports, autodeploy
 * decides, kube-applier applies) keeps a projection of its own.
 */

/** A team name: a DNS label, so it can name a namespace prefix and never a path. */
export const teamName = z
  .string()
  .regex(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/, 'a team name is a DNS label: lowercase letters, digits and -, starting and ending with a letter or digit')
  .max(63);

const labelSelectorRequirement = z.object({
  key: z.string().min(1).max(317),
  operator: z.enum(['In', 'NotIn', 'Exists', 'DoesNotExist']),
  values: z.array(z.string().max(63)).max(100).optional(),
});

/** A Kubernetes LabelSelector: every `matchLabels` pair and every `matchExpressions` requirement must hold. */
export const labelSelector = z
  .object({
    matchLabels: z.record(z.string().min(1).max(317), z.string().max(63)).optional(),
    matchExpressions: z.array(labelSelectorRequirement).max(50).optional(),
  })
  .strict();

/** A cluster-scoped kind a team's specs may hold (Argo CD's clusterResourceWhitelist shape); group "" is the core group. */
export const clusterKind = z.object({ group: z.string().max(253), kind: z.string().regex(/^[A-Z][A-Za-z0-9]*$/, 'a Kubernetes kind, e.g. ClusterRole') }).strict();

/** Where a team's configs may come from and deploy to. */
export const teamPolicySpec = z
  .object({
    /**
     * Config repositories the team's configs may be defined in: `owner/name`, `owner/prefix*`,
     * `owner/*` or `*`; for GitLab subgroups `group/sub/name`, `group/sub/prefix*`, `group/sub/*`.
     * A wildcard covers the last segment only: `acme/*` does not match `acme/sub/x` (docs/architecture.md §6).
     */
    repositories: z
      .array(
        z
          .string()
          .regex(
            /^(\*|[A-Za-z0-9][A-Za-z0-9_.-]*(\/[A-Za-z0-9_.-]+){0,20}\/(\*|[A-Za-z0-9_.-]+\*?))$/,
            'a repository: owner/name, owner/prefix*, owner/* or * (GitLab: group/subgroup/name, group/subgroup/*)',
          ),
      )
      .max(500),
    /** Target namespaces by name: exact, or a prefix followed by `*` (e.g. `payments-*`). */
    namespaces: z.array(z.string().regex(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?(-?\*)?$|^\*$/, 'a namespace name, or a prefix ending in *')).max(500),
    /** Target namespaces by label; evaluated by kube-applier, which reads the namespace. */
    namespaceSelector: labelSelector.nullable().default(null),
    /** Cluster-scoped kinds the team's specs may hold; none by default. */
    clusterKinds: z.array(clusterKind).max(100).default([]),
  })
  .strict();

/**
 * Where a policy was set: `api` (the admin API, stream `team-policy-<team>`) or `cluster` (a
 * TeamPolicy object, mirrored by kube-applier on stream `cluster-team-policy-<team>`). A team's
 * cluster policy wins over its API policy.
 */
export const teamPolicySource = z.enum(['api', 'cluster']);

export const teamPolicySetV1 = z.object({
  team: teamName,
  source: teamPolicySource,
  policy: teamPolicySpec,
  /** Who set it: `admin`, or `TeamPolicy/<name>` for the cluster. */
  setBy: z.string().min(1),
});

export const teamPolicyRemovedV1 = z.object({
  team: teamName,
  source: teamPolicySource,
  /** Who removed it. Without a policy from either source, the team is back to the default policy. */
  removedBy: z.string().min(1),
});
