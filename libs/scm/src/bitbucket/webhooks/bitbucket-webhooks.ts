import { SignatureVerifier } from '../../github/webhooks/signature';
import type { DeliveryHeaders, DeliveryInput, HeaderReading, Normalised, WebhookProvider } from '../../webhooks/provider';
import { readDeliveryHeaders } from '../../webhooks/read-headers';
import { BITBUCKET_EVENTS, normaliseBitbucket } from './normalise';

/**
 * Bitbucket Cloud's webhooks: `X-Event-Key` (`repo:push`, …), `X-Request-UUID` (the delivery),
 * and `X-Hub-Signature`: `sha256=<hex>`, the HMAC-SHA256 of the raw body with the webhook's
 * secret — GitHub's scheme, so GitHub's verifier checks it (every configured secret,
 * BITBUCKET_WEBHOOK_SECRET, in constant time, over the exact bytes received).
 */
export class BitbucketWebhooks implements WebhookProvider {
  readonly name = 'bitbucket';
  readonly headerNames = { event: 'X-Event-Key', deliveryId: 'X-Request-UUID', credential: 'X-Hub-Signature' } as const;
  readonly events = BITBUCKET_EVENTS;
  private readonly verifier: SignatureVerifier;

  constructor(secrets: readonly string[]) {
    this.verifier = new SignatureVerifier(secrets);
  }

  read(header: (name: string) => string | undefined): HeaderReading {
    return readDeliveryHeaders(this.headerNames, {
      event: header('x-event-key'),
      deliveryId: header('x-request-uuid'),
      credential: header('x-hub-signature'),
      eventPattern: /^[a-z_]{1,32}:[a-z_]{1,64}$/,
    });
  }

  verify(raw: Buffer, headers: DeliveryHeaders): boolean {
    return this.verifier.verify(raw, headers.credential);
  }

  normalise(input: DeliveryInput): Normalised {
    return normaliseBitbucket(input);
  }
}
