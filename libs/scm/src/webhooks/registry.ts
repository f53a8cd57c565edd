import { BitbucketWebhooks } from '../bitbucket/webhooks/bitbucket-webhooks';
import { GitHubWebhooks } from '../github/webhooks/github-webhooks';
import { GitLabWebhooks } from '../gitlab/webhooks/gitlab-webhooks';
import type { WebhookProvider } from './provider';

/** The providers whose webhooks Sluice takes, by the `:provider` of `POST /webhooks/:provider`. */
export type WebhookProviders = ReadonlyMap<string, WebhookProvider>;

/** The secrets of each provider's webhooks (several during a rotation). */
export interface WebhookSecrets {
  /** GITHUB_WEBHOOK_SECRET: HMAC keys of X-Hub-Signature-256. */
  readonly github?: readonly string[];
  /** GITLAB_WEBHOOK_TOKEN: the secret tokens GitLab sends in X-Gitlab-Token. */
  readonly gitlab?: readonly string[];
  /** BITBUCKET_WEBHOOK_SECRET: HMAC keys of Bitbucket Cloud's X-Hub-Signature. */
  readonly bitbucket?: readonly string[];
}

/** From the configured secrets: a provider without secrets takes no webhooks (its route answers 404). */
export function webhookProviders(secrets: WebhookSecrets): WebhookProviders {
  const providers: WebhookProvider[] = [];
  if (secrets.github?.length) providers.push(new GitHubWebhooks(secrets.github));
  if (secrets.gitlab?.length) providers.push(new GitLabWebhooks(secrets.gitlab));
  if (secrets.bitbucket?.length) providers.push(new BitbucketWebhooks(secrets.bitbucket));
  return new Map(providers.map((p) => [p.name, p]));
}
