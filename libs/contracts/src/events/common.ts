import { z } from 'zod';

export const sha = z.string().regex(/^[0-9a-f]{40}$/, 'a 40-character lowercase hex commit SHA');
export const repoFullName = z
  .string()
  .regex(/^[A-Za-z0-9_.-]+\/[A-Za-z0-9_.-]+$/, 'an owner/name repository full name');
export const configName = z
  .string()
  .regex(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/, 'a DNS label: lowercase letters, digits and -')
  .max(63);

export const commitSummary = z.object({
  sha,
  message: z.string(),
  authorName: z.string().nullable(),
  authorEmail: z.string().nullable(),
  timestamp: z.string().nullable(),
});
export type CommitSummary = z.infer<typeof commitSummary>;

export const repoRef = z.object({
  fullName: repoFullName,
  id: z.number().int().nullable(),
  defaultBranch: z.string().min(1),
  private: z.boolean(),
});
export type RepoRef = z.infer<typeof repoRef>;

/** Root fields of a deploy config (`deploy/<name>/deploy.yaml`), docs/architecture.md §1. */
export const deployConfigRoot = z.object({
  name: configName,
  team: z.string().min(1),
  namespace: configName,
  artifact: z
    .object({
      repo: repoFullName,
      image: z.string().min(1),
      build: z.string().min(1).nullable(),
    })
    .nullable(),
  track: z.object({ branch: z.string().min(1) }),
  autodeploy: z.boolean(),
  /** `owner/name` of the config repository and folder path, e.g. `deploy/billing-api`. */
  configRepo: repoFullName,
  path: z.string().min(1),
});
export type DeployConfigRoot = z.infer<typeof deployConfigRoot>;

export const deployCause = z.enum(['manual', 'autodeploy', 'reapply', 'undeploy']);
export type DeployCause = z.infer<typeof deployCause>;

export const deployPhase = z.enum(['queued', 'applying', 'applied', 'succeeded', 'failed', 'superseded']);
export type DeployPhase = z.infer<typeof deployPhase>;
