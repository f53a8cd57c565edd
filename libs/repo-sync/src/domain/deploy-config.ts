import { builderSpec, checkHelmSpec, configName, gitOpsTarget, helmSpec, previewsSpec, repoFullName, repoPathProblem, teamName, testsSpec, type DeployConfigRoot, type ScmProvider } from '@sluice/contracts';
import { parseDocument } from 'yaml';
import { z } from 'zod';

/** One problem with a `deploy.yaml`, naming the field (`artifact.repo`) or `(yaml)` for syntax. */
export interface ConfigFieldError {
  readonly path: string;
  readonly message: string;
}

export type ParsedConfig =
  | { readonly ok: true; readonly config: DeployConfigRoot }
  | { readonly ok: false; readonly path: string; readonly errors: readonly ConfigFieldError[] };

/** Largest `deploy.yaml` read; a config root is a few lines. */
export const MAX_DEPLOY_YAML_BYTES = 64 * 1024;

/**
 * The file's own shape (docs/architecture.md §1). Unknown keys are refused so that a typo
 * (`autodeplooy: true`) is reported instead of silently meaning "off".
 */
const deployYamlSchema = z.strictObject({
  name: configName.optional(),
  // A DNS label (the rule team policies, tokens and namespaces prefixes use), never a path.
  team: teamName,
  namespace: configName,
  artifact: z
    .strictObject({
      repo: repoFullName,
      image: z
        .string()
        .min(1)
        .regex(/^[^\s:@]+(:\d+)?(\/[^\s:@]+)*$/, 'an image name without tag or digest, e.g. ghcr.io/acme/billing'),
      build: z.string().min(1).nullable().optional(),
    })
    .nullable()
    .optional(),
  track: z.strictObject({ branch: z.string().min(1).optional(), tags: z.string().min(1).max(255).optional() }).nullable().optional(),
  autodeploy: z.boolean().default(false),
  build: builderSpec.strict().optional(),
  target: z.strictObject({ gitops: gitOpsTarget.extend({ argocd: gitOpsTarget.shape.argocd.unwrap().strict().nullable().optional() }).strict() }).optional(),
  tests: testsSpec
    .extend({
      // A command line is split on spaces; a list is taken as it is.
      command: z.union([z.string().min(1).transform((s) => s.trim().split(/\s+/)), testsSpec.shape.command]),
      timeoutSeconds: testsSpec.shape.timeoutSeconds.default(600),
    })
    .strict()
    .optional(),
  previews: z
    .strictObject({
      slots: previewsSpec.shape.slots.default(3),
      // `90m`, `48h`, `7d`: how long a preview lives after its pull request's last push.
      ttl: z
        .string()
        .regex(/^[1-9][0-9]{0,5}[mhd]$/, 'a duration in minutes, hours or days, e.g. 90m, 48h, 7d')
        .default('48h')
        .transform((ttl) => Number(ttl.slice(0, -1)) * { m: 60, h: 3600, d: 86_400 }[ttl.slice(-1) as 'm' | 'h' | 'd'])
        .pipe(previewsSpec.shape.ttlSeconds),
      namespace: configName.optional(),
      host: previewsSpec.shape.host.unwrap().optional(),
    })
    .optional(),
  // A Helm chart rendered instead of the folder's plain specs (docs/architecture.md §1 "Helm and Kustomize").
  helm: helmSpec.strict().optional(),
});

/** `deploy/<name>/deploy.yaml` → `deploy/<name>`, or null for any other path. */
export function configFolderOf(filePath: string): string | null {
  const match = /^deploy\/([^/]+)\/deploy\.ya?ml$/.exec(filePath);
  return match ? `deploy/${match[1]}` : null;
}

/**
 * Parses and validates one `deploy.yaml`. Pure and total: bad YAML, a wrong type, a
 * missing field — each becomes a field-named error, never an exception.
 */
export function parseDeployConfig(input: {
  readonly configRepo: string;
  /** The config repository's provider; recorded in the root only when it is not GitHub (a GitHub config's root is as before). */
  readonly configRepoProvider?: ScmProvider;
  /** The config's folder, `deploy/<folder>`. */
  readonly folder: string;
  readonly content: string;
  readonly defaultBranch: string;
}): ParsedConfig {
  const fail = (errors: ConfigFieldError[]): ParsedConfig => ({ ok: false, path: input.folder, errors });
  if (Buffer.byteLength(input.content, 'utf8') > MAX_DEPLOY_YAML_BYTES) {
    return fail([{ path: '(file)', message: `larger than ${MAX_DEPLOY_YAML_BYTES} bytes` }]);
  }
  let data: unknown;
  try {
    const doc = parseDocument(input.content, { uniqueKeys: true, prettyErrors: false });
    if (doc.errors.length > 0) {
      return fail(doc.errors.map((e) => ({ path: '(yaml)', message: `${e.message.split('\n')[0]}` })));
    }
    data = doc.toJS({ maxAliasCount: 50 });
  } catch (error) {
    return fail([{ path: '(yaml)', message: (error as Error).message.split('\n')[0] }]);
  }
  if (data === null || data === undefined) return fail([{ path: '(file)', message: 'empty; expected a mapping with team and namespace' }]);
  if (typeof data !== 'object' || Array.isArray(data)) return fail([{ path: '(file)', message: 'expected a mapping' }]);

  const parsed = deployYamlSchema.safeParse(data);
  const folderName = input.folder.slice('deploy/'.length);
  const errors: ConfigFieldError[] = parsed.success
    ? []
    : parsed.error.issues.map((issue) => ({
        path: issue.path.length > 0 ? issue.path.join('.') : (issue.code === 'unrecognized_keys' ? issue.keys.join(', ') : '(file)'),
        message:
          issue.code === 'invalid_type' && /received undefined/.test(issue.message)
            ? 'required'
            : issue.code === 'unrecognized_keys'
              ? `unknown field(s): ${issue.keys.join(', ')}`
              : issue.message,
      }));
  if (parsed.success && parsed.data.name === undefined && !configName.safeParse(folderName).success) {
    errors.push({ path: 'name', message: `the folder name "${folderName}" is not a valid config name (a DNS label); set name` });
  }
  // The artifact repository is on the config repository's provider: a subgroup path (group/sub/name) only on GitLab.
  const artifactProblem = parsed.success && parsed.data.artifact ? repoPathProblem(input.configRepoProvider ?? 'github', parsed.data.artifact.repo) : null;
  if (artifactProblem) errors.push({ path: 'artifact.repo', message: artifactProblem });
  if (parsed.success && parsed.data.build && !parsed.data.artifact) {
    errors.push({ path: 'build', message: 'a build makes the image of artifact.image: set artifact (repo and image)' });
  }
  if (parsed.success && parsed.data.track?.tags !== undefined && !parsed.data.artifact) {
    errors.push({ path: 'track.tags', message: 'tags deploy the image built from a tag: set artifact (repo and image)' });
  }
  if (parsed.success && parsed.data.target && parsed.data.tests) {
    errors.push({ path: 'tests', message: 'tests run in the cluster Sluice applies to; a GitOps target is deployed by Argo CD: remove tests or target' });
  }
  if (parsed.success && parsed.data.previews && !parsed.data.artifact) {
    errors.push({ path: 'previews', message: 'a preview deploys the image built for a pull request on artifact.repo: set artifact (repo and image)' });
  }
  if (parsed.success && parsed.data.previews && parsed.data.target) {
    errors.push({ path: 'previews', message: 'previews are applied to the cluster; a GitOps target is deployed by Argo CD: remove previews or target' });
  }
  if (parsed.success && parsed.data.previews && !parsed.data.previews.namespace && !configName.safeParse(`${parsed.data.namespace}-preview`).success) {
    errors.push({ path: 'previews.namespace', message: `"${parsed.data.namespace}-preview" is too long for a namespace; set previews.namespace` });
  }
  if (parsed.success && parsed.data.target && !parsed.data.artifact) {
    errors.push({ path: 'target.gitops', message: 'a GitOps target commits the image tag of artifact.image: set artifact (repo and image)' });
  }
  if (parsed.success && parsed.data.helm) {
    for (const problem of checkHelmSpec(parsed.data.helm)) errors.push({ path: `helm.${problem.path}`, message: problem.message });
    if (parsed.data.target) errors.push({ path: 'helm', message: 'a GitOps target is rendered by Argo CD from the GitOps repository: remove helm or target' });
  }
  if (!parsed.success || errors.length > 0) return fail(errors);
  const file = parsed.data;
  return {
    ok: true,
    config: {
      name: file.name ?? folderName,
      team: file.team,
      namespace: file.namespace,
      artifact: file.artifact ? { repo: file.artifact.repo, image: file.artifact.image, build: file.artifact.build ?? null } : null,
      // Optional fields only when set, so a config written before they existed compares equal.
      track: { branch: file.track?.branch ?? input.defaultBranch, ...(file.track?.tags !== undefined ? { tags: file.track.tags } : {}) },
      autodeploy: file.autodeploy,
      ...(file.build ? { build: file.build } : {}),
      ...(file.target ? { target: { gitops: { ...file.target.gitops, argocd: file.target.gitops.argocd ?? null } } } : {}),
      ...(file.tests ? { tests: file.tests } : {}),
      ...(file.previews
        ? { previews: { slots: file.previews.slots, ttlSeconds: file.previews.ttl, namespace: file.previews.namespace ?? `${file.namespace}-preview`, host: file.previews.host ?? null } }
        : {}),
      ...(file.helm ? { helm: file.helm } : {}),
      configRepo: input.configRepo,
      ...(input.configRepoProvider && input.configRepoProvider !== 'github' ? { configRepoProvider: input.configRepoProvider } : {}),
      path: input.folder,
    },
  };
}
