/** The services of a distributed deployment (docs/architecture.md §2). */
export const SERVICE_NAMES = ['webhook-ingest', 'repo-sync', 'autodeploy', 'kube-applier', 'commit-status'] as const;
export type ServiceName = (typeof SERVICE_NAMES)[number];

/**
 * Which service answers a request path (docs/architecture.md §2, §7): what a gateway in front
 * of a distributed deployment routes by, and what a client without one asks.
 */
export function serviceForPath(path: string): ServiceName {
  if (path.startsWith('/webhooks/')) return 'webhook-ingest';
  if (path.startsWith('/api/repos') || path.startsWith('/api/admin/sync') || path.startsWith('/api/admin/replay/repo-sync')) return 'repo-sync';
  if (path.startsWith('/api/admin/replay/kube-applier')) return 'kube-applier';
  if (path.startsWith('/api/commit-statuses') || path.startsWith('/api/admin/replay/commit-status')) return 'commit-status';
  if (/^\/api\/(deploys|configs)\/[^/]+\/manifests/.test(path) || path.startsWith('/api/test-runs')) return 'kube-applier';
  return 'autodeploy';
}

/**
 * The views a replay rebuilds (docs/architecture.md §4 "Rebuilding views"), each named by the path
 * under `/api/admin/replay` that rebuilds it; autodeploy's read models are `/api/admin/replay` itself.
 */
export const REPLAY_VIEWS = [
  'autodeploy',
  'autodeploy/repo-knowledge',
  'autodeploy/preview-facts',
  'autodeploy/team-policies',
  'repo-sync',
  'repo-sync/team-tokens',
  'repo-sync/team-policies',
  'kube-applier',
  'kube-applier/team-tokens',
  'kube-applier/team-policies',
  'commit-status',
  'commit-status/team-tokens',
] as const;
export type ReplayView = (typeof REPLAY_VIEWS)[number];

/** `POST` there starts a rebuild of `view`; `GET <path>/{id}` answers its progress. */
export const replayPath = (view: ReplayView): string => (view === 'autodeploy' ? '/api/admin/replay' : `/api/admin/replay/${view}`);
