// Test support: fault injection in front of the real API server; not exported from index.ts.
import { errorFromResponse, KubeClient, type RequestOptions } from '@sluice/kube';

export interface Fault {
  /** Matches when the request's method is this and its path contains `pathIncludes`. */
  method: RequestOptions['method'];
  pathIncludes: string;
  status: number;
  reason: string;
  retryAfterSeconds?: number;
}

/**
 * A KubeClient that answers chosen requests with the API server's error responses (429 with
 * Retry-After, 409 Conflict, 503) before letting the rest through to the real server, and
 * lets a test act (cut the network) when a request goes out. Each fault fires once.
 */
export class FaultInjectingClient extends KubeClient {
  private faults: Fault[] = [];
  private hooks: Array<{ method: string; pathIncludes: string; run: () => void }> = [];
  readonly injected: string[] = [];

  inject(...faults: Fault[]): void {
    this.faults.push(...faults);
  }

  onRequest(method: RequestOptions['method'], pathIncludes: string, run: () => void): void {
    this.hooks.push({ method, pathIncludes, run });
  }

  get pending(): number {
    return this.faults.length + this.hooks.length;
  }

  override async request<T = unknown>(opts: RequestOptions): Promise<T> {
    const hook = this.hooks.findIndex((h) => h.method === opts.method && opts.path.includes(h.pathIncludes));
    if (hook >= 0) {
      const [h] = this.hooks.splice(hook, 1);
      this.injected.push(`cut before ${opts.method} ${opts.path}`);
      h!.run();
    }
    const i = this.faults.findIndex((f) => f.method === opts.method && opts.path.includes(f.pathIncludes));
    if (i >= 0) {
      const [f] = this.faults.splice(i, 1);
      this.injected.push(`${f!.status} ${opts.method} ${opts.path}`);
      throw errorFromResponse(
        f!.status,
        {
          kind: 'Status',
          status: 'Failure',
          code: f!.status,
          reason: f!.reason,
          message: 'injected by the test',
          ...(f!.retryAfterSeconds ? { details: { retryAfterSeconds: f!.retryAfterSeconds } } : {}),
        },
        undefined,
        `${opts.method} ${opts.path}`,
      );
    }
    return super.request<T>(opts);
  }
}
