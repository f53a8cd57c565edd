import { viewReplayController } from '@sluice/auth';
import { PreviewFactsReplay } from '@sluice/previews';
import { RepoKnowledgeReplay } from '../persistence/repo-knowledge-replay';

/** Rebuilding what autodeploy knows of the repositories from its log (docs/architecture.md §4 "Rebuilding views"). */
export const RepoKnowledgeReplayController = viewReplayController({
  path: 'api/admin/replay/autodeploy/repo-knowledge',
  replay: RepoKnowledgeReplay,
  name: 'RepoKnowledgeReplayController',
  summary:
    "Rebuild what autodeploy knows of the repositories (branch heads, commits and their times, green builds, the configs' routes) from the sluice.repo.v1 events it kept and its own config events, into a copy swapped in atomically (admin). Poll GET /api/admin/replay/autodeploy/repo-knowledge/{id}",
  statusSummary: "Progress of a rebuild of autodeploy's repository knowledge (admin)",
  conflict: 'repo_knowledge_log_incomplete: the tables were written in part before autodeploy kept their events',
});

/** Rebuilding the previews' facts (configs with previews, pull requests, green builds) from the inputs they kept. */
export const PreviewFactsReplayController = viewReplayController({
  path: 'api/admin/replay/autodeploy/preview-facts',
  replay: PreviewFactsReplay,
  name: 'PreviewFactsReplayController',
  summary:
    "Rebuild the previews' facts (configs with previews, pull requests, green builds) from the inputs the previews' consumer kept in autodeploy's log, into a copy swapped in atomically (admin). Poll GET /api/admin/replay/autodeploy/preview-facts/{id}",
  statusSummary: "Progress of a rebuild of the previews' facts (admin)",
  conflict: 'preview_facts_log_incomplete: the facts were written in part before the previews kept their inputs',
});
