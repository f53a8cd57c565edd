import { GitHubWebhooks } from '../github/webhooks/github-webhooks';
import type { WebhookProvider } from './provider';

/** The providers whose webhooks Sluice takes, by the `:provider` of `POST /webhooks/:provider`. */
export type WebhookProviders = ReadonlyMap<string, WebhookProvider>;

/** From the configured secrets: a provider without secrets takes no webhooks (its route answers 404). */
export function webhookProviders(secrets: { readonly github?: readonly string[] }): WebhookProviders {
  const providers: WebhookProvider[] = [];
  if (secrets.github?.length) providers.push(new GitHubWebhooks(secrets.github));
  return new Map(providers.map((p) => [p.name, p]));
}
