export * from './common/types';
export * from './common/faults';
export * from './common/pagination';
export * from './common/rate-budget';
export { FakeServer, type FakeServerOptions } from './common/fake-server';
export { FakeGitHub, type FakeGitHubOptions } from './github/fake-github';
export { githubError, GITHUB_DOCS } from './github/errors';
export { GitHubOpenApi, ResponseSchemaError, GITHUB_OPENAPI_PATH, type OpenApiOperation, type SchemaIssue } from './github/openapi';
export { startFakeGitHubThread, type FakeGitHubThread, type SyncFixture } from './github/fake-github-thread';
export { GitHubSeeder, type SeedRepo, type SeedCommit } from './github/seed';
export * from './github/state';
export { GitObjects, isSha, type GitCommit, type GitTree, type GitBlob } from './github/git-model';
export { PrimaryRateLimit, type PrimaryRateLimitOptions } from './github/rate-limit';
export { createAppCredentials, signAppJwt, verifyAppJwt, type AppCredentials } from './github/auth';
export { signWebhook, examplePayload, exampleEvents, githubWebhookRequest, type GitHubWebhookRequest } from './github/webhooks';
export { combineStatuses } from './github/routes';
export { GitHubEventPayloads } from './github/events';
export { FakeGitLab, type FakeGitLabOptions, type GitLabCommitStatus, type GitLabStatusState } from './gitlab/fake-gitlab';
export { FakeBitbucket, type FakeBitbucketOptions, type BitbucketBuildStatus, type BitbucketBuildState } from './bitbucket/fake-bitbucket';
export {
  gitlabExamplePayload,
  gitlabWebhookRequest,
  GitLabEventPayloads,
  GITLAB_EXAMPLE_FILES,
  type GitLabExampleEvent,
  type GitLabWebhookRequest,
  type GitLabProjectRef,
  type GitLabCommitInput,
} from './gitlab/webhooks';
export {
  bitbucketExamplePayload,
  bitbucketWebhookRequest,
  BitbucketEventPayloads,
  BITBUCKET_EXAMPLE_FILES,
  type BitbucketExampleEvent,
  type BitbucketWebhookRequest,
  type BitbucketRepoRef,
  type BitbucketCommitInput,
} from './bitbucket/webhooks';
export { FakeSlack, slackSlashCommand, type FakeSlackOptions, type SlackMessage, type SlackEphemeral, type SlackSignedRequest, type SlashCommandInput } from './slack/fake-slack';
export { SlackApiDescription, SlackSchemaError, SLACK_SWAGGER_PATH } from './slack/slack-api';
export { FakeArgoCd, ARGOCD_SWAGGER_PATH, type FakeArgoCdOptions, type SyncOutcome } from './argocd/fake-argocd';
