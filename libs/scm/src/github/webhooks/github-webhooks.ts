import type { DeliveryHeaders, DeliveryInput, HeaderReading, Normalised, WebhookProvider } from '../../webhooks/provider';
import { normaliseDelivery, NORMALISED_EVENTS } from './normalise';
import { SignatureVerifier } from './signature';

const DELIVERY_ID = /^[A-Za-z0-9-]{1,128}$/;
const EVENT_NAME = /^[a-z_]{1,64}$/;

/** GitHub's webhooks: `X-GitHub-Event`, `X-GitHub-Delivery`, `X-Hub-Signature-256` (HMAC-SHA256 over the raw body). */
export class GitHubWebhooks implements WebhookProvider {
  readonly name = 'github';
  readonly headerNames = { event: 'X-GitHub-Event', deliveryId: 'X-GitHub-Delivery', credential: 'X-Hub-Signature-256' } as const;
  readonly events = NORMALISED_EVENTS;
  private readonly verifier: SignatureVerifier;

  /** `secrets`: GITHUB_WEBHOOK_SECRET, several during a rotation. */
  constructor(secrets: readonly string[]) {
    this.verifier = new SignatureVerifier(secrets);
  }

  read(header: (name: string) => string | undefined): HeaderReading {
    const event = header('x-github-event');
    const deliveryId = header('x-github-delivery');
    const credential = header('x-hub-signature-256');
    const missing: string[] = [];
    if (!event) missing.push(this.headerNames.event);
    if (!deliveryId) missing.push(this.headerNames.deliveryId);
    if (!credential) missing.push(this.headerNames.credential);
    if (missing.length > 0) return { ok: false, missing };
    if (!EVENT_NAME.test(event!)) return { ok: false, bad: 'X-GitHub-Event is not an event name' };
    if (!DELIVERY_ID.test(deliveryId!)) return { ok: false, bad: 'X-GitHub-Delivery is not a delivery id' };
    return { ok: true, headers: { event: event!, deliveryId: deliveryId!, credential: credential! } };
  }

  verify(raw: Buffer, headers: DeliveryHeaders): boolean {
    return this.verifier.verify(raw, headers.credential);
  }

  normalise(input: DeliveryInput): Normalised {
    return normaliseDelivery(input);
  }
}
