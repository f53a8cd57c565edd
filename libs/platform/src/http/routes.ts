/**
 * The routes an app answers, read from its HTTP router (what Nest registered: controllers,
 * the OpenAPI document, anything mounted with a method), so a request that matched no route
 * can be told apart: a path that exists under other methods (405 with `Allow`) or no such
 * path at all (404). Built once per app, on the first miss: every route is registered
 * before the server answers its first request.
 */

/** The parts of an express 5 router layer read here. */
interface RouterLayer {
  readonly route?: { readonly methods: Readonly<Record<string, boolean>> };
  match(path: string): unknown;
}

interface RouterHost {
  readonly router?: { readonly stack?: readonly RouterLayer[] };
}

interface Route {
  readonly layer: RouterLayer;
  readonly methods: readonly string[];
}

export class RouteTable {
  private constructor(private readonly routes: readonly Route[]) {}

  private static readonly empty = new RouteTable([]);

  /** The table of the express app a request came through (`req.app`); empty for anything else. */
  static of(app: unknown): RouteTable {
    if (app === null || (typeof app !== 'object' && typeof app !== 'function')) return RouteTable.empty;
    const known = tables.get(app);
    if (known) return known;
    const stack = (app as RouterHost).router?.stack ?? [];
    const routes = stack.flatMap((layer) =>
      layer.route ? [{ layer, methods: Object.keys(layer.route.methods).filter((m) => m !== '_all').map((m) => m.toUpperCase()) }] : [],
    );
    const table = new RouteTable(routes);
    tables.set(app, table);
    return table;
  }

  /**
   * The methods some route answers at `path` (a URL path without the query), sorted, with
   * HEAD wherever GET is (express answers HEAD with the GET route). Empty: no such path.
   */
  allowedMethods(path: string): string[] {
    const methods = new Set<string>();
    for (const route of this.routes) {
      if (!matches(route.layer, path)) continue;
      for (const method of route.methods) methods.add(method);
    }
    if (methods.has('GET')) methods.add('HEAD');
    return [...methods].sort();
  }
}

const tables = new WeakMap<object, RouteTable>();

function matches(layer: RouterLayer, path: string): boolean {
  try {
    return Boolean(layer.match(path));
  } catch {
    // A malformed %-escape cannot name any route.
    return false;
  }
}
