import { ProviderHttp, RateLimitGate, ScmRequestError, type RetryPolicy } from '@sluice/scm';
import { ArgoCdAuthError, type ArgoApplications } from '../application/argo-sync';
import type { ArgoAppState } from '../domain/argo-verdict';

interface ApplicationBody {
  status?: {
    sync?: { status?: string; revision?: string };
    health?: { status?: string; message?: string };
    operationState?: { phase?: string; message?: string; operation?: { sync?: { revision?: string } }; syncResult?: { revision?: string } };
  };
}

/**
 * Argo CD's REST API (`/api/v1/applications`) with a bearer token: 5xx, timeouts and network
 * failures retried with backoff and full jitter (`ProviderHttp`); 401/403 are `ArgoCdAuthError`.
 * The token is sent in the Authorization header only and never logged.
 */
export class ArgoCdClient implements ArgoApplications {
  private readonly http: ProviderHttp;

  constructor(
    private readonly baseUrl: string,
    private readonly token: string,
    options: { readonly retry?: RetryPolicy; readonly timeoutMs?: number } = {},
  ) {
    this.http = new ProviderHttp({ gate: new RateLimitGate(), retry: options.retry ?? { attempts: 5, baseDelayMs: 250, maxDelayMs: 5_000 }, timeoutMs: options.timeoutMs ?? 15_000 });
  }

  /** A hard refresh: Argo reads the repository now instead of at its next poll (3 minutes by default). */
  async refresh(app: string): Promise<ArgoAppState> {
    return this.get(app, 'hard');
  }

  async get(app: string, refresh?: 'hard'): Promise<ArgoAppState> {
    const query = refresh ? `?refresh=${refresh}` : '';
    return stateOf(await this.call<ApplicationBody>('GET', `/api/v1/applications/${encodeURIComponent(app)}${query}`));
  }

  /** Syncs the application to `revision` (the GitOps commit). */
  async sync(app: string, revision: string): Promise<void> {
    await this.call('POST', `/api/v1/applications/${encodeURIComponent(app)}/sync`, { name: app, revision, prune: false });
  }

  private async call<T>(method: 'GET' | 'POST', path: string, body?: unknown): Promise<T> {
    try {
      const res = await this.http.request<T>({ method, url: `${this.baseUrl.replace(/\/$/, '')}${path}`, headers: { Authorization: `Bearer ${this.token}` }, body });
      return res.body;
    } catch (error) {
      if (error instanceof ScmRequestError && (error.status === 401 || error.status === 403)) throw new ArgoCdAuthError(error.status);
      throw error;
    }
  }
}

function stateOf(app: ApplicationBody): ArgoAppState {
  const s = app.status ?? {};
  return {
    syncStatus: s.sync?.status ?? null,
    syncedRevision: s.sync?.revision ?? null,
    health: s.health?.status ?? null,
    healthMessage: s.health?.message ?? null,
    operationPhase: s.operationState?.phase ?? null,
    operationMessage: s.operationState?.message ?? null,
    operationRevision: s.operationState?.syncResult?.revision ?? s.operationState?.operation?.sync?.revision ?? null,
  };
}
