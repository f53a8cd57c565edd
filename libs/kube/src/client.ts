import * as http from 'node:http';
import * as https from 'node:https';
import type { KubeConfig } from '@kubernetes/client-node';
import { errorFromResponse, KubeNotFoundError, networkError } from './errors';
import { noopLogger, type KubeList, type KubeLogger, type KubeObject, type ObjectRef } from './types';

/**
 * A small JSON REST client over the credentials and TLS settings of a client-node KubeConfig
 * (`applyToHTTPSOptions`: tokens, exec/OIDC auth, client certs, CA).
 *
 * Why not KubernetesObjectApi for the objects themselves: its ObjectSerializer rebuilds known
 * kinds from its generated models, silently dropping fields the models do not know (and every
 * `x-kubernetes-*` key of a CRD schema) and turning timestamps into Date objects. A GitOps
 * applier must send the manifest it was given, byte for byte in meaning.
 */

export type Query = Record<string, string | number | boolean | undefined>;

export interface RequestOptions {
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  path: string;
  query?: Query;
  /** Serialised as JSON (also for apply-patch+yaml: JSON is YAML). */
  body?: unknown;
  contentType?: string;
  accept?: string;
  timeoutMs?: number;
  signal?: AbortSignal;
}

export interface ApiResource {
  name: string;
  kind: string;
  namespaced: boolean;
  verbs: string[];
  shortNames?: string[];
  categories?: string[];
}

export interface ListOptions {
  labelSelector?: string;
  fieldSelector?: string;
  limit?: number;
  continue?: string;
  resourceVersion?: string;
}

export interface KubeClientOptions {
  logger?: KubeLogger;
  /** Per-request timeout (not used for watches). Default 30 s. */
  timeoutMs?: number;
  userAgent?: string;
}

export class KubeClient {
  readonly logger: KubeLogger;
  private readonly timeoutMs: number;
  private readonly userAgent: string;
  private readonly discovery = new Map<string, Promise<ApiResource[]>>();

  constructor(
    readonly config: KubeConfig,
    opts: KubeClientOptions = {},
  ) {
    this.logger = opts.logger ?? noopLogger;
    this.timeoutMs = opts.timeoutMs ?? 30_000;
    this.userAgent = opts.userAgent ?? 'sluice';
  }

  get server(): string {
    const cluster = this.config.getCurrentCluster();
    if (!cluster) throw new Error('kubeconfig has no current cluster');
    return cluster.server.replace(/\/+$/, '');
  }

  /** One JSON request; non-2xx responses become typed KubeErrors. */
  async request<T = unknown>(opts: RequestOptions): Promise<T> {
    const url = new URL(this.server + opts.path);
    for (const [k, v] of Object.entries(opts.query ?? {})) if (v !== undefined) url.searchParams.set(k, String(v));
    const body = opts.body === undefined ? undefined : typeof opts.body === 'string' ? opts.body : JSON.stringify(opts.body);
    const reqOpts: https.RequestOptions = {
      method: opts.method,
      headers: {
        Accept: opts.accept ?? 'application/json',
        'User-Agent': this.userAgent,
        ...(body !== undefined ? { 'Content-Type': opts.contentType ?? 'application/json' } : {}),
      },
    };
    await this.config.applyToHTTPSOptions(reqOpts);
    const context = `${opts.method} ${opts.path}`;
    const timeoutMs = opts.timeoutMs ?? this.timeoutMs;
    return new Promise<T>((resolve, reject) => {
      const transport = url.protocol === 'http:' ? http : https;
      const req = transport.request(url, { ...reqOpts, signal: opts.signal }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('error', (e) => reject(networkError(e, context)));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          let parsed: unknown = text;
          if ((res.headers['content-type'] ?? '').includes('json') && text) {
            try {
              parsed = JSON.parse(text);
            } catch {
              // leave as text; reported below if it was an error
            }
          }
          const status = res.statusCode ?? 0;
          if (status >= 200 && status < 300) return resolve(parsed as T);
          const retryAfter = res.headers['retry-after'];
          reject(errorFromResponse(status, parsed, Array.isArray(retryAfter) ? retryAfter[0] : retryAfter, context));
        });
      });
      req.setTimeout(timeoutMs, () => req.destroy(Object.assign(new Error(`timed out after ${timeoutMs} ms`), { code: 'ETIMEDOUT' })));
      req.on('error', (e) => reject(networkError(e, context)));
      req.end(body);
    });
  }

  /** Discovery of one group/version, cached; refreshed once when a kind is missing (new CRDs). */
  async resource(apiVersion: string, kind: string): Promise<ApiResource> {
    for (const refresh of [false, true]) {
      if (refresh || !this.discovery.has(apiVersion)) {
        const p = this.request<{ resources: ApiResource[] }>({ method: 'GET', path: apiVersionPath(apiVersion) }).then((l) => l.resources);
        this.discovery.set(apiVersion, p);
        p.catch(() => this.discovery.delete(apiVersion));
      }
      const found = (await this.discovery.get(apiVersion)!).find((r) => r.kind === kind && !r.name.includes('/'));
      if (found) return found;
    }
    throw new KubeNotFoundError(`the server has no resource for ${apiVersion} ${kind}`, { status: 404, reason: 'NotFound', retryable: false });
  }

  /** The REST path of an object (name given) or a collection (name absent); all namespaces when a namespaced collection has no namespace. */
  async path(ref: ObjectRef, subresource?: string): Promise<string> {
    const res = await this.resource(ref.apiVersion, ref.kind);
    let p = apiVersionPath(ref.apiVersion);
    if (res.namespaced && ref.namespace) p += `/namespaces/${encodeURIComponent(ref.namespace)}`;
    else if (res.namespaced && ref.name) throw new Error(`${ref.kind} ${ref.name}: namespace required`);
    p += `/${res.name}`;
    if (ref.name) p += `/${encodeURIComponent(ref.name)}`;
    if (subresource) p += `/${subresource}`;
    return p;
  }

  async get<T extends KubeObject = KubeObject>(ref: ObjectRef & { name: string }): Promise<T> {
    return this.request<T>({ method: 'GET', path: await this.path(ref) });
  }

  /** Like get, but undefined instead of a KubeNotFoundError. */
  async find<T extends KubeObject = KubeObject>(ref: ObjectRef & { name: string }): Promise<T | undefined> {
    try {
      return await this.get<T>(ref);
    } catch (err) {
      if (err instanceof KubeNotFoundError) return undefined;
      throw err;
    }
  }

  async list<T extends KubeObject = KubeObject>(ref: Omit<ObjectRef, 'name'>, opts: ListOptions = {}): Promise<KubeList<T>> {
    return this.request<KubeList<T>>({
      method: 'GET',
      path: await this.path(ref),
      query: { ...opts },
    });
  }

  async create<T extends KubeObject = KubeObject>(obj: T, opts: { fieldManager?: string; dryRun?: boolean } = {}): Promise<T> {
    const ref = { apiVersion: obj.apiVersion, kind: obj.kind, namespace: obj.metadata.namespace };
    return this.request<T>({
      method: 'POST',
      path: await this.path(ref),
      query: { fieldManager: opts.fieldManager, dryRun: opts.dryRun ? 'All' : undefined },
      body: obj,
    });
  }

  /** Deletes; a missing object is not an error (returns false). */
  async delete(
    ref: ObjectRef & { name: string },
    opts: { propagationPolicy?: 'Foreground' | 'Background' | 'Orphan'; uid?: string; dryRun?: boolean } = {},
  ): Promise<boolean> {
    try {
      await this.request({
        method: 'DELETE',
        path: await this.path(ref),
        query: { dryRun: opts.dryRun ? 'All' : undefined },
        body: {
          apiVersion: 'v1',
          kind: 'DeleteOptions',
          propagationPolicy: opts.propagationPolicy ?? 'Background',
          ...(opts.uid ? { preconditions: { uid: opts.uid } } : {}),
        },
      });
      return true;
    } catch (err) {
      if (err instanceof KubeNotFoundError) return false;
      throw err;
    }
  }
}

export function apiVersionPath(apiVersion: string): string {
  return apiVersion.includes('/') ? `/apis/${apiVersion}` : `/api/${apiVersion}`;
}
