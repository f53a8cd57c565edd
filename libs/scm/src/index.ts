export * from './port';
export * from './errors';
export { RateLimitGate, type GateClock } from './github/rate-limit-gate';
export { createGitHubOctokit, type GitHubClientOptions, type GitHubCredentials, type GitHubOctokit } from './github/github-client';
export { GitHubScm } from './github/github-scm';
export { githubScmFromSettings, type GitHubSettings } from './github/from-settings';
