import type { DeployConfigRoot } from '@sluice/contracts';
import type { Transaction } from '@sluice/event-store';
import type { PreviewConfig } from '../domain/previews';

/** A pull request on an artifact repository as the previews last saw it. */
export interface PullRequestHead {
  readonly repo: string;
  readonly number: number;
  readonly headSha: string;
  readonly headRef: string;
}

/**
 * What the previews know of configs, pull requests and builds: their own projection of
 * `sluice.repo.v1` and `sluice.scm.v1`, in the hosting service's schema. Every call runs in the
 * caller's transaction.
 */
export interface PreviewFacts {
  /** Keeps the config when it declares previews (and an artifact); forgets it otherwise. Returns whether it has previews. */
  recordConfig(m: Transaction, root: DeployConfigRoot, configSha: string): Promise<boolean>;
  forgetConfig(m: Transaction, name: string): Promise<void>;
  config(m: Transaction, name: string): Promise<PreviewConfig | null>;
  /** The configs with previews whose artifact repository is `repo`. */
  configsForRepo(m: Transaction, repo: string): Promise<PreviewConfig[]>;
  configNames(m: Transaction): Promise<string[]>;
  /** Records the pull request's head and whether it is open. */
  /** The pull request as its event at `at` said. */
  recordPullRequest(m: Transaction, pr: PullRequestHead & { readonly open: boolean }, at: string): Promise<void>;
  /** The open pull requests of `repo`, all of them or those whose head is `sha`. */
  openPullRequests(m: Transaction, repo: string, sha?: string): Promise<PullRequestHead[]>;
  recordGreenBuild(m: Transaction, repo: string, sha: string, buildName: string): Promise<void>;
  /** A successful build of `sha` (of `build`, compared without case, or of any build when null). */
  isGreen(m: Transaction, repo: string, sha: string, build: string | null): Promise<boolean>;
}
