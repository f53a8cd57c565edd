/** A GitRepo (or its credentials) that cannot be used: the CommitStatus stalls with this message until it is fixed. */
export class GitRepoUnusableError extends Error {
  override readonly name = 'GitRepoUnusableError';
}
