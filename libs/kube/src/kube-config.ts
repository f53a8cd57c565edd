import { readFileSync } from 'node:fs';
import * as http from 'node:http';
import * as https from 'node:https';
import { isIPv6 } from 'node:net';
import { dirname, isAbsolute, join } from 'node:path';
// Deep imports on purpose: the package index (and its dist/config.js, whose KubeConfig builds
// generated API clients in makeApiClient) loads the whole generated API and model set, about
// 20 MB of JavaScript that costs each process that talks to the cluster ~45 MB of memory. We
// only need the credentials: kubeconfig parsing and the authenticators, which load nothing else.
import type { Authenticator } from '@kubernetes/client-node/dist/auth.js';
import { AzureAuth } from '@kubernetes/client-node/dist/azure_auth.js';
import { newClusters, newContexts, newUsers, type Cluster, type Context, type User } from '@kubernetes/client-node/dist/config_types.js';
import { ExecAuth } from '@kubernetes/client-node/dist/exec_auth.js';
import { FileAuth } from '@kubernetes/client-node/dist/file_auth.js';
import { GoogleCloudPlatformAuth } from '@kubernetes/client-node/dist/gcp_auth.js';
import { OpenIDConnectAuth } from '@kubernetes/client-node/dist/oidc_auth.js';
import { parse as parseYaml } from 'yaml';

export type { Cluster, Context, User } from '@kubernetes/client-node/dist/config_types.js';

/**
 * Where the cluster credentials come from. Deliberately explicit: the platform config module
 * decides (from KUBECONFIG or the in-cluster environment); this library does not read
 * process.env.
 */
export type KubeConfigSource =
  | { from: 'file'; path: string; context?: string }
  /** The pod's service account; `host`/`port` are KUBERNETES_SERVICE_HOST/PORT, which the kubelet sets in every pod. */
  | { from: 'in-cluster'; host: string; port: string }
  | { from: 'token'; server: string; token: string; caFile?: string; caData?: string };

/** The settings that say where a cluster is (read from the environment by the platform config). */
export interface ClusterSettings {
  KUBECONFIG?: string;
  KUBERNETES_SERVICE_HOST?: string;
  KUBERNETES_SERVICE_PORT?: string;
}

/**
 * The cluster Sluice talks to: the first file of KUBECONFIG, else the pod's service account when
 * running in a cluster, else none.
 */
export function clusterSourceOf(settings: ClusterSettings): KubeConfigSource | undefined {
  if (settings.KUBECONFIG) return { from: 'file', path: settings.KUBECONFIG.split(':')[0]! };
  if (settings.KUBERNETES_SERVICE_HOST) return { from: 'in-cluster', host: settings.KUBERNETES_SERVICE_HOST, port: settings.KUBERNETES_SERVICE_PORT ?? '443' };
  return undefined;
}

export class KubeConfigError extends Error {
  override readonly name = 'KubeConfigError';
}

/**
 * What KubeClient and the watch need of a kubeconfig: the current cluster and request options
 * carrying its credentials. Both {@link KubeCredentials} and client-node's `KubeConfig` fit.
 */
export interface KubeCredentialsLike {
  getCurrentCluster(): Cluster | null;
  getCurrentUser(): User | null;
  applyToHTTPSOptions(opts: https.RequestOptions): Promise<void>;
  /** client-node's Watch takes its request options from here. */
  applyToFetchOptions(opts: https.RequestOptions): Promise<unknown>;
}

export interface KubeConfigOptions {
  clusters: Cluster[];
  users: User[];
  contexts: Context[];
  currentContext: string;
}

const SERVICE_ACCOUNT = '/var/run/secrets/kubernetes.io/serviceaccount';

/**
 * The credentials part of client-node's `KubeConfig`, with the same semantics (the same
 * kubeconfig parsing and validation, the same authenticators: exec, token file, OIDC, Azure,
 * GCP; client certificates, CA, tls-server-name, impersonation, basic auth), without its
 * generated API clients. A cluster behind a proxy (`proxy-url`) is handed to client-node's own
 * KubeConfig, loaded only then, which builds the proxy agent.
 */
export class KubeCredentials implements KubeCredentialsLike {
  private readonly authenticators: Authenticator[] = [
    new AzureAuth(),
    new GoogleCloudPlatformAuth(),
    new ExecAuth(),
    new FileAuth(),
    new OpenIDConnectAuth(),
  ];
  private clusters: Cluster[] = [];
  private users: User[] = [];
  private contexts: Context[] = [];
  private currentContext = '';
  private proxied: KubeCredentialsLike | undefined;

  loadFromOptions(options: KubeConfigOptions): void {
    this.clusters = options.clusters;
    this.users = options.users;
    this.contexts = options.contexts;
    this.currentContext = options.currentContext;
    this.proxied = undefined;
  }

  loadFromString(text: string): void {
    const obj = (parseYaml(text) ?? {}) as Record<string, unknown>;
    this.loadFromOptions({
      clusters: newClusters(obj['clusters']),
      users: newUsers(obj['users']),
      contexts: newContexts(obj['contexts']),
      currentContext: obj['current-context'] as string,
    });
  }

  /** Relative certificate paths are taken from the kubeconfig's folder, as kubectl does. */
  loadFromFile(path: string): void {
    this.loadFromString(readFileSync(path, 'utf8'));
    const absolute = (file: string) => (isAbsolute(file) ? file : join(dirname(path), file));
    for (const cluster of this.clusters) if (cluster.caFile) (cluster as { caFile?: string }).caFile = absolute(cluster.caFile);
    for (const user of this.users) {
      if (user.certFile) (user as { certFile?: string }).certFile = absolute(user.certFile);
      if (user.keyFile) (user as { keyFile?: string }).keyFile = absolute(user.keyFile);
    }
  }

  /** The pod's service account; the API server at `host:port` (KUBERNETES_SERVICE_HOST/PORT, as client-node's loadFromCluster reads them). */
  loadFromCluster({ host, port }: { host: string; port: string }, root = SERVICE_ACCOUNT): void {
    const scheme = port === '80' || port === '8080' || port === '8001' ? 'http' : 'https';
    const server = `${scheme}://${host && isIPv6(host) ? `[${host}]` : host}:${port}`;
    let namespace: string | undefined;
    try {
      namespace = readFileSync(`${root}/namespace`, 'utf8');
    } catch {
      namespace = undefined;
    }
    this.loadFromOptions({
      clusters: [{ name: 'inCluster', server, caFile: `${root}/ca.crt`, skipTLSVerify: false }],
      users: [{ name: 'inClusterUser', authProvider: { name: 'tokenFile', config: { tokenFile: `${root}/token` } } }],
      contexts: [{ name: 'inClusterContext', cluster: 'inCluster', user: 'inClusterUser', namespace }],
      currentContext: 'inClusterContext',
    });
  }

  setCurrentContext(name: string): void {
    this.currentContext = name;
    this.proxied = undefined;
  }

  getCurrentContext(): string {
    return this.currentContext;
  }

  getCurrentCluster(): Cluster | null {
    const context = this.contexts.find((c) => c.name === this.currentContext);
    return (context && this.clusters.find((c) => c.name === context.cluster)) ?? null;
  }

  getCurrentUser(): User | null {
    const context = this.contexts.find((c) => c.name === this.currentContext);
    return (context && this.users.find((u) => u.name === context.user)) ?? null;
  }

  async applyToHTTPSOptions(opts: https.RequestOptions): Promise<void> {
    const cluster = this.getCurrentCluster();
    if (cluster?.proxyUrl) return this.viaProxy().applyToHTTPSOptions(opts);
    const user = this.getCurrentUser();
    if (user) {
      if (cluster?.skipTLSVerify) opts.rejectUnauthorized = false;
      if (cluster?.tlsServerName) opts.servername = cluster.tlsServerName;
      const ca = cluster ? fileOrData(cluster.caFile, cluster.caData) : null;
      if (ca) opts.ca = ca;
      const cert = fileOrData(user.certFile, user.certData);
      if (cert) opts.cert = cert;
      const key = fileOrData(user.keyFile, user.keyData);
      if (key) opts.key = key;
      const headers = (opts.headers ??= {}) as http.OutgoingHttpHeaders;
      if (user.impersonateUser != null) headers['Impersonate-User'] = user.impersonateUser;
      await this.authenticators.find((a) => a.isAuthProvider(user))?.applyAuthentication(user, opts);
      if (user.token) headers['Authorization'] = `Bearer ${user.token}`;
      if (user.username) opts.auth = `${user.username}:${user.password}`;
    }
    const agentOptions: https.AgentOptions = { ca: opts.ca, cert: opts.cert, key: opts.key, servername: opts.servername, timeout: opts.timeout };
    if (opts.rejectUnauthorized !== undefined) agentOptions.rejectUnauthorized = opts.rejectUnauthorized;
    if (cluster?.server.startsWith('http:')) {
      if (!cluster.skipTLSVerify) throw new Error('HTTP protocol is not allowed when skipTLSVerify is not set or false');
      opts.agent = new http.Agent(agentOptions);
    } else {
      opts.agent = new https.Agent(agentOptions);
    }
  }

  /** What client-node's Watch asks for (node-fetch request options). */
  async applyToFetchOptions(opts: https.RequestOptions): Promise<{ agent: https.RequestOptions['agent']; headers: Headers; method?: string; timeout?: number }> {
    await this.applyToHTTPSOptions(opts);
    const headers = new Headers();
    for (const [key, value] of Object.entries(opts.headers ?? {})) {
      if (Array.isArray(value)) for (const v of value) headers.append(key, v);
      else if (typeof value === 'number' || typeof value === 'string') headers.set(key, String(value));
    }
    if (opts.auth) headers.set('Authorization', `Basic ${Buffer.from(opts.auth).toString('base64')}`);
    return { agent: opts.agent, headers, method: opts.method, timeout: opts.timeout };
  }

  private viaProxy(): KubeCredentialsLike {
    if (!this.proxied) {
      // Only for proxied clusters: the full client-node (and its generated clients) is loaded here.
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      const { KubeConfig } = require('@kubernetes/client-node') as typeof import('@kubernetes/client-node');
      const kc = new KubeConfig();
      kc.loadFromOptions({ clusters: this.clusters, users: this.users, contexts: this.contexts, currentContext: this.currentContext });
      this.proxied = kc;
    }
    return this.proxied;
  }
}

function fileOrData(file: string | undefined, data: string | undefined): Buffer | null {
  if (file) return readFileSync(file);
  if (data) return Buffer.from(data, 'base64');
  return null;
}

export function loadKubeConfig(source: KubeConfigSource): KubeCredentials {
  const kc = new KubeCredentials();
  try {
    switch (source.from) {
      case 'file':
        kc.loadFromFile(source.path);
        if (source.context) kc.setCurrentContext(source.context);
        break;
      case 'in-cluster':
        kc.loadFromCluster(source);
        break;
      case 'token':
        kc.loadFromOptions({
          clusters: [{ name: 'cluster', server: source.server, caFile: source.caFile, caData: source.caData, skipTLSVerify: false }],
          users: [{ name: 'user', token: source.token }],
          contexts: [{ name: 'context', cluster: 'cluster', user: 'user' }],
          currentContext: 'context',
        });
        break;
    }
  } catch (err) {
    throw new KubeConfigError(`cannot load kubeconfig (${describe(source)}): ${(err as Error).message}`, { cause: err });
  }
  if (!kc.getCurrentCluster()) {
    throw new KubeConfigError(`kubeconfig (${describe(source)}) has no current cluster`);
  }
  return kc;
}

/** The same cluster (server, CA) as `base`, authenticated by a bearer token instead. */
export function withBearerToken(base: KubeCredentialsLike, token: string): KubeCredentials {
  const cluster = base.getCurrentCluster();
  if (!cluster) throw new KubeConfigError('kubeconfig has no current cluster');
  const kc = new KubeCredentials();
  kc.loadFromOptions({
    clusters: [{ ...cluster, name: 'cluster' }],
    users: [{ name: 'token-user', token }],
    contexts: [{ name: 'context', cluster: 'cluster', user: 'token-user' }],
    currentContext: 'context',
  });
  return kc;
}

function describe(source: KubeConfigSource): string {
  switch (source.from) {
    case 'file':
      return `file ${source.path}`;
    case 'in-cluster':
      return 'in-cluster service account';
    case 'token':
      return `token for ${source.server}`;
  }
}
