import type { KubeClient } from './client';
import { KubeAlreadyExistsError, KubeNotFoundError, toKubeError } from './errors';
import { withRetry, type RetryOptions } from './retry';
import type { KubeObject, ObjectRef } from './types';

export const APPLY_PATCH = 'application/apply-patch+yaml';
export const MERGE_PATCH = 'application/merge-patch+json';

export interface ApplyOptions {
  /** The field manager that owns what this apply sets (kube-applier uses "sluice"). */
  fieldManager: string;
  /** Take over fields another manager owns instead of failing with a KubeConflictError. */
  force?: boolean;
  dryRun?: boolean;
  retry?: RetryOptions;
  signal?: AbortSignal;
}

/**
 * Server-side apply of one object. Idempotent (same manifest, same manager: no new
 * resourceVersion), so transient failures are retried with backoff. A conflict with another
 * field manager is a KubeConflictError with `fieldConflicts`, never retried.
 */
export async function applyObject<T extends KubeObject = KubeObject>(client: KubeClient, obj: KubeObject, opts: ApplyOptions): Promise<T> {
  if (!obj.apiVersion || !obj.kind || !obj.metadata?.name) {
    throw new TypeError('server-side apply needs apiVersion, kind and metadata.name');
  }
  const body = withoutServerFields(obj);
  const ref = { apiVersion: obj.apiVersion, kind: obj.kind, namespace: obj.metadata.namespace, name: obj.metadata.name };
  return withRetry(
    async () =>
      client.request<T>({
        method: 'PATCH',
        path: await client.path(ref),
        query: { fieldManager: opts.fieldManager, force: opts.force ? true : undefined, dryRun: opts.dryRun ? 'All' : undefined },
        contentType: APPLY_PATCH,
        body,
        signal: opts.signal,
      }),
    { logger: client.logger, operation: `apply ${obj.kind} ${ref.namespace ?? ''}/${ref.name}`, signal: opts.signal, ...opts.retry },
  );
}

export interface StatusPatchOptions {
  fieldManager?: string;
  /** Optimistic lock: fail with a KubeConflictError if the object changed since this version. */
  resourceVersion?: string;
  retry?: RetryOptions;
  signal?: AbortSignal;
}

/**
 * JSON merge patch of the status subresource: keys given replace, null removes, arrays
 * (conditions, inventory) are replaced whole. Without a resourceVersion it is last-writer-wins
 * and retried on transient errors; with one, a stale version is returned as a conflict.
 */
export async function patchStatus<T extends KubeObject = KubeObject>(
  client: KubeClient,
  ref: ObjectRef & { name: string },
  status: Record<string, unknown>,
  opts: StatusPatchOptions = {},
): Promise<T> {
  const body = { status, ...(opts.resourceVersion ? { metadata: { resourceVersion: opts.resourceVersion } } : {}) };
  return withRetry(
    async () =>
      client.request<T>({
        method: 'PATCH',
        path: await client.path(ref, 'status'),
        query: { fieldManager: opts.fieldManager },
        contentType: MERGE_PATCH,
        body,
        signal: opts.signal,
      }),
    {
      logger: client.logger,
      operation: `patch status ${ref.kind} ${ref.namespace ?? ''}/${ref.name}`,
      signal: opts.signal,
      // With a precondition, a 409 means "re-read and decide again", which only the caller can do.
      ...(opts.resourceVersion ? { isRetryable: (e) => e.retryable && e.status !== 409 } : {}),
      ...opts.retry,
    },
  );
}

/** JSON merge patch of the object itself (not status). */
export async function mergePatch<T extends KubeObject = KubeObject>(
  client: KubeClient,
  ref: ObjectRef & { name: string },
  patch: Record<string, unknown>,
  opts: { fieldManager?: string; signal?: AbortSignal } = {},
): Promise<T> {
  return client.request<T>({
    method: 'PATCH',
    path: await client.path(ref),
    query: { fieldManager: opts.fieldManager },
    contentType: MERGE_PATCH,
    body: patch,
    signal: opts.signal,
  });
}

/**
 * Create-or-update of an object that one manager alone writes, as a JSON merge patch (a create when
 * it does not exist yet): much cheaper for the API server than a server-side apply, which computes
 * field sets for every field. Keys the object leaves out are kept; set one to null to remove it.
 */
export async function mergePatchOrCreate<T extends KubeObject = KubeObject>(client: KubeClient, obj: KubeObject, opts: { fieldManager: string; retry?: RetryOptions }): Promise<T> {
  const body = withoutServerFields(obj);
  const ref = { apiVersion: obj.apiVersion, kind: obj.kind, namespace: obj.metadata.namespace, name: obj.metadata.name! };
  return withRetry(
    async () => {
      for (let attempt = 0; ; attempt++) {
        try {
          return await mergePatch<T>(client, ref, body, { fieldManager: opts.fieldManager });
        } catch (err) {
          if (!(toKubeError(err) instanceof KubeNotFoundError)) throw err;
        }
        try {
          return await client.create<T>(withoutNulls(body) as T, { fieldManager: opts.fieldManager });
        } catch (err) {
          // Created meanwhile by someone else: patch it.
          if (attempt > 0 || !(toKubeError(err) instanceof KubeAlreadyExistsError)) throw err;
        }
      }
    },
    { logger: client.logger, operation: `merge-patch ${obj.kind} ${ref.namespace ?? ''}/${ref.name}`, ...opts.retry },
  );
}

/** The object without the metadata the server owns: sending it back would be a precondition or be rejected. */
function withoutServerFields(obj: KubeObject): KubeObject {
  const { managedFields: _mf, resourceVersion: _rv, uid: _uid, creationTimestamp: _ct, generation: _g, ...metadata } = obj.metadata;
  return { ...obj, metadata };
}

/** The object without the keys a merge patch would remove (null), for a create. */
function withoutNulls(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(withoutNulls);
  if (value === null || typeof value !== 'object') return value;
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== null).map(([k, v]) => [k, withoutNulls(v)]));
}

/** The fields a manager owns (managedFields entry), for diagnostics and tests. */
export function managersOf(obj: KubeObject): string[] {
  return (obj.metadata.managedFields ?? []).map((m) => `${m.manager}:${m.operation}${m.subresource ? `/${m.subresource}` : ''}`);
}
