import { viewReplayController } from '@sluice/auth';
import { CommitStatusViewsReplay } from '../postgres/views-replay';

/** Rebuilding commit-status's views from its log (docs/architecture.md §4 "Rebuilding views"), beside the other services' replays. */
export const CommitStatusViewsReplayController = viewReplayController({
  path: 'api/admin/replay/commit-status',
  replay: CommitStatusViewsReplay,
  name: 'CommitStatusViewsReplayController',
  summary:
    "Rebuild commit-status's views (each config's deploy status, the repositories of each team's configs, each repository's provider) from the events it kept in its log into a copy, swapped in atomically once caught up (admin); the live tables serve meanwhile. Poll GET /api/admin/replay/commit-status/{id}",
  statusSummary: "Progress of a rebuild of commit-status's views (admin)",
  conflict: 'commit_status_views_log_incomplete: the views were written in part before commit-status kept their events',
});
