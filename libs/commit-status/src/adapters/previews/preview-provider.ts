import type { ScmProvider } from '@sluice/contracts';
import type { EntityManager } from 'typeorm';

/** Which providers the catalogue knows a repository name on (`PgRepoProviders`, from `repo.upserted`). */
export interface CataloguedProviders {
  providersOf(fullName: string, manager: EntityManager): Promise<ScmProvider[]>;
}

/** The catalogue has not announced the repository yet (commit-status's consumer is behind): the write waits. */
export class PreviewRepoNotCataloguedError extends Error {
  constructor(repo: string) {
    super(`${repo} is not in the catalogue yet: the provider of its pull request is unknown`);
    this.name = 'PreviewRepoNotCataloguedError';
  }
}

/**
 * The provider of the pull request of a preview on `repo` (#22). Preview events name the artifact
 * repository by `owner/name` only, so its provider is the catalogue's — never GitHub by default: a
 * GitLab merge request !3 must not land on a same-named GitHub repository's #3. The one provider
 * the catalogue has the name on; null when it has it on two (which one the pull request is on
 * cannot be told: nothing is written); not catalogued yet → throws, the loop tries again with its
 * backoff. A preview is only deployed once a build of its head was recorded, and recording a build
 * announces its repository, so the catalogue knows it soon.
 */
export async function previewRepoProvider(providers: CataloguedProviders, repo: string, manager: EntityManager): Promise<ScmProvider | null> {
  const known = await providers.providersOf(repo, manager);
  if (known.length === 0) throw new PreviewRepoNotCataloguedError(repo);
  return known.length === 1 ? known[0]! : null;
}

/** Whether the preview's GitHub deployment is written: its repository is GitHub's alone (see previewRepoProvider). */
export async function previewShownOnGitHub(providers: CataloguedProviders, repo: string, manager: EntityManager): Promise<boolean> {
  return (await previewRepoProvider(providers, repo, manager)) === 'github';
}
