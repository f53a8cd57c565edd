import type { BuildConclusion, BuildRun } from '@sluice/contracts';

/**
 * The SCM port: what Sluice reads from a source-control system. GitHub implements it
 * first (`GitHubScm`); GitLab and Bitbucket adapters come later. Every call builds its
 * URL from the configured API base and the arguments — never from a URL in a payload.
 */

export interface ScmRepository {
  /** `owner/name`. */
  readonly fullName: string;
  readonly id: number | null;
  readonly defaultBranch: string;
  readonly private: boolean;
  readonly archived: boolean;
}

export interface ScmBranch {
  readonly name: string;
  readonly sha: string;
}

export interface ScmCommit {
  readonly sha: string;
  readonly message: string;
  readonly authorName: string | null;
  readonly authorEmail: string | null;
  /** ISO-8601 author date. */
  readonly timestamp: string | null;
}

export type ScmStatusState = 'pending' | 'success' | 'failure' | 'error';

export interface ScmStatus {
  readonly context: string;
  readonly state: ScmStatusState;
  readonly targetUrl: string | null;
  /**
   * A finished build's conclusion when the provider's is finer than `state` (GitLab's `canceled`
   * and `skipped`, Bitbucket's `STOPPED`), as its build webhooks normalise it; absent = `state`.
   */
  readonly conclusion?: BuildConclusion;
  /**
   * Which execution this is and when, as the provider's build webhooks report it (GitLab: the
   * pipeline, `workflow_run`; Bitbucket: the build status and its `updated_on`), so a read and
   * a delivery of one build order against each other; absent = nothing orders it.
   */
  readonly run?: BuildRun & { readonly source: 'workflow_run' | 'status' };
}

export interface ScmCombinedStatus {
  readonly sha: string;
  readonly state: ScmStatusState;
  /** The latest status per context. */
  readonly statuses: readonly ScmStatus[];
}

export interface ScmCheckRun {
  readonly name: string;
  readonly headSha: string;
  readonly status: 'queued' | 'in_progress' | 'completed' | string;
  /** Set once completed. */
  readonly conclusion: string | null;
  readonly htmlUrl: string | null;
}

export interface ScmFile {
  /** Path from the repository root, e.g. `deploy/billing/deploy.yaml`. */
  readonly path: string;
  /** Blob SHA. */
  readonly sha: string;
  readonly size: number;
  /** UTF-8 content; null when the file was not read (filtered out or over `maxFileBytes`). */
  readonly content: string | null;
}

/**
 * How `head` relates to `base` (GitHub's compare API): `ahead` — head descends from base;
 * `behind` — base descends from head; `identical`; `diverged` — neither descends from the other.
 */
export type ScmComparisonStatus = 'ahead' | 'behind' | 'identical' | 'diverged';

export interface ScmComparison {
  readonly status: ScmComparisonStatus;
  readonly aheadBy: number;
  readonly behindBy: number;
}

export interface ReadTreeOptions {
  /** Only files for which this is true are read (their content fetched); default all. */
  readonly include?: (path: string) => boolean;
  /** Files larger than this are listed with `content: null`; default 1 MiB. */
  readonly maxFileBytes?: number;
}

export interface ScmPullRequest {
  readonly number: number;
  readonly state: 'open' | 'closed';
  readonly headRef: string;
  readonly headSha: string;
  /** `owner/name` the head branch lives in (a fork's, for a PR from a fork); null when the fork is gone. */
  readonly headRepo: string | null;
}

/** The branches of a repository read with a conditional request. */
export type ScmBranchesAnswer = { readonly changed: false } | { readonly changed: true; readonly branches: ScmBranch[]; readonly etag: string | null };

export interface ScmReader {
  getRepo(fullName: string): Promise<ScmRepository>;
  /** Every repository the configured credentials (App installations, or the token) can see. */
  listInstallationRepos(): Promise<ScmRepository[]>;
  listBranches(fullName: string): Promise<ScmBranch[]>;
  /**
   * The branches unless they are as they were when the provider answered with `etag` (a
   * conditional request: an unchanged answer costs no rate limit on GitHub); null etag = always.
   */
  listBranchesIfChanged(fullName: string, etag: string | null): Promise<ScmBranchesAnswer>;
  /** One branch and its head; null when the repository has no such branch. */
  getBranch(fullName: string, branch: string): Promise<ScmBranch | null>;
  getCommit(fullName: string, ref: string): Promise<ScmCommit>;
  /** One pull request; null when the repository has no such pull request. */
  getPullRequest(fullName: string, number: number): Promise<ScmPullRequest | null>;
  getCombinedStatus(fullName: string, ref: string): Promise<ScmCombinedStatus>;
  listCheckRunsForRef(fullName: string, ref: string): Promise<ScmCheckRun[]>;
  /**
   * The files below `path` (recursive) at commit `sha`, read through git trees and
   * blobs. An absent path is an empty list, not an error.
   */
  readTree(fullName: string, sha: string, path: string, options?: ReadTreeOptions): Promise<ScmFile[]>;
  /** One file's UTF-8 content at `ref`; null when absent. */
  readFile(fullName: string, ref: string, path: string): Promise<string | null>;
  /** How commit `head` relates to commit `base` in one repository; ScmNotFoundError when either is unknown. */
  compareCommits(fullName: string, base: string, head: string): Promise<ScmComparison>;
}

export interface ScmHookDelivery {
  /** GitHub's numeric id of this attempt (used to redeliver). */
  readonly id: number;
  /** The X-GitHub-Delivery value, shared by an original delivery and its redeliveries. */
  readonly guid: string;
  readonly deliveredAt: string;
  readonly redelivery: boolean;
  readonly event: string;
  readonly action: string | null;
  readonly statusCode: number;
  readonly status: string;
}

/** Where a webhook is configured: a repository hook, or the GitHub App's hook. */
export type HookRef = { readonly kind: 'repo'; readonly repo: string; readonly hookId: number } | { readonly kind: 'app' };

export interface ScmHookDeliveries {
  /** Deliveries newest first, stopping once older than `since` (ISO). */
  listHookDeliveries(hook: HookRef, since: string | null): Promise<ScmHookDelivery[]>;
  redeliver(hook: HookRef, deliveryId: number): Promise<void>;
}
