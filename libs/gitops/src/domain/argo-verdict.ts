/** What Argo CD says about an application (`status.sync`, `status.health`, `status.operationState`). */
export interface ArgoAppState {
  readonly syncStatus: string | null;
  readonly syncedRevision: string | null;
  readonly health: string | null;
  readonly healthMessage: string | null;
  readonly operationPhase: string | null;
  readonly operationMessage: string | null;
  readonly operationRevision: string | null;
}

export type ArgoVerdict = { readonly kind: 'pending' } | { readonly kind: 'succeeded' } | { readonly kind: 'failed'; readonly message: string };

/**
 * Pure: the outcome of a deploy whose GitOps commit is `revision`, from the application's state —
 * succeeded once Synced at that revision and Healthy; failed when the sync of that revision failed
 * (Argo's message), or the application is Degraded at it; pending otherwise.
 */
export function argoVerdict(state: ArgoAppState, revision: string): ArgoVerdict {
  const ours = state.operationRevision === revision;
  if (ours && (state.operationPhase === 'Failed' || state.operationPhase === 'Error')) {
    return { kind: 'failed', message: `Argo CD sync ${state.operationPhase.toLowerCase()}: ${state.operationMessage ?? 'no message'}` };
  }
  if (state.syncStatus === 'Synced' && state.syncedRevision === revision) {
    if (state.health === 'Healthy') return { kind: 'succeeded' };
    if (state.health === 'Degraded') return { kind: 'failed', message: `Argo CD reports the application Degraded: ${state.healthMessage ?? 'no message'}` };
  }
  return { kind: 'pending' };
}
