import type { KubeObject } from '@sluice/kube';
import { inventoryKey, type InventoryEntry } from './deploy-config';
import { CLUSTER_SCOPED_KINDS } from './render';

/**
 * A config's rendered manifests made into one pull request's preview (docs/architecture.md §1
 * "Previews"): pure. Every namespaced object is renamed `<name>-pr-<n>` (the preview's suffix) so
 * several previews share the previews namespace, and the references between them follow (Service
 * selectors and workload selectors carry the preview's label, Ingress backends and hosts, and the
 * ConfigMaps, Secrets, volume claims and service accounts a pod names). Cluster-scoped objects
 * stay out: one preview must not change what every other one shares.
 */

export const PREVIEW_LABEL = 'sluice.dev/preview';

export interface PreviewTarget {
  /** `<config>-pr-<n>`. */
  readonly name: string;
  readonly pr: number;
  readonly namespace: string;
  /** The preview's URL (`https://<host>`), or null. */
  readonly url: string | null;
}

export interface PreviewManifests {
  readonly objects: KubeObject[];
  /** What was left out, for the report: `ClusterRole "x" (cluster-scoped)`. */
  readonly skipped: string[];
}

const WORKLOADS = new Set(['Deployment', 'StatefulSet', 'DaemonSet', 'ReplicaSet', 'Job']);

export function previewManifests(rendered: readonly KubeObject[], target: PreviewTarget): PreviewManifests {
  const suffix = `-pr-${target.pr}`;
  const renamed = (name: string) => `${name.slice(0, 63 - suffix.length).replace(/-+$/, '')}${suffix}`;
  const namesByKind = new Map<string, Set<string>>();
  const skipped: string[] = [];
  const namespaced = rendered.filter((o) => {
    if (!CLUSTER_SCOPED_KINDS.has(o.kind)) return true;
    skipped.push(`${o.kind} "${o.metadata.name}" (cluster-scoped)`);
    return false;
  });
  for (const o of namespaced) {
    const set = namesByKind.get(o.kind) ?? new Set<string>();
    set.add(o.metadata.name ?? '');
    namesByKind.set(o.kind, set);
  }
  const ref = (kind: string, name: unknown): unknown => (typeof name === 'string' && namesByKind.get(kind)?.has(name) ? renamed(name) : name);
  const host = target.url ? new URL(target.url).host : null;

  const objects = namespaced.map((original) => {
    const o = structuredClone(original) as KubeObject & Record<string, unknown>;
    o.metadata = {
      ...o.metadata,
      name: renamed(o.metadata.name ?? ''),
      namespace: target.namespace,
      labels: { ...(o.metadata.labels ?? {}), [PREVIEW_LABEL]: target.name },
    };
    const spec = record(o['spec']);
    if (o.kind === 'Service' && spec && record(spec['selector'])) spec['selector'] = { ...record(spec['selector']), [PREVIEW_LABEL]: target.name };
    if (WORKLOADS.has(o.kind) && spec) {
      const selector = record(spec['selector']);
      if (selector && record(selector['matchLabels'])) selector['matchLabels'] = { ...record(selector['matchLabels']), [PREVIEW_LABEL]: target.name };
      const template = record(spec['template']);
      if (template) {
        const meta = record(template['metadata']) ?? {};
        template['metadata'] = { ...meta, labels: { ...(record(meta['labels']) ?? {}), [PREVIEW_LABEL]: target.name } };
        const podSpec = record(template['spec']);
        if (podSpec) rewritePodSpec(podSpec, ref);
      }
    }
    if (o.kind === 'Ingress' && spec) rewriteIngress(spec, ref, host);
    return o as KubeObject;
  });
  return { objects, skipped };
}

/** The objects of `before` that `after` no longer holds (pruned when a preview is redeployed). */
export function prunedEntries(before: readonly InventoryEntry[], after: readonly InventoryEntry[]): InventoryEntry[] {
  const kept = new Set(after.map(inventoryKey));
  return before.filter((e) => !kept.has(inventoryKey(e)));
}

type Ref = (kind: string, name: unknown) => unknown;

function rewritePodSpec(podSpec: Record<string, unknown>, ref: Ref): void {
  if (typeof podSpec['serviceAccountName'] === 'string') podSpec['serviceAccountName'] = ref('ServiceAccount', podSpec['serviceAccountName']);
  for (const volume of list(podSpec['volumes'])) {
    const configMap = record(volume['configMap']);
    if (configMap) configMap['name'] = ref('ConfigMap', configMap['name']);
    const secret = record(volume['secret']);
    if (secret) secret['secretName'] = ref('Secret', secret['secretName']);
    const claim = record(volume['persistentVolumeClaim']);
    if (claim) claim['claimName'] = ref('PersistentVolumeClaim', claim['claimName']);
  }
  for (const container of [...list(podSpec['containers']), ...list(podSpec['initContainers'])]) {
    for (const from of list(container['envFrom'])) {
      const configMap = record(from['configMapRef']);
      if (configMap) configMap['name'] = ref('ConfigMap', configMap['name']);
      const secret = record(from['secretRef']);
      if (secret) secret['name'] = ref('Secret', secret['name']);
    }
    for (const env of list(container['env'])) {
      const valueFrom = record(env['valueFrom']);
      const configMap = record(valueFrom?.['configMapKeyRef']);
      if (configMap) configMap['name'] = ref('ConfigMap', configMap['name']);
      const secret = record(valueFrom?.['secretKeyRef']);
      if (secret) secret['name'] = ref('Secret', secret['name']);
    }
  }
}

function rewriteIngress(spec: Record<string, unknown>, ref: Ref, host: string | null): void {
  const backend = (b: unknown) => {
    const service = record(record(b)?.['service']);
    if (service) service['name'] = ref('Service', service['name']);
  };
  backend(spec['defaultBackend']);
  for (const rule of list(spec['rules'])) {
    // The preview answers at its own host (previews.host); without one it keeps no host of the main deploy's.
    if (host) rule['host'] = host;
    else delete rule['host'];
    for (const path of list(record(rule['http'])?.['paths'])) backend(path['backend']);
  }
  // TLS names the main deploy's hosts and certificate Secret: a preview does not take them over.
  if (spec['tls'] !== undefined) delete spec['tls'];
}

function record(v: unknown): Record<string, unknown> | undefined {
  return typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined;
}

function list(v: unknown): Array<Record<string, unknown>> {
  return Array.isArray(v) ? v.filter((x): x is Record<string, unknown> => record(x) !== undefined) : [];
}
