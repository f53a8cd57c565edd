import type { DeliveryHeaders, DeliveryInput, HeaderReading, Normalised, WebhookProvider } from '../../webhooks/provider';
import { readDeliveryHeaders } from '../../webhooks/read-headers';
import { GITLAB_EVENTS, normaliseGitLab } from './normalise';
import { TokenVerifier } from './token';

/**
 * GitLab's webhooks: `X-Gitlab-Event` (`Push Hook`, …), the delivery id `X-Gitlab-Event-UUID`
 * (or `Idempotency-Key`, which GitLab keeps across retries), and `X-Gitlab-Token`: the secret
 * token of the webhook, sent as is. GitLab signs nothing, so the token is all there is: it is
 * compared in constant time with every configured token (GITLAB_WEBHOOK_TOKEN) and the raw body
 * is not otherwise checked.
 */
export class GitLabWebhooks implements WebhookProvider {
  readonly name = 'gitlab';
  readonly headerNames = { event: 'X-Gitlab-Event', deliveryId: 'X-Gitlab-Event-UUID', credential: 'X-Gitlab-Token' } as const;
  readonly events = GITLAB_EVENTS;
  private readonly verifier: TokenVerifier;

  constructor(tokens: readonly string[]) {
    this.verifier = new TokenVerifier(tokens);
  }

  read(header: (name: string) => string | undefined): HeaderReading {
    return readDeliveryHeaders(this.headerNames, {
      event: header('x-gitlab-event'),
      deliveryId: header('x-gitlab-event-uuid') || header('idempotency-key'),
      credential: header('x-gitlab-token'),
      eventPattern: /^[A-Za-z][A-Za-z ]{0,63}$/,
    });
  }

  verify(_raw: Buffer, headers: DeliveryHeaders): boolean {
    return this.verifier.verify(headers.credential);
  }

  normalise(input: DeliveryInput): Normalised {
    return normaliseGitLab(input);
  }
}
