import { z } from 'zod';

export const sha = z.string().regex(/^[0-9a-f]{40}$/, 'a 40-character lowercase hex commit SHA');
/** GitHub's and Bitbucket's repository names: exactly `owner/name` (`workspace/slug`). */
export const OWNER_NAME_PATTERN = /^[A-Za-z0-9_.-]+\/[A-Za-z0-9_.-]+$/;
/**
 * Any repository path Sluice names (docs/architecture.md §2 "Repository identity"): `owner/name`,
 * or a GitLab project's `group(/subgroup)*\/name` — GitLab nests groups up to 20 deep, so 2 to
 * 21 segments of [A-Za-z0-9_.-]. Where the provider is known (`repoRef`, `checkRepoPath`) a
 * GitHub or Bitbucket path must still be exactly `owner/name`.
 */
export const REPO_PATH_PATTERN = /^[A-Za-z0-9_.-]+(\/[A-Za-z0-9_.-]+){1,20}$/;
export const repoFullName = z
  .string()
  .regex(REPO_PATH_PATTERN, 'an owner/name repository full name (GitLab: group/subgroup/name, up to 20 nested groups)');

/** Whether `path` is a repository path `provider` can have: `owner/name`, or on GitLab also `group/subgroup…/name`. */
export function isRepoPathOf(provider: string, path: string): boolean {
  return provider === 'gitlab' ? REPO_PATH_PATTERN.test(path) : OWNER_NAME_PATTERN.test(path);
}

/** The problem of a repository path under a known provider (GitHub and Bitbucket: only `owner/name`), or null. */
export function repoPathProblem(provider: string, path: string): string | null {
  if (isRepoPathOf(provider, path)) return null;
  return provider === 'gitlab' ? 'a GitLab project path: group/name or group/subgroup/name (up to 20 nested groups)' : `a ${provider} repository full name is owner/name (subgroup paths are GitLab's only)`;
}
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

/** The source-control providers Sluice reads and writes. */
export const scmProvider = z.enum(['github', 'gitlab', 'bitbucket']);
export type ScmProvider = z.infer<typeof scmProvider>;

export const repoRefV1 = z.object({
  /** Written only by GitHub (events before `provider`): `owner/name`. */
  fullName: z.string().regex(OWNER_NAME_PATTERN, 'an owner/name repository full name'),
  id: z.number().int().nullable(),
  defaultBranch: z.string().min(1),
  private: z.boolean(),
});

/**
 * A repository (docs/architecture.md §2 "Repository identity"): its identity is the provider and
 * the provider's id; `fullName` is its current name, which a rename or transfer changes. `id` is
 * null only when the provider did not say (events written before ids were recorded).
 */
export const repoRef = repoRefV1.extend({ provider: scmProvider, fullName: repoFullName }).superRefine((repo, ctx) => {
  const problem = repoPathProblem(repo.provider, repo.fullName);
  if (problem) ctx.addIssue({ code: 'custom', path: ['fullName'], message: problem });
});
export type RepoRef = z.infer<typeof repoRef>;

/** Lifts an event whose `repo` predates `provider`: every such event came from GitHub. */
export function withGithubRepo<T extends { repo: z.infer<typeof repoRefV1> }>(data: T): Omit<T, 'repo'> & { repo: RepoRef } {
  return { ...data, repo: { ...data.repo, provider: 'github' } };
}

/**
 * The builder of a config that builds its own image (docs/architecture.md §1 "Builds"): a
 * Kubernetes Job that turns a commit into `<artifact.image>:<ref>-<shortsha>`.
 */
export const builderSpec = z.object({
  image: z
    .string()
    .regex(/^[a-z0-9]+([._-][a-z0-9]+)*(:[0-9]+)?(\/[a-z0-9]+([._-][a-z0-9]+)*)*(:[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}|@sha256:[0-9a-f]{64})$/, 'a builder image reference with a tag or a sha256 digest, e.g. ghcr.io/acme/builder:1.2'),
  command: z.array(z.string().max(4096)).min(1).max(64),
  args: z.array(z.string().max(4096)).max(256).optional(),
  env: z.record(z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'an environment variable name'), z.string()).optional(),
  timeoutSeconds: z.number().int().min(30).max(21_600),
  serviceAccount: z.string().min(1).max(253).optional(),
});
export type BuilderSpec = z.infer<typeof builderSpec>;

/**
 * A GitOps target (docs/architecture.md §1 "GitOps target"): instead of applying to the cluster,
 * a deploy commits its image tag at `key` of the YAML file `path` on `branch` of `repo`, and
 * Argo CD application `argocd.app` (when set) is synced to that commit and followed.
 */
export const gitOpsTarget = z.object({
  repo: repoFullName,
  branch: z.string().min(1).max(255),
  path: z
    .string()
    .regex(/^(?!\/)(?!.*(^|\/)\.\.?(\/|$))[A-Za-z0-9_.\/-]+\.ya?ml$/, 'a relative path of a .yaml file in the repository, e.g. apps/billing/values.yaml'),
  key: z.string().regex(/^[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)*$/, 'dot-separated mapping keys, e.g. image.tag'),
  argocd: z
    .object({ app: z.string().regex(/^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/, 'an Argo CD application name').max(253) })
    .nullable(),
});
export type GitOpsTarget = z.infer<typeof gitOpsTarget>;

/**
 * A config's post-deploy tests (docs/architecture.md §1 "Steps"): after a healthy apply, Sluice runs
 * `command` in `image` as a Job in the config's namespace, on a bounded pool of test slots; the
 * result is the deploy's `test` step.
 */
export const testsSpec = z.object({
  image: z.string().min(1).regex(/^[^\s]+$/, 'an image reference, e.g. ghcr.io/acme/billing-tests:1.4'),
  command: z.array(z.string().min(1)).min(1).max(64),
  timeoutSeconds: z.number().int().min(1).max(3600),
});
export type TestsSpec = z.infer<typeof testsSpec>;

/**
 * A config's pull-request preview environments (docs/architecture.md §1 "Previews"): a pull request
 * on `artifact.repo` with a green build of its head is deployed into one of `slots` slots, as
 * `<config>-pr-<n>` in `namespace`, until `ttlSeconds` after its last push or until it closes.
 * `host` names its URL, `{pr}` replaced by the pull request's number (null: no URL).
 */
export const previewsSpec = z.object({
  slots: z.number().int().min(1).max(50),
  ttlSeconds: z.number().int().min(60).max(30 * 86_400),
  namespace: configName,
  host: z
    .string()
    .max(253)
    .regex(/^(?=.*\{pr\})[a-z0-9{}.-]+$/, 'a host name with {pr} for the pull request number, e.g. pr-{pr}.billing.preview.example.com')
    .nullable(),
});
export type PreviewsSpec = z.infer<typeof previewsSpec>;

/** What a build is for: `staging` follows `track.branch`, `production` the tags matching `track.tags`. */
export const buildTarget = z.enum(['staging', 'production']);
export type BuildTarget = z.infer<typeof buildTarget>;

/** A path relative to the config's folder and inside it: no leading `/`, no `.` or `..` segment. */
const folderRelativePath = z
  .string()
  .max(255)
  .regex(/^(?!\/)(?!.*(^|\/)\.\.?(\/|$))[A-Za-z0-9_.\/-]+$/, "a relative path inside the config's folder, without . or .. segments");

/**
 * A Helm chart a config renders (docs/architecture.md §1 "Helm and Kustomize"): `chart` is the
 * chart's name; it is either in the config's folder (`path`) or in the chart repository `repo`
 * (an http(s) URL whose host kube-applier allows) at `version`; `values` are values files in the
 * folder, applied in order. `checkHelmSpec` holds the rules between the fields.
 */
export const helmSpec = z.object({
  chart: z.string().max(100).regex(/^[A-Za-z0-9]([A-Za-z0-9_.-]*[A-Za-z0-9])?$/, 'a chart name, e.g. billing-api'),
  path: folderRelativePath.optional(),
  repo: z
    .string()
    .max(2048)
    .regex(/^https?:\/\/[^\s/?#@]+(\/[^\s?#]*)?$/, 'a chart repository URL, http(s)://host[:port]/path, without credentials, query or fragment')
    .optional(),
  version: z.string().max(100).regex(/^[A-Za-z0-9][A-Za-z0-9.+_-]*$/, 'a chart version, e.g. 1.4.2').optional(),
  values: z.array(folderRelativePath.regex(/\.ya?ml$/, 'a .yaml or .yml values file')).max(20).optional(),
});
export type HelmSpec = z.infer<typeof helmSpec>;

/** The rules between a helm block's fields: exactly one of `path` and `repo`; `version` with `repo`. Each problem names its field. */
export function checkHelmSpec(spec: HelmSpec): Array<{ path: string; message: string }> {
  const problems: Array<{ path: string; message: string }> = [];
  if ((spec.path === undefined) === (spec.repo === undefined)) {
    problems.push({ path: spec.path === undefined ? 'path' : 'repo', message: 'exactly one of path (a chart in the folder) and repo (a chart repository URL)' });
  }
  if (spec.repo !== undefined && spec.version === undefined) problems.push({ path: 'version', message: 'required with repo: the chart version to render, pinned' });
  return problems;
}

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
  /** `tags`: a glob (`v*`) of the tags that build and deploy (production); absent = tags do nothing. */
  track: z.object({ branch: z.string().min(1), tags: z.string().min(1).optional() }),
  autodeploy: z.boolean(),
  /** Present when Sluice builds the image itself (absent = external CI builds it). */
  build: builderSpec.optional(),
  /** Present when deploys go through a GitOps repository instead of the cluster (absent = kube-applier applies). */
  target: z.object({ gitops: gitOpsTarget }).optional(),
  /** Present when the config declares post-deploy tests. */
  tests: testsSpec.optional(),
  /** Present when pull requests on `artifact.repo` get preview environments. */
  previews: previewsSpec.optional(),
  /** Present when the config renders a Helm chart (docs/architecture.md §1 "Helm and Kustomize"). */
  helm: helmSpec.optional(),
  /** `owner/name` of the config repository and folder path, e.g. `deploy/billing-api`. */
  configRepo: repoFullName,
  /** The config repository's provider when it is not GitHub (absent = github, as every config read before it existed). */
  configRepoProvider: scmProvider.optional(),
  path: z.string().min(1),
});
export type DeployConfigRoot = z.infer<typeof deployConfigRoot>;

export const deployCause = z.enum(['manual', 'autodeploy', 'reapply', 'undeploy']);
export type DeployCause = z.infer<typeof deployCause>;

export const deployPhase = z.enum(['queued', 'applying', 'applied', 'succeeded', 'failed', 'superseded']);

/**
 * The steps of a deploy, in order (docs/architecture.md §1 "Steps"): resolve the pair and tag
 * (autodeploy), check the image in its registry, build it when it is missing and the config has
 * a `build` (a BuildRun, the step's child), render the specs, apply them (or commit the tag to a
 * GitOps target), wait until healthy (or Argo CD's verdict), run the config's tests.
 */
export const DEPLOY_STEPS = ['resolve', 'check-image', 'build', 'render', 'apply', 'wait-healthy', 'test'] as const;
export const deployStepName = z.enum(DEPLOY_STEPS);
export type DeployStepName = z.infer<typeof deployStepName>;
export const deployStepState = z.enum(['pending', 'started', 'done', 'failed', 'skipped']);
export type DeployStepState = z.infer<typeof deployStepState>;
export type DeployPhase = z.infer<typeof deployPhase>;
