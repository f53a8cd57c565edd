import type { RepoRef } from '@sluice/contracts';
import { createLogger } from '@sluice/platform';
import { ASSUMED_MAIN_BRANCH, ScmNotFoundError, ScmRequestError } from '@sluice/scm';
import type { ScmReaderFor } from './config-reader';

export interface BitbucketMainBranchOptions {
  /** How long a main branch read from the API is taken as known; default 10 minutes. */
  readonly ttlMs?: number;
  readonly now?: () => number;
}

/**
 * Bitbucket's webhook Repository entity seldom names the main branch, so the normaliser says
 * `main` (ASSUMED_MAIN_BRANCH) and a repository whose main branch is `master` would never have its
 * configs read. With a Bitbucket reader configured, repo-sync asks the API (`getRepo`: the
 * repository's `mainbranch`) instead of taking an event's `main` at its word:
 *
 * - an event naming another branch named it (the payload had `mainbranch`): taken as is, no call;
 * - the catalogue already records `main` for the repository: nothing to learn, no call;
 * - otherwise (the repository is new to the catalogue, or recorded with another main branch): the
 *   API's answer, kept `ttlMs` per repository, so a `master` repository costs one call per
 *   repository per TTL, not one per event.
 *
 * Without a reader, or when the API says the repository is gone or refuses the token, the event
 * keeps what the catalogue recorded (else the event's). A transient failure is thrown: the
 * consumer retries the event.
 */
export class BitbucketMainBranch {
  private readonly log = createLogger('repo-sync.bitbucket');
  private readonly known = new Map<string, { branch: string; at: number }>();
  private readonly ttlMs: number;
  private readonly now: () => number;

  constructor(
    private readonly readerFor: ScmReaderFor,
    options: BitbucketMainBranchOptions = {},
  ) {
    this.ttlMs = options.ttlMs ?? 10 * 60_000;
    this.now = options.now ?? Date.now;
  }

  /** `repo` with its real main branch; `recorded` is the catalogue's (null: not recorded yet). */
  async of(repo: RepoRef, recorded: string | null): Promise<RepoRef> {
    if (repo.provider !== 'bitbucket' || repo.defaultBranch !== ASSUMED_MAIN_BRANCH || recorded === ASSUMED_MAIN_BRANCH) return repo;
    const scm = this.readerFor('bitbucket');
    if (!scm) return repo;
    const key = repo.fullName.toLowerCase();
    const cached = this.known.get(key);
    if (cached && this.now() - cached.at < this.ttlMs) return withBranch(repo, cached.branch);
    try {
      const branch = (await scm.getRepo(repo.fullName)).defaultBranch;
      this.known.set(key, { branch, at: this.now() });
      if (branch !== repo.defaultBranch) this.log.info({ repo: repo.fullName, mainBranch: branch }, "bitbucket repository's main branch read from the API");
      return withBranch(repo, branch);
    } catch (error) {
      const permanent = error instanceof ScmNotFoundError || (error instanceof ScmRequestError && !error.transient);
      if (!permanent) throw error;
      this.log.warn({ repo: repo.fullName, error: (error as Error).message }, "bitbucket repository's main branch not readable: keeping what is recorded");
      return withBranch(repo, recorded ?? repo.defaultBranch);
    }
  }
}

function withBranch(repo: RepoRef, branch: string): RepoRef {
  return branch === repo.defaultBranch ? repo : { ...repo, defaultBranch: branch };
}
