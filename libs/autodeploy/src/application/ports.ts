import type { DeployConfigRoot } from '@sluice/contracts';
import type { Transaction } from '@sluice/event-store';

/** When commits were made, as the pushes of `sluice.repo.v1` said (`RepoKnowledge.recordBranchHead`). */
export interface CommitTimes {
  /** The commit's time (ISO 8601), null when no push reported it. */
  committedAt(m: Transaction, sha: string): Promise<string | null>;
}

/**
 * What autodeploy knows of the repositories, from `sluice.repo.v1` (its own projection;
 * services do not share tables), written by `projectRepoKnowledge` only. Every call runs in the
 * caller's transaction.
 */
export interface RepoKnowledge {
  /** `headCommit.timestamp`, when known, is kept as the head commit's time (lead time for changes, libs/dora). */
  recordBranchHead(
    m: Transaction,
    input: { repo: string; defaultBranch: string; branch: string; headSha: string; previousSha: string | null; at: string; headCommit?: { timestamp: string | null } | null },
  ): Promise<void>;
  deleteBranch(m: Transaction, repo: string, branch: string): Promise<void>;
  recordCommit(m: Transaction, repo: string, sha: string, branch: string | null): Promise<void>;
  /** A config-repository commit of the default branch (root fields are read there), seen `at`; heads the branch only if no head is known. */
  recordConfigCommit(m: Transaction, repo: string, sha: string, at: string): Promise<void>;
  isKnownCommit(m: Transaction, repo: string, sha: string): Promise<boolean>;
  /** Branches the commit was seen on, first seen first. */
  branchesOf(m: Transaction, repo: string, sha: string): Promise<string[]>;
  /** Head of a branch, null when not known. */
  branchHead(m: Transaction, repo: string, branch: string): Promise<string | null>;
  /** Head of the repository's default branch, null when not known yet. */
  defaultBranchHead(m: Transaction, repo: string): Promise<string | null>;
  /**
   * Head of the default branch of config repository `repo`, or `catalogueSha` (the commit a
   * config was just read at) when that is newer: its push has not been seen yet. Null when
   * neither is known.
   */
  configRepoHead(m: Transaction, repo: string, catalogueSha: string | null): Promise<string | null>;
  /** Head of `branch` of `repo`; for the default branch as `configRepoHead` tells it. */
  trackedHead(m: Transaction, repo: string, branch: string, catalogueSha: string | null): Promise<string | null>;
  /** A successful build of the head of `branch` (or of a branch whose head is not known): what rule 2 deploys. */
  recordGreenBuild(m: Transaction, input: { repo: string; branch: string; buildName: string; sha: string }): Promise<void>;
  /** The commit of the newest green build recorded by `recordGreenBuild` (of `buildName`, or of any build when null). */
  latestGreenBuild(m: Transaction, repo: string, branch: string, buildName: string | null): Promise<string | null>;

  upsertRoute(m: Transaction, root: DeployConfigRoot): Promise<void>;
  markRouteRemoved(m: Transaction, name: string): Promise<void>;
  /** Artifactless configs that track `branch` of config repository `repo` (rule 1; autodeploy on or off: the decider says why it skips). */
  configsForPush(m: Transaction, repo: string, branch: string): Promise<string[]>;
  /** Artifactful configs whose artifact repo is `repo`, built by `buildName` (`artifact.build` compared without ASCII case), on any tracked branch, autodeploy on or off (rule 2). */
  configsForBuild(m: Transaction, repo: string, buildName: string): Promise<Array<{ name: string; configRepo: string; trackBranch: string }>>;
  /** Configs with a `build:` whose artifact repo is `repo` (docs/architecture.md §1 "Builds"), autodeploy on or off. */
  configsThatBuild(m: Transaction, repo: string): Promise<BuildingConfig[]>;
  /** The configs whose config or artifact repository is `repo`. */
  configsNaming(m: Transaction, repo: string): Promise<string[]>;
  /** The repository `from` is now `to` (`repo.renamed`, docs/architecture.md §2): its heads, commits, green builds and routes follow. */
  renameRepo(m: Transaction, from: string, to: string): Promise<void>;
}

export interface BuildingConfig {
  readonly name: string;
  readonly trackBranch: string;
  /** The `track.tags` glob, or null. */
  readonly trackTags: string | null;
}

export const REPO_KNOWLEDGE = Symbol('REPO_KNOWLEDGE');

/** Who acts: the token's subject (`admin`, `team:<team>`) and the team it may act for (null = every team). */
export interface Actor {
  readonly subject: string;
  readonly team: string | null;
}
