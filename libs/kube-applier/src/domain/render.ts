import type { KubeObject, OwnerReference } from '@sluice/kube';
import { checkClusterKind, defaultPolicy, type TeamPolicy } from '@sluice/team-policy';
import { parseAllDocuments } from 'yaml';
import { CONFIG_LABEL } from './deploy-config';
import { RenderError } from './errors';
import { retag } from './image';

/**
 * Rendering a deploy config's specs (docs/architecture.md §1): pure, so the same (files, pair) always
 * gives the same manifests, and every failure is terminal.
 */

export interface SpecFile {
  /** Path in the config repository, e.g. `deploy/billing-api/deployment.yaml`. */
  path: string;
  content: string;
}

export interface RenderInput {
  config: string;
  namespace: string;
  /** The config's folder, e.g. `deploy/billing-api`. */
  folder: string;
  /** `artifact.image` (repository without tag); null for artifactless configs. */
  artifactImage: string | null;
  imageTag: string | null;
  /** The team's policy: which cluster-scoped kinds the specs may hold (none by default). */
  policy?: TeamPolicy;
}

/**
 * The built-in cluster-scoped kinds, known without asking the cluster (the dry-run target has
 * none to ask; the reconciler also asks discovery, for custom resources). A spec may hold one
 * only where its team's policy lists the kind (`clusterKinds`): they escape the config's
 * namespace, cannot carry an owner reference to a namespaced DeployConfig, and several change
 * who may do what in the cluster. Namespaced kinds kube-applier has no RBAC for (Secrets unless
 * opted in, Roles, ...) are refused by the API server instead and reported as a stalled apply.
 */
export const CLUSTER_SCOPED_KINDS: ReadonlySet<string> = new Set([
  'Namespace',
  'Node',
  'ClusterRole',
  'ClusterRoleBinding',
  'CustomResourceDefinition',
  'APIService',
  'MutatingWebhookConfiguration',
  'ValidatingWebhookConfiguration',
  'ValidatingAdmissionPolicy',
  'ValidatingAdmissionPolicyBinding',
  'MutatingAdmissionPolicy',
  'MutatingAdmissionPolicyBinding',
  'PersistentVolume',
  'StorageClass',
  'VolumeAttachment',
  'CSIDriver',
  'CSINode',
  'PriorityClass',
  'RuntimeClass',
  'IngressClass',
  'CertificateSigningRequest',
  'FlowSchema',
  'PriorityLevelConfiguration',
  'PodSecurityPolicy',
  'ComponentStatus',
  'TeamPolicy',
]);

/** Kinds no spec may hold, whatever the policy: one config, one DeployConfig, written by kube-applier. */
export const FORBIDDEN_KINDS: ReadonlySet<string> = new Set(['DeployConfig']);

const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/;

/** The spec files of a config folder: direct `*.yaml`/`*.yml` children except `deploy.yaml`. */
export function specFilesOf(folder: string, files: readonly SpecFile[]): SpecFile[] {
  const prefix = folder.replace(/\/+$/, '') + '/';
  return files
    .filter((f) => f.path.startsWith(prefix))
    .filter((f) => {
      const rel = f.path.slice(prefix.length);
      return !rel.includes('/') && /\.ya?ml$/i.test(rel) && rel !== 'deploy.yaml' && rel !== 'deploy.yml';
    })
    .sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
}

/** Parses every document of every spec file; any problem is a RenderError naming the file. */
export function parseSpecs(files: readonly SpecFile[]): Array<{ object: KubeObject; source: string }> {
  const out: Array<{ object: KubeObject; source: string }> = [];
  for (const file of files) {
    const docs = parseAllDocuments(file.content, { prettyErrors: false });
    // parseAllDocuments returns an EmptyStream for an empty file.
    if (!Array.isArray(docs)) continue;
    docs.forEach((doc, index) => {
      const source = docs.length > 1 ? `${file.path}#${index + 1}` : file.path;
      const problem = doc.errors[0];
      if (problem) throw new RenderError('InvalidManifest', `YAML does not parse: ${problem.message}`, source);
      const value: unknown = doc.toJS({ maxAliasCount: 100 });
      if (value === null || value === undefined) return; // an empty document (`---` at the end)
      for (const object of expandList(value, source)) out.push({ object: checkShape(object, source), source });
    });
  }
  return out;
}

function expandList(value: unknown, source: string): unknown[] {
  if (isRecord(value) && value['kind'] === 'List' && value['apiVersion'] === 'v1') {
    if (!Array.isArray(value['items'])) throw new RenderError('InvalidManifest', 'a v1 List needs an items array', source);
    return value['items'];
  }
  return [value];
}

function checkShape(value: unknown, source: string): KubeObject {
  if (!isRecord(value)) throw new RenderError('InvalidManifest', 'a manifest must be a mapping', source);
  const { apiVersion, kind, metadata } = value;
  if (typeof apiVersion !== 'string' || !apiVersion) throw new RenderError('InvalidManifest', 'apiVersion is required', source);
  if (typeof kind !== 'string' || !kind) throw new RenderError('InvalidManifest', 'kind is required', source);
  if (!isRecord(metadata)) throw new RenderError('InvalidManifest', `${kind}: metadata is required`, source);
  const name = metadata['name'];
  if (typeof name !== 'string' || !name) throw new RenderError('InvalidManifest', `${kind}: metadata.name is required (generateName cannot be applied)`, source);
  if (name.length > 253 || !DNS_SUBDOMAIN.test(name)) {
    throw new RenderError('InvalidManifest', `${kind} "${name}": metadata.name is not a valid DNS subdomain`, source);
  }
  if (metadata['namespace'] !== undefined && typeof metadata['namespace'] !== 'string') {
    throw new RenderError('InvalidManifest', `${kind} "${name}": metadata.namespace must be a string`, source);
  }
  for (const field of ['labels', 'annotations'] as const) {
    const m = metadata[field];
    if (m !== undefined && m !== null && (!isRecord(m) || Object.values(m).some((v) => typeof v !== 'string'))) {
      throw new RenderError('InvalidManifest', `${kind} "${name}": metadata.${field} must map strings to strings`, source);
    }
  }
  return value as KubeObject;
}

/**
 * Checks that an object may be part of the config in `namespace` and puts it there; a
 * cluster-scoped object (`clusterScoped`, else a built-in cluster-scoped kind) only where the
 * team's policy allows its kind, and then without a namespace. Used at render time and again by
 * the reconciler (a DeployConfig can be edited by hand, and a policy can change).
 */
export function placeInNamespace(
  object: KubeObject,
  namespace: string,
  options: { source?: string; policy?: TeamPolicy; clusterScoped?: boolean } = {},
): KubeObject {
  const { kind } = object;
  const name = object.metadata.name ?? '';
  if (FORBIDDEN_KINDS.has(kind)) {
    throw new RenderError('ForbiddenKind', `${kind} "${name}": a deploy config may not hold a ${kind} (kube-applier writes the config's own)`, options.source);
  }
  if (options.clusterScoped ?? CLUSTER_SCOPED_KINDS.has(kind)) {
    const verdict = checkClusterKind({ kind, group: groupOf(object.apiVersion), name }, options.policy ?? defaultPolicy(''));
    if (!verdict.allowed) throw new RenderError('ForbiddenKind', verdict.message, options.source);
    const { namespace: _ns, ...metadata } = object.metadata;
    return { ...object, metadata };
  }
  const ns = object.metadata.namespace;
  if (ns !== undefined && ns !== '' && ns !== namespace) {
    throw new RenderError('ForeignNamespace', `${kind} "${name}": namespace "${ns}" is not the config's namespace "${namespace}"`, options.source);
  }
  return { ...object, metadata: { ...object.metadata, namespace } };
}

/** The pod specs of the workload kinds whose images the applier tags. */
function podSpecsOf(object: KubeObject): Array<Record<string, unknown>> {
  const spec = object['spec'];
  if (!isRecord(spec)) return [];
  const template = (t: unknown) => (isRecord(t) && isRecord(t['spec']) ? [t['spec']] : []);
  switch (object.kind) {
    case 'Pod':
      return [spec];
    case 'Deployment':
    case 'StatefulSet':
    case 'DaemonSet':
    case 'ReplicaSet':
    case 'ReplicationController':
    case 'Job':
      return template(spec['template']);
    case 'CronJob':
      return isRecord(spec['jobTemplate']) && isRecord(spec['jobTemplate']['spec']) ? template(spec['jobTemplate']['spec']['template']) : [];
    case 'PodTemplate':
      return template(object['template']);
    default:
      return [];
  }
}

/** Sets `tag` on every container and init container whose image repository is `image`. Mutates `object`. */
export function setImageTag(object: KubeObject, image: string, tag: string): number {
  let changed = 0;
  for (const podSpec of podSpecsOf(object)) {
    for (const field of ['containers', 'initContainers']) {
      const containers = podSpec[field];
      if (!Array.isArray(containers)) continue;
      for (const c of containers) {
        if (!isRecord(c) || typeof c['image'] !== 'string') continue;
        const next = retag(c['image'], image, tag);
        if (next !== undefined) {
          c['image'] = next;
          changed++;
        }
      }
    }
  }
  return changed;
}

/**
 * Renders the spec files of a config at one commit into the manifests its DeployConfig
 * holds: image tag set, namespace forced, `sluice.dev/config` label. Throws RenderError.
 */
export function renderSpecs(files: readonly SpecFile[], input: RenderInput): KubeObject[] {
  return placeParsed(parseSpecs(specFilesOf(input.folder, files)), input);
}

/**
 * The output of a renderer (`kustomize build`, `helm template`) through the same rules as plain
 * specs: namespace placed, forbidden kinds refused, labelled, image tag set. `source` names what
 * rendered it in errors, e.g. `deploy/billing-api/kustomization.yaml (kustomize build)`.
 */
export function renderOutput(output: string, source: string, input: RenderInput): KubeObject[] {
  return placeParsed(parseSpecs([{ path: source, content: output }]), input);
}

function placeParsed(parsed: Array<{ object: KubeObject; source: string }>, input: RenderInput): KubeObject[] {
  const seen = new Map<string, string>();
  return parsed.map(({ object, source }) => {
    const copy = structuredClone(object);
    const placed = placeInNamespace(copy, input.namespace, { source, policy: input.policy });
    const key = `${groupOf(placed.apiVersion)}/${placed.kind}/${placed.metadata.name}`;
    const previous = seen.get(key);
    if (previous) throw new RenderError('DuplicateObject', `${placed.kind} "${placed.metadata.name}" is also defined in ${previous}`, source);
    seen.set(key, source);
    placed.metadata.labels = { ...(placed.metadata.labels ?? {}), [CONFIG_LABEL]: input.config };
    if (input.artifactImage && input.imageTag) setImageTag(placed, input.artifactImage, input.imageTag);
    return placed;
  });
}

/**
 * What the reconciler applies for one spec of a DeployConfig: placed in its namespace,
 * labelled, and owned by it (owner references need the DeployConfig's uid, so they are
 * added here rather than at render time). A cluster-scoped object its policy allows gets the
 * label but no owner reference (a namespaced owner cannot own it); the inventory prunes it.
 */
export function ownedObject(
  spec: KubeObject,
  owner: { config: string; namespace: string; uid: string; apiVersion: string; kind: string },
  scope: { policy?: TeamPolicy; clusterScoped?: boolean } = {},
): KubeObject {
  const placed = placeInNamespace(structuredClone(spec), owner.namespace, scope);
  const ref: OwnerReference = { apiVersion: owner.apiVersion, kind: owner.kind, name: owner.config, uid: owner.uid, controller: true, blockOwnerDeletion: true };
  const others = (placed.metadata.ownerReferences ?? []).filter((r) => r.uid !== owner.uid);
  // The server owns these; a spec copied from `kubectl get -o yaml` may carry them.
  const { resourceVersion: _rv, uid: _uid, creationTimestamp: _ct, generation: _g, managedFields: _mf, ...metadata } = placed.metadata;
  const { status: _status, ...rest } = placed;
  return {
    ...rest,
    metadata: {
      ...metadata,
      labels: { ...(placed.metadata.labels ?? {}), [CONFIG_LABEL]: owner.config },
      ownerReferences: placed.metadata.namespace === undefined ? others : [...others.filter((r) => !r.controller), ref],
    },
  } as KubeObject;
}

export function groupOf(apiVersion: string): string {
  const slash = apiVersion.indexOf('/');
  return slash < 0 ? '' : apiVersion.slice(0, slash);
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
