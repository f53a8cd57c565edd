import type { ResolvedRepo, ScmStatusProvider, ScmStatusProviders } from '../../application/ports';
import { BitbucketStatusesProvider } from './bitbucket-statuses';
import { GitHubAuthProvider } from './github-auth';
import { GitHubCheckRunsProvider } from './github-check-runs';
import { GitHubStatusesProvider } from './github-statuses';
import { GitLabStatusesProvider } from './gitlab-statuses';
import { RateGate, type RateGateOptions } from './rate-gate';
import { ScmHttp } from './scm-http';

export interface ScmProvidersOptions extends RateGateOptions {
  timeoutMs?: number;
  fetch?: typeof fetch;
}

/**
 * Picks the provider API for a repository: GitHub check runs when authenticated as a GitHub
 * App, GitHub commit statuses with a token, GitLab, Bitbucket. One rate gate for all.
 */
export class DefaultScmStatusProviders implements ScmStatusProviders {
  readonly gate: RateGate;
  /** Shared with the GitHub Deployments mirror: one rate gate and one token cache per process. */
  readonly http: ScmHttp;
  readonly githubAuth: GitHubAuthProvider;
  private readonly checkRuns: GitHubCheckRunsProvider;
  private readonly statuses: GitHubStatusesProvider;
  private readonly gitlab: GitLabStatusesProvider;
  private readonly bitbucket: BitbucketStatusesProvider;

  constructor(opts: ScmProvidersOptions = {}) {
    this.gate = new RateGate(opts);
    const http = (this.http = new ScmHttp({ gate: this.gate, timeoutMs: opts.timeoutMs, fetch: opts.fetch }));
    const auth = (this.githubAuth = new GitHubAuthProvider());
    this.checkRuns = new GitHubCheckRunsProvider(http, auth);
    this.statuses = new GitHubStatusesProvider(http, auth);
    this.gitlab = new GitLabStatusesProvider(http);
    this.bitbucket = new BitbucketStatusesProvider(http);
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
