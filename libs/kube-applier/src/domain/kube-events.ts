import type { InventoryEntry } from './deploy-config';

/**
 * The Kubernetes Events of a deploy's objects, as lines of its log (docs/architecture.md §7,
 * `GET /api/deploys/{id}/logs`): pure. An Event is the deploy's when it is about one of its
 * objects, or about a Pod or ReplicaSet a workload of it made (named `<workload>-…`), and happened
 * since the deploy was applied.
 */

/** A core/v1 Event, as far as the log reads it. */
export interface KubeEvent {
  readonly metadata: { readonly uid?: string; readonly creationTimestamp?: string };
  readonly involvedObject?: { readonly kind?: string; readonly name?: string };
  readonly reason?: string;
  readonly message?: string;
  readonly type?: string;
  readonly count?: number;
  readonly lastTimestamp?: string | null;
  readonly eventTime?: string | null;
}

export interface KubeEventLine {
  readonly uid: string;
  /** How many times the Event happened: a line is reported again when it grows. */
  readonly count: number;
  readonly at: string | null;
  readonly text: string;
}

const WORKLOAD_KINDS = new Set(['Deployment', 'StatefulSet', 'DaemonSet', 'ReplicaSet', 'Job', 'CronJob']);
const MADE_KINDS = new Set(['ReplicaSet', 'Pod', 'Job']);

const timeOf = (e: KubeEvent): string | null => e.lastTimestamp ?? e.eventTime ?? e.metadata.creationTimestamp ?? null;

export function kubeEventLines(events: readonly KubeEvent[], inventory: readonly InventoryEntry[], since: string | null): KubeEventLine[] {
  const sinceMs = since ? Date.parse(since) - 1000 : -Infinity;
  const ours = (e: KubeEvent): boolean => {
    const kind = e.involvedObject?.kind ?? '';
    const name = e.involvedObject?.name ?? '';
    return inventory.some((o) => (o.kind === kind && o.name === name) || (WORKLOAD_KINDS.has(o.kind) && MADE_KINDS.has(kind) && name.startsWith(`${o.name}-`)));
  };
  return events
    .filter((e) => e.metadata.uid && ours(e) && Date.parse(timeOf(e) ?? '') >= sinceMs)
    .sort((a, b) => (timeOf(a) ?? '').localeCompare(timeOf(b) ?? ''))
    .map((e) => {
      const count = e.count ?? 1;
      return {
        uid: e.metadata.uid!,
        count,
        at: timeOf(e) ? new Date(timeOf(e)!).toISOString() : null,
        text: `${e.type ?? 'Normal'} ${e.reason ?? ''} ${e.involvedObject?.kind}/${e.involvedObject?.name}: ${(e.message ?? '').trim()}${count > 1 ? ` (×${count})` : ''}`.slice(0, 4000),
      };
    });
}
