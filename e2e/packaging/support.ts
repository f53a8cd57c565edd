import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parse, parseAllDocuments } from 'yaml';

/*
 * Shared by the packaging specs: where the files are, the five services, and small YAML
 * helpers. The services' config schemas are in service-configs.ts (they load every library).
 */

export const ROOT = resolve(__dirname, '..', '..');
export const repoPath = (...parts: string[]): string => join(ROOT, ...parts);
export const readRepoFile = (...parts: string[]): string => readFileSync(repoPath(...parts), 'utf8');

export const SERVICES = ['webhook-ingest', 'repo-sync', 'autodeploy', 'kube-applier', 'commit-status'] as const;
export type ServiceName = (typeof SERVICES)[number];
/** What the one image runs: the five services and the dashboard server (distributed mode's dashboard, README "Dashboard"). */
export const PROCESSES = [...SERVICES, 'dashboard-server'] as const;

/** Settings whose value is the name of a Kubernetes Secret, not a secret. */
const NAMES_OF_SECRETS = new Set(['COMMIT_STATUS_GITHUB_SECRET', 'COMMIT_STATUS_GITLAB_SECRET', 'COMMIT_STATUS_BITBUCKET_SECRET']);

/** Variable names that hold secrets: never a literal in a committed file. */
export const isSecretName = (name: string): boolean =>
  name === 'DATABASE_URL' || (/(SECRET|TOKEN|PASSWORD|PRIVATE_KEY)$/.test(name) && !NAMES_OF_SECRETS.has(name));

/** One YAML document with merge keys (`<<`) resolved, as Compose reads it. */
export function parseYaml<T = unknown>(text: string): T {
  return parse(text, { merge: true }) as T;
}

export interface KubeManifest {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string>; [k: string]: unknown };
  [k: string]: unknown;
}

/** Every non-empty document of a multi-document YAML file; a syntax error throws. */
export function parseManifests(text: string, file: string): KubeManifest[] {
  return parseAllDocuments(text).flatMap((doc) => {
    if (doc.errors.length > 0) throw new Error(`${file}: ${doc.errors[0]!.message}`);
    const value = doc.toJS() as KubeManifest | null;
    return value ? [value] : [];
  });
}

export interface Kustomization {
  resources: string[];
  images?: { name: string; newName?: string; newTag?: string }[];
}

/** deploy/kustomization.yaml and the manifests of each resource file it lists, in order. */
export function loadKustomization(): { kustomization: Kustomization; files: { file: string; manifests: KubeManifest[] }[] } {
  const kustomization = parseYaml<Kustomization>(readRepoFile('deploy', 'kustomization.yaml'));
  const files = kustomization.resources.map((file) => ({ file, manifests: parseManifests(readRepoFile('deploy', file), file) }));
  return { kustomization, files };
}

/**
 * Compose variable interpolation: `${VAR}`, `${VAR:-default}` (unset or empty), `${VAR-default}`
 * (unset), `${VAR:?message}` / `${VAR?message}` (required) and `$$` for a literal `$`.
 */
export function interpolate(value: string, env: Record<string, string | undefined>): string {
  return value.replace(/\$\$|\$\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?[-?])([^}]*))?\}/g, (match, name: string | undefined, op?: string, arg?: string) => {
    if (match === '$$') return '$';
    const v = env[name!];
    const missing = op?.startsWith(':') ? v === undefined || v === '' : v === undefined;
    if (!op) return v ?? '';
    if (op.endsWith('-')) return missing ? (arg ?? '') : v!;
    if (missing) throw new Error(`${name}: ${arg || 'required'}`);
    return v!;
  });
}
