import { viewReplayController } from '@sluice/auth';
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
