import type { KubeObject } from '@sluice/kube';
import { CONFIG_LABEL, DEPLOY_CONFIG_KIND, type InventoryEntry } from './deploy-config';
import { groupOf } from './render';

/**
 * Who an object in the cluster belongs to, before a config applies over it (issue #15: a
 * forced server-side apply would otherwise take over another config's objects, or objects
 * nobody manages). Pure: the reconciler reads the objects and acts on the answer.
 */

/** Manifest annotation by which a config takes over an existing object that nobody manages. */
export const ADOPT_ANNOTATION = 'sluice.dev/adopt';

export type OwnershipRefusalReason = 'OwnedByAnotherConfig' | 'UnmanagedObject';

export interface OwnershipRefusal {
  reason: OwnershipRefusalReason;
  message: string;
}

export interface Us {
  config: string;
  /** The DeployConfig's status inventory: objects this config applied before. */
  inventory: readonly InventoryEntry[];
}

/** The config another Sluice config's marks name on `current`, if any (its label, else its controller DeployConfig). */
export function foreignOwnerOf(current: KubeObject, config: string): string | undefined {
  const label = current.metadata.labels?.[CONFIG_LABEL];
  if (label && label !== config) return label;
  // By name, not uid: a DeployConfig of the same name deleted and written again is still this config.
  const controller = (current.metadata.ownerReferences ?? []).find(
    (r) => r.controller && r.kind === DEPLOY_CONFIG_KIND && groupOf(r.apiVersion) === 'sluice.dev' && r.name !== config,
  );
  return controller?.name;
}

/**
 * Whether this config may apply `desired` over `current` (undefined: nothing there yet).
 * Another config's object is never taken; an object with no Sluice mark is taken only if the
 * manifest says `sluice.dev/adopt: "true"`; an object carrying our label or named by our
 * inventory is ours.
 */
export function ownershipRefusal(desired: KubeObject, current: KubeObject | undefined, us: Us): OwnershipRefusal | undefined {
  if (!current) return undefined;
  const what = `${desired.kind} ${desired.metadata.namespace ?? ''}/${desired.metadata.name ?? ''}`.replace(' /', ' ');
  const owner = foreignOwnerOf(current, us.config);
  if (owner) {
    return { reason: 'OwnedByAnotherConfig', message: `${what} belongs to config "${owner}"; config "${us.config}" may not apply it` };
  }
  if (current.metadata.labels?.[CONFIG_LABEL] === us.config || inInventory(desired, us.inventory)) return undefined;
  if (desired.metadata.annotations?.[ADOPT_ANNOTATION] === 'true') return undefined;
  return {
    reason: 'UnmanagedObject',
    message: `${what} exists and is not managed by Sluice; add the annotation ${ADOPT_ANNOTATION}: "true" to its manifest to adopt it`,
  };
}

/**
 * The refusals of a whole pass, checked before anything is applied: one reason for the pass
 * (another config's object first, it is the graver) and a message naming every object.
 */
export function passRefusal(refusals: readonly OwnershipRefusal[]): OwnershipRefusal | undefined {
  if (refusals.length === 0) return undefined;
  const reason = refusals.some((r) => r.reason === 'OwnedByAnotherConfig') ? 'OwnedByAnotherConfig' : 'UnmanagedObject';
  const ordered = [...refusals.filter((r) => r.reason === reason), ...refusals.filter((r) => r.reason !== reason)];
  return { reason, message: ordered.map((r) => r.message).join('; ') };
}

/** Whether the inventory names the object (by group, kind, namespace and name: a new apiVersion of a kind is the same object). */
export function inInventory(obj: KubeObject, inventory: readonly InventoryEntry[]): boolean {
  const group = groupOf(obj.apiVersion);
  return inventory.some(
    (e) => e.kind === obj.kind && e.name === obj.metadata.name && (e.namespace ?? '') === (obj.metadata.namespace ?? '') && groupOf(e.apiVersion) === group,
  );
}
