import { setTimeout as sleep } from 'node:timers/promises';
import { argoVerdict, type ArgoAppState, type ArgoVerdict } from '../domain/argo-verdict';

/** Argo CD refused Sluice's token (401/403): not retried; the deploy fails with this message. */
export class ArgoCdAuthError extends Error {
  constructor(status: number) {
    super(`Argo CD refused Sluice's API token (${status}): check the token and its RBAC (applications, get and sync)`);
    this.name = 'ArgoCdAuthError';
  }
}

/** Argo CD as the deploy needs it (ArgoCdClient). */
export interface ArgoApplications {
  refresh(app: string): Promise<ArgoAppState>;
  get(app: string): Promise<ArgoAppState>;
  sync(app: string, revision: string): Promise<void>;
}

/**
 * Makes Argo CD deploy a GitOps commit at once (seed 001 steps 5–7): a hard refresh, a sync at that
 * revision, then the application followed until it is Synced and Healthy at it, or its sync failed,
 * or it is Degraded, or `timeoutMs` passed — the deploy's outcome.
 */
export class ArgoSync {
  constructor(
    private readonly argo: ArgoApplications,
    private readonly options: { readonly pollMs?: number; readonly timeoutMs?: number } = {},
  ) {}

  async syncAndFollow(app: string, revision: string): Promise<ArgoVerdict> {
    const already = argoVerdict(await this.argo.refresh(app), revision);
    if (already.kind !== 'pending') return already;
    await this.argo.sync(app, revision);
    return this.follow(app, revision);
  }

  async follow(app: string, revision: string): Promise<ArgoVerdict> {
    const timeoutMs = this.options.timeoutMs ?? 10 * 60_000;
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const verdict = argoVerdict(await this.argo.get(app), revision);
      if (verdict.kind !== 'pending') return verdict;
      if (Date.now() >= deadline) return { kind: 'failed', message: `Argo CD did not report ${app} Synced and Healthy at ${revision.slice(0, 7)} within ${Math.round(timeoutMs / 1000)} s` };
      await sleep(this.options.pollMs ?? 2_000);
    }
  }
}
