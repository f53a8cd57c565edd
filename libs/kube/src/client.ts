import { createHash } from 'node:crypto';
import * as http from 'node:http';
import * as https from 'node:https';
import type { KubeCredentialsLike } from './kube-config';
import { errorFromResponse, KubeNotFoundError, networkError } from './errors';
import { noopLogger, type KubeList, type KubeLogger, type KubeObject, type ObjectRef } from './types';

/**
 * A small JSON REST client over the credentials and TLS settings of a kubeconfig (our
 * KubeCredentials or a client-node KubeConfig; `applyToHTTPSOptions`: tokens, exec/OIDC auth,
 * client certs, CA).
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
  /** One keep-alive agent for as long as the TLS material stays the same (see agentFor). */
  private pooled: { material: string; agent: https.Agent } | undefined;

  constructor(
    readonly config: KubeCredentialsLike,
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
        // Content-Length always: node sends a DELETE body without chunked framing, so without
        // it the API server never read the delete options (propagation policy, preconditions),
        // and on a kept-alive connection their bytes would be taken for the next request.
        ...(body !== undefined ? { 'Content-Type': opts.contentType ?? 'application/json', 'Content-Length': Buffer.byteLength(body) } : {}),
      },
    };
    await this.config.applyToHTTPSOptions(reqOpts);
    if (url.protocol === 'https:') reqOpts.agent = this.agentFor(reqOpts);
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

  /**
   * client-node's applyToHTTPSOptions builds a new https.Agent on every call: without this,
   * every request would open a new TCP + TLS connection (a handshake each time, for us and for
   * the API server) and build a new TLS context from the PEMs, whose native memory made the
   * services that talk to the cluster grow past 300 MB under load. The agent is reused while
   * the TLS material is unchanged (credentials that rotate client certs get a new one); tokens
   * travel in headers, set per request. A proxy agent from the kubeconfig is left as it is.
   */
  private agentFor(opts: https.RequestOptions): https.RequestOptions['agent'] {
    if (this.config.getCurrentCluster()?.proxyUrl) return opts.agent;
    const hash = createHash('sha256');
    for (const part of [opts.ca, opts.cert, opts.key, opts.pfx, opts.passphrase, opts.rejectUnauthorized, opts.servername]) {
      for (const v of Array.isArray(part) ? part : [part]) {
        hash.update(v === undefined ? '\0u' : Buffer.isBuffer(v) ? v : typeof v === 'object' && v !== null ? JSON.stringify(v) : `\0${String(v)}`);
        hash.update('\0|');
      }
    }
    const material = hash.digest('hex');
    if (this.pooled?.material !== material) {
      // The previous agent is dropped, not destroyed: requests in flight on it finish; its idle sockets time out.
      this.pooled = {
        material,
        agent: new https.Agent({
          keepAlive: true,
          // Idle sockets go before the API server's own idle timeout could close one under a request.
          timeout: 30_000,
          ca: opts.ca,
          cert: opts.cert,
          key: opts.key,
          pfx: opts.pfx,
          passphrase: opts.passphrase,
          ...(opts.rejectUnauthorized !== undefined ? { rejectUnauthorized: opts.rejectUnauthorized } : {}),
          ...(opts.servername ? { servername: opts.servername } : {}),
        }),
      };
    }
    return this.pooled.agent;
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
