// Test support: counts the requests a KubeClient sends, by verb and resource; not exported from index.ts.
import { APPLY_PATCH, KubeClient, type RequestOptions } from '@sluice/kube';

/**
 * A KubeClient that counts each request it sends (watches aside: they are long-lived, not per
 * deploy) as `<verb> <resource>[/<subresource>]`, the verb named as the API server's
 * `apiserver_request_total` names it (GET/LIST, APPLY for a server-side apply, PATCH, POST,
 * DELETE), the resource as its path names it (`discovery` for an API group's resource list).
 */
export class CountingClient extends KubeClient {
  readonly counts = new Map<string, number>();

  override async request<T = unknown>(opts: RequestOptions): Promise<T> {
    const key = requestKey(opts);
    this.counts.set(key, (this.counts.get(key) ?? 0) + 1);
    return super.request<T>(opts);
  }

  /** The counts so far, then zeroed. */
  take(): Record<string, number> {
    const taken = Object.fromEntries([...this.counts].sort(([a], [b]) => a.localeCompare(b)));
    this.counts.clear();
    return taken;
  }
}

function requestKey(opts: RequestOptions): string {
  // /api/v1[/namespaces/<ns>]/<resource>[/<name>[/<sub>]] or /apis/<group>/<version>[/namespaces/<ns>]/<resource>[/<name>[/<sub>]]
  const parts = opts.path.split('?')[0]!.split('/').filter(Boolean);
  let rest = parts[0] === 'api' ? parts.slice(2) : parts.slice(3);
  if (rest[0] === 'namespaces' && rest.length > 2) rest = rest.slice(2);
  const [resource, name, sub] = rest;
  if (!resource) return `GET discovery`;
  let verb: string = opts.method;
  if (opts.method === 'GET') verb = name ? 'GET' : 'LIST';
  if (opts.method === 'PATCH' && opts.contentType === APPLY_PATCH) verb = 'APPLY';
  return `${verb} ${resource}${sub ? `/${sub}` : ''}`;
}
