import { viewReplayController } from '@sluice/auth';
import { CatalogueReplay } from '../persistence/catalogue-replay';

/**
 * Rebuilding repo-sync's catalogue from its log (docs/architecture.md §4 "Rebuilding views"), under
 * `/api/admin/replay/repo-sync` so that, in the all-in-one, it stands beside autodeploy's and
 * kube-applier's replays.
 */
export const CatalogueReplayController = viewReplayController({
  path: 'api/admin/replay/repo-sync',
  replay: CatalogueReplay,
  name: 'CatalogueReplayController',
  summary:
    "Rebuild the catalogue (repositories, branches, commits, builds, configs, config errors and scans, former names) from repo-sync's log into a copy, swapped in atomically once caught up (admin); the live tables serve meanwhile. Poll GET /api/admin/replay/repo-sync/{id}",
  statusSummary: "Progress of a rebuild of repo-sync's catalogue (admin)",
  conflict: 'catalogue_log_incomplete: the catalogue was written in part before its log held all of it',
});
