import type { FakeRequest, FakeResponse } from './types';

export type Handler = (req: FakeRequest) => FakeResponse | Promise<FakeResponse>;

interface Route {
  readonly method: string;
  readonly pattern: string;
  readonly regex: RegExp;
  readonly names: readonly string[];
  readonly handler: Handler;
  readonly tag?: string;
}

export interface RouteMatch {
  readonly handler: Handler;
  readonly params: Record<string, string>;
  readonly pattern: string;
  readonly tag?: string;
}

/**
 * Method + path-template router. `{name}` (or `:name`) matches one raw path segment and is
 * URL-decoded, so GitLab's `group%2Fproject` ids arrive decoded; `{name+}` matches the rest
 * of the path (GitHub's `contents/{path}`).
 */
export class Router {
  private readonly routes: Route[] = [];

  add(method: string, pattern: string, handler: Handler, tag?: string): void {
    const names: string[] = [];
    const source = pattern
      .split('/')
      .map((seg) => {
        const m = /^\{([A-Za-z_]+)(\+?)\}$/.exec(seg) ?? /^:([A-Za-z_]+)()$/.exec(seg);
        if (!m) return seg.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
        names.push(m[1]);
        return m[2] === '+' ? '(.+)' : '([^/]+)';
      })
      .join('/');
    this.routes.push({ method, pattern, regex: new RegExp(`^${source}/?$`), names, handler, tag });
  }

  match(method: string, path: string): RouteMatch | 'method-not-allowed' | undefined {
    let pathMatched = false;
    for (const r of this.routes) {
      const m = r.regex.exec(path);
      if (!m) continue;
      pathMatched = true;
      if (r.method !== method) continue;
      const params: Record<string, string> = {};
      r.names.forEach((n, i) => {
        params[n] = decodeURIComponent(m[i + 1]);
      });
      return { handler: r.handler, params, pattern: r.pattern, tag: r.tag };
    }
    return pathMatched ? 'method-not-allowed' : undefined;
  }
}
