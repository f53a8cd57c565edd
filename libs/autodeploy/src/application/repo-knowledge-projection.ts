import type { DeployConfigRoot, SluiceEvent } from '@sluice/contracts';
import type { Transaction } from '@sluice/event-store';
import type { RepoKnowledge } from './ports';

/** The `sluice.repo.v1` types autodeploy consumes (and keeps in its log). */
export const REPO_EVENT_TYPES = [
  'repo.branch.updated',
  'repo.branch.deleted',
  'repo.build.recorded',
  'repo.config.discovered',
  'repo.config.changed',
  'repo.config.removed',
  'repo.tag.pushed',
  'repo.renamed',
] as const;

/** The events of autodeploy's log that what it knows of the repositories is projected from: those, and its own config decisions. */
export const REPO_KNOWLEDGE_EVENT_TYPES = [...REPO_EVENT_TYPES, 'config.registered', 'config.removed'] as const;

/**
 * What autodeploy knows of the repositories (`RepoKnowledge`: heads, commits and their times,
 * green builds, the configs' routes) after one event of its log: a `sluice.repo.v1` event it
 * received, or its own `config.registered` / `config.removed`. The live consumer runs it on each
 * event as it handles it and on the decisions it appends; a rebuild runs it on the log in order
 * (`RepoKnowledgeReplay`). Green builds depend on the branch head known when the build came, so
 * order matters, and the log keeps it.
 */
export async function projectRepoKnowledge(event: SluiceEvent, m: Transaction, knowledge: RepoKnowledge): Promise<void> {
  switch (event.type) {
    case 'repo.branch.updated':
      return knowledge.recordBranchHead(m, { ...event.data, at: event.occurredAt });
    case 'repo.branch.deleted':
      return knowledge.deleteBranch(m, event.data.repo, event.data.branch);
    case 'repo.tag.pushed':
      return knowledge.recordCommit(m, event.data.repo, event.data.sha, null);
    case 'repo.build.recorded': {
      const { repo, sha, branch, buildName, status, conclusion } = event.data;
      await knowledge.recordCommit(m, repo, sha, branch);
      if (status !== 'completed' || conclusion !== 'success' || branch === null) return;
      // Builds finish out of order: a build of a commit the branch has moved past is not green for it. Unknown head: trust the build.
      const head = await knowledge.branchHead(m, repo, branch);
      // Kept even when no config tracks the branch yet: a config added later deploys it.
      if (head === null || head === sha) await knowledge.recordGreenBuild(m, { repo, branch, buildName, sha });
      return;
    }
    case 'repo.config.discovered':
    case 'repo.config.changed':
      return knowledge.recordConfigCommit(m, event.data.config.configRepo, event.data.configSha, event.occurredAt);
    case 'repo.config.removed':
      return knowledge.recordConfigCommit(m, event.data.configRepo, event.data.configSha, event.occurredAt);
    case 'repo.renamed':
      return knowledge.renameRepo(m, event.data.from, event.data.to);
    case 'config.registered':
      return knowledge.upsertRoute(m, event.data.root as unknown as DeployConfigRoot);
    case 'config.removed':
      return knowledge.markRouteRemoved(m, event.data.config);
    default:
      return;
  }
}
