import type { BuildConclusion, BuildRun, CommitSummary, NewEvent, RepoRef } from '@sluice/contracts';
import type { Transaction } from '@sluice/event-store';
import type { BuildSource } from '../domain/build-order';
import type { ConfigDecisions } from '../domain/config-diff';
import type { ParsedConfig } from '../domain/deploy-config';

export interface BuildFact {
  readonly sha: string;
  readonly branch: string | null;
  readonly buildName: string;
  readonly status: 'in_progress' | 'completed';
  readonly conclusion: BuildConclusion | null;
  readonly url: string | null;
  /** Which SCM feature reported it; null when not known. */
  readonly source: BuildSource | null;
  /** Which execution and when, to order reports (`orderBuildObservation`). */
  readonly run: BuildRun;
  /** The webhook delivery it came from; null for global sync's reads. */
  readonly deliveryId: string | null;
}

/** A branch head to record (`updateBranches`). */
export interface BranchHead {
  readonly branch: string;
  readonly headSha: string;
  readonly headCommit: CommitSummary | null;
  /** GitHub reported the push as forced and the head does not descend from the previous one. */
  readonly forced?: boolean;
  /**
   * Move only while the stored head is still this one (null: the branch is unknown). Global
   * sync passes the head it saw before reading the SCM, so a push recorded meanwhile is
   * not overwritten by a snapshot taken before it.
   */
  readonly expectedSha?: string | null;
}

/** Configs read at one default-branch commit. */
export interface ConfigScan {
  readonly sha: string;
  readonly parsed: readonly ParsedConfig[];
}

/**
 * The catalogue's writes, shared by the webhook consumer and global sync so both emit the same
 * events (PgCatalogue). Each compares with what is stored and returns the events of what changed —
 * nothing when nothing changed (idempotent); the rows are what those events say, so the log
 * rebuilds them. Callers run them in one transaction after `beginWrite` and `lockRepo`, then
 * `append`, keeping the events in the order the calls gave them.
 */
export interface Catalogue {
  /** First in every transaction that writes the catalogue, before it reads it: a rebuild's swap waits for the writers in flight. */
  beginWrite(m: Transaction): Promise<void>;
  /** Serialises writers of one repository (webhook consumer and global sync) until commit. */
  lockRepo(m: Transaction, fullName: string): Promise<void>;
  /** Records the repository; the same provider id under a new name is followed as a rename (`repo.renamed`). */
  upsertRepo(m: Transaction, repo: RepoRef): Promise<NewEvent[]>;
  /**
   * The repository under its current name when `repo` names it by a name it had before a rename
   * (a late or redelivered event): such an event is about the renamed repository, never a rename back.
   */
  currentRef(m: Transaction, repo: RepoRef): Promise<RepoRef>;
  /** The provider renamed or transferred the repository (docs/architecture.md §2): the catalogue follows it. */
  renameRepo(m: Transaction, repo: RepoRef, previousFullName: string): Promise<NewEvent[]>;
  /** The main branch recorded for the repository; null when it is not in the catalogue. */
  defaultBranch(m: Transaction, fullName: string): Promise<string | null>;
  branchHeads(m: Transaction, fullName: string): Promise<Map<string, string>>;
  branchHead(m: Transaction, fullName: string, branch: string): Promise<string | null>;
  updateBranch(m: Transaction, repo: RepoRef, head: BranchHead): Promise<NewEvent[]>;
  updateBranches(m: Transaction, repo: RepoRef, heads: readonly BranchHead[]): Promise<NewEvent[]>;
  deleteBranch(m: Transaction, fullName: string, branch: string, expectedSha?: string): Promise<NewEvent[]>;
  /** The commits not recorded before, as `repo.commits.recorded` (nothing when none is new). */
  recordCommits(m: Transaction, fullName: string, commits: readonly CommitSummary[]): Promise<NewEvent[]>;
  recordBuild(m: Transaction, fullName: string, fact: BuildFact): Promise<NewEvent[]>;
  recordBuilds(m: Transaction, fullName: string, facts: readonly BuildFact[]): Promise<NewEvent[]>;
  /** Commits with a build still in progress: global sync reads their builds again. */
  openBuildShas(m: Transaction, fullName: string): Promise<string[]>;
  /** The default-branch commit configs were last read at. */
  lastConfigScan(m: Transaction, fullName: string): Promise<string | null>;
  applyConfigScan(m: Transaction, repo: RepoRef, scan: ConfigScan): Promise<{ events: NewEvent[]; decisions: ConfigDecisions }>;
  /** Appends to the repository's stream (`repoStream`: by identity, looked up when given a name). */
  append(m: Transaction, repo: RepoRef | string, events: readonly NewEvent[], meta: { correlationId: string; causationId: string | null }): Promise<void>;
}

export const CATALOGUE = Symbol('CATALOGUE');
