import { z } from 'zod';

/** Response shapes of the catalogue API for the OpenAPI document (as `CatalogueQueries` and `GlobalSync` answer). */
const timestamp = z.string().nullable();

const repoSchema = z.object({
  fullName: z.string(),
  id: z.number().int().nullable(),
  defaultBranch: z.string().nullable(),
  private: z.boolean().nullable(),
  branches: z.number().int(),
  configs: z.number().int(),
  updatedAt: timestamp,
});

export const repoPageSchema = z.object({ items: z.array(repoSchema), next: z.string().nullable().describe('pass as ?after= for the next page') });
export const repoDetailSchema = repoSchema.extend({ configErrors: z.number().int(), configSha: z.string().nullable() });
export const branchListSchema = z.object({
  items: z.array(
    z.object({
      name: z.string(),
      headSha: z.string(),
      updatedAt: timestamp,
      headCommit: z.object({ message: z.string(), authorName: z.string().nullable(), timestamp: z.string().nullable() }).nullable(),
    }),
  ),
});
export const commitSchema = z.object({
  sha: z.string(),
  message: z.string().nullable(),
  authorName: z.string().nullable(),
  authorEmail: z.string().nullable(),
  timestamp: z.string().nullable(),
  builds: z.array(
    z.object({ name: z.string(), branch: z.string().nullable(), status: z.string(), conclusion: z.string().nullable(), url: z.string().nullable(), updatedAt: timestamp }),
  ),
});
export const repoConfigsSchema = z.object({
  configs: z.array(
    z
      .looseObject({
        name: z.string(),
        configSha: z.string(),
        updatedAt: timestamp,
        policy: z
          .object({ allowed: z.boolean(), pendingSelector: z.boolean().optional(), reason: z.string().optional(), message: z.string().optional() })
          .describe("the team policy's verdict: allowed false = never deployed (reason RepositoryNotAllowed, NamespaceNotAllowed or ReservedNamespace, and why)"),
      })
      .describe('a config root as in the repository'),
  ),
  errors: z.array(z.object({ path: z.string(), configSha: z.string(), errors: z.unknown(), updatedAt: timestamp })),
});
export const syncStartedSchema = z.object({ syncId: z.string(), started: z.boolean().describe('false: a sync was already running; its id is returned') });
export const syncProgressSchema = z.object({
  syncId: z.string(),
  state: z.enum(['running', 'completed', 'failed']),
  startedAt: z.string(),
  finishedAt: z.string().nullable(),
  repos: z.object({ done: z.number().int(), total: z.number().int().nullable() }),
  branches: z.number().int(),
  commits: z.number().int(),
  configs: z.number().int(),
  errors: z.array(z.object({ repo: z.string().nullable(), message: z.string() })),
});
