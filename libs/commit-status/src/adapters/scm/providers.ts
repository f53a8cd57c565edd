import { sharedScmClients, type ScmClients } from '@sluice/scm';
import type { ResolvedRepo, ScmStatusProvider, ScmStatusProviders } from '../../application/ports';
import { BitbucketStatusesProvider } from './bitbucket-statuses';
import { GitHubCheckRunsProvider } from './github-check-runs';
import { GitHubStatusesProvider } from './github-statuses';
import { GitLabStatusesProvider } from './gitlab-statuses';

/**
 * Picks the provider API for a repository: GitHub check runs when authenticated as a GitHub
 * App, GitHub commit statuses with a token, GitLab, Bitbucket. The transport is libs/scm's:
 * the clients and rate budget of each set of credentials come from the process's registry,
 * shared with every other caller of the process (repo-sync's reads in the all-in-one).
 */
export class DefaultScmStatusProviders implements ScmStatusProviders {
  private readonly checkRuns: GitHubCheckRunsProvider;
  private readonly statuses: GitHubStatusesProvider;
  private readonly gitlab: GitLabStatusesProvider;
  private readonly bitbucket: BitbucketStatusesProvider;

  constructor(readonly clients: ScmClients = sharedScmClients()) {
    this.checkRuns = new GitHubCheckRunsProvider(clients);
    this.statuses = new GitHubStatusesProvider(clients);
    this.gitlab = new GitLabStatusesProvider(clients);
    this.bitbucket = new BitbucketStatusesProvider(clients);
  }

  forRepo(repo: ResolvedRepo): ScmStatusProvider {
    switch (repo.identity.provider) {
      case 'github':
        return repo.credentials.kind === 'github-app' ? this.checkRuns : this.statuses;
      case 'gitlab':
        return this.gitlab;
      case 'bitbucket':
        return this.bitbucket;
    }
  }
}
