import { builderSpec, checkHelmSpec, helmSpec, type BuilderSpec, type HelmSpec } from '@sluice/contracts';
import { parseAllDocuments, parseDocument } from 'yaml';
import { RenderError } from './errors';
import type { SpecFile } from './render';

/**
 * What a config folder renders from (docs/architecture.md §1 "Helm and Kustomize"), decided from
 * its files at the deploy's configSha: its plain `*.yaml` specs; the output of `kustomize build`
 * when it holds a kustomization file; or the output of `helm template` when its `deploy.yaml` has
 * a `helm` block. Pure.
 */
export type ConfigSource =
  | { readonly kind: 'plain' }
  /** `file`: the folder's kustomization file, e.g. `deploy/billing-api/kustomization.yaml`. */
  | { readonly kind: 'kustomize'; readonly file: string }
  /** `file`: the `deploy.yaml` that holds the block. */
  | { readonly kind: 'helm'; readonly helm: HelmSpec; readonly file: string };

/** The names kustomize looks for in a directory, in its order. */
export const KUSTOMIZATION_FILES: readonly string[] = ['kustomization.yaml', 'kustomization.yml', 'Kustomization'];

/** The fields of a kustomization that name files or directories kustomize loads. */
const LOADED_FIELDS = ['resources', 'bases', 'components', 'crds', 'configurations', 'generators', 'transformers', 'validators'];

/** A path relative to `folder` (`folder/a/b` → `a/b`), or null outside it. */
export function relativeToFolder(folder: string, path: string): string | null {
  const prefix = folder.replace(/\/+$/, '') + '/';
  return path.startsWith(prefix) ? path.slice(prefix.length) : null;
}

/** What `folder` renders from. Throws RenderError for a folder that is both, or a helm block that is not valid. */
export function configSourceOf(folder: string, files: readonly SpecFile[]): ConfigSource {
  const direct = new Map<string, SpecFile>();
  for (const file of files) {
    const rel = relativeToFolder(folder, file.path);
    if (rel !== null && !rel.includes('/')) direct.set(rel, file);
  }
  const kustomization = KUSTOMIZATION_FILES.map((name) => direct.get(name)).find((f) => f !== undefined);
  const deployFile = direct.get('deploy.yaml') ?? direct.get('deploy.yml');
  const helm = deployFile ? helmBlockOf(deployFile) : undefined;
  if (helm && kustomization) {
    throw new RenderError('InvalidManifest', `the folder holds ${kustomization.path} and a helm block: a config renders with Kustomize or with Helm, not both`, deployFile!.path);
  }
  if (helm && deployFile) return { kind: 'helm', helm, file: deployFile.path };
  if (kustomization) return { kind: 'kustomize', file: kustomization.path };
  return { kind: 'plain' };
}

/**
 * The `build` block of the folder's deploy.yaml at configSha (docs/architecture.md §1 "Builds"),
 * with the rules repo-sync applies; undefined when there is none, or when it is not valid (repo-sync
 * reports that deploy.yaml; a deploy then does not build).
 */
export function builderOf(folder: string, files: readonly SpecFile[]): BuilderSpec | undefined {
  const file = files.find((f) => ['deploy.yaml', 'deploy.yml'].includes(relativeToFolder(folder, f.path) ?? ''));
  if (!file || !/^build\s*:/m.test(file.content)) return undefined;
  const doc = parseDocument(file.content, { prettyErrors: false });
  if (doc.errors.length > 0) return undefined;
  const root: unknown = doc.toJS({ maxAliasCount: 50 });
  const block = typeof root === 'object' && root !== null ? (root as Record<string, unknown>)['build'] : undefined;
  const parsed = builderSpec.strict().safeParse(block);
  return parsed.success ? parsed.data : undefined;
}

/** The `helm` block of a deploy.yaml at configSha, checked with the rules repo-sync applies; undefined when there is none. */
function helmBlockOf(file: SpecFile): HelmSpec | undefined {
  // Only a file that has one is parsed: a plain config deploys whatever else its deploy.yaml says at that commit.
  if (!/^helm\s*:/m.test(file.content)) return undefined;
  const doc = parseDocument(file.content, { prettyErrors: false });
  if (doc.errors.length > 0) throw new RenderError('InvalidManifest', `YAML does not parse: ${doc.errors[0].message.split('\n')[0]}`, file.path);
  const root: unknown = doc.toJS({ maxAliasCount: 50 });
  const block = typeof root === 'object' && root !== null ? (root as Record<string, unknown>)['helm'] : undefined;
  if (block === undefined || block === null) return undefined;
  const parsed = helmSpec.strict().safeParse(block);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new RenderError('InvalidManifest', `helm${issue.path.length ? '.' + issue.path.join('.') : ''}: ${issue.message}`, file.path);
  }
  const problem = checkHelmSpec(parsed.data)[0];
  if (problem) throw new RenderError('InvalidManifest', `helm.${problem.path}: ${problem.message}`, file.path);
  return parsed.data;
}

/**
 * Refuses what would make `kustomize build` reach the network or run code: a remote resource,
 * base or component (a URL or a git repository), and an inline Helm chart (`helmCharts`: use the
 * helm block). Every kustomization file of the folder is checked; one that does not parse is
 * left to kustomize, which names the file and line.
 */
export function checkKustomizations(folder: string, files: readonly SpecFile[]): void {
  for (const file of files) {
    const rel = relativeToFolder(folder, file.path);
    if (rel === null || !KUSTOMIZATION_FILES.includes(rel.slice(rel.lastIndexOf('/') + 1))) continue;
    const problem = yamlProblemOf(file);
    if (problem) throw problem;
    const root: unknown = parseDocument(file.content, { prettyErrors: false }).toJS({ maxAliasCount: 50 });
    if (typeof root !== 'object' || root === null || Array.isArray(root)) continue;
    const fields = root as Record<string, unknown>;
    for (const field of ['helmCharts', 'helmChartInflationGenerator', 'helmGlobals']) {
      if (fields[field] !== undefined) throw new RenderError('InvalidManifest', `${field}: Kustomize does not render Helm charts here; declare the chart in deploy.yaml's helm block`, file.path);
    }
    const named = LOADED_FIELDS.flatMap((field) => (Array.isArray(fields[field]) ? (fields[field] as unknown[]).map((v) => ({ field, v })) : []));
    const openapi = fields['openapi'];
    if (typeof openapi === 'object' && openapi !== null) named.push({ field: 'openapi', v: (openapi as Record<string, unknown>)['path'] });
    const dir = rel.includes('/') ? rel.slice(0, rel.lastIndexOf('/')) : '';
    for (const { field, v } of named) {
      if (typeof v !== 'string') continue;
      if (isUrl(v) || (looksLikeRepo(v) && !existsIn(folder, files, dir, v))) {
        throw new RenderError('InvalidManifest', `${field}: "${v}" is remote; a config renders from its own folder at configSha only`, file.path);
      }
      if (resolveIn(dir, v) === null) throw new RenderError('InvalidManifest', `${field}: "${v}" is outside the config's folder ${folder}`, file.path);
    }
  }
}

/**
 * The first `*.yaml`/`*.yml` file of the folder that does not parse, as a RenderError naming the
 * file and line (`deploy/billing-api/base/deployment.yaml:6`): where a failed `kustomize build`
 * says only `line 6 … in File: deployment.yaml`, this names the file in the repository.
 */
export function firstYamlProblem(folder: string, files: readonly SpecFile[]): RenderError | undefined {
  for (const file of files) {
    if (relativeToFolder(folder, file.path) === null || !/\.ya?ml$/i.test(file.path)) continue;
    const problem = yamlProblemOf(file);
    if (problem) return problem;
  }
  return undefined;
}

function yamlProblemOf(file: SpecFile): RenderError | undefined {
  const docs = parseAllDocuments(file.content, { prettyErrors: false });
  if (!Array.isArray(docs)) return undefined;
  for (const doc of docs) {
    const error = doc.errors[0];
    if (!error) continue;
    const line = file.content.slice(0, error.pos[0]).split('\n').length;
    return new RenderError('RenderFailed', `YAML does not parse: ${error.message.split('\n')[0]}`, `${file.path}:${line}`);
  }
  return undefined;
}

/** A URL (`https://…`, `git::…`, `ssh://…`), a protocol-relative one or an scp-style git address. */
function isUrl(ref: string): boolean {
  const s = ref.trim();
  return /^[A-Za-z][A-Za-z0-9+.-]*:/.test(s) || s.startsWith('//') || /^[^/\s]+@[^/\s]+:/.test(s) || /[?&]ref=/.test(s);
}

/** `github.com/acme/base`: what kustomize takes for a git repository when no such local path exists. */
function looksLikeRepo(ref: string): boolean {
  return /^[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}\/[^/]+\/[^/]+/.test(ref.trim());
}

/** Does `ref`, relative to `dir` in the folder, name a file or directory of it? */
function existsIn(folder: string, files: readonly SpecFile[], dir: string, ref: string): boolean {
  const rel = resolveIn(dir, ref);
  if (rel === null) return false;
  const target = `${folder.replace(/\/+$/, '')}/${rel}`;
  return files.some((f) => f.path === target || f.path.startsWith(`${target}/`));
}

/** `ref` relative to `dir`, as a path relative to the folder; null when it leaves the folder. */
function resolveIn(dir: string, ref: string): string | null {
  const parts: string[] = [];
  for (const part of `${dir}/${ref.trim()}`.split('/')) {
    if (part === '' || part === '.') continue;
    if (part !== '..') parts.push(part);
    else if (parts.pop() === undefined) return null;
  }
  return parts.join('/');
}
