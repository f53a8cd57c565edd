import type { NewEvent } from '@sluice/contracts';

/** What one verified delivery becomes: events on the repository's stream, or nothing (and why). */
export type Normalised =
  | { readonly kind: 'ignored'; readonly reason: string }
  | {
      readonly kind: 'events';
      readonly repo: string;
      readonly stream: string;
      readonly action: string | null;
      readonly events: readonly NewEvent[];
    };

export interface DeliveryInput {
  readonly event: string;
  readonly deliveryId: string;
  readonly payload: unknown;
}

/** The headers of one delivery a provider needs, read from the request. */
export interface DeliveryHeaders {
  readonly event: string;
  readonly deliveryId: string;
  /** What `verify` checks the raw body against (a signature, or a shared token). */
  readonly credential: string;
}

export type HeaderReading = { readonly ok: true; readonly headers: DeliveryHeaders } | { readonly ok: false; readonly missing: readonly string[] } | { readonly ok: false; readonly bad: string };

/**
 * One source-control provider's webhooks (docs/architecture.md §2): how a delivery names its
 * event, id and signature; whether its raw bytes are authentic; what Sluice events it means.
 * `POST /webhooks/:provider` (webhook-ingest) finds the provider by `name` and does the rest —
 * size limits, idempotency, storage — the same for every provider. Adding a provider is a
 * folder in libs/scm with one of these, and its entry in `webhookProviders`.
 */
export interface WebhookProvider {
  readonly name: string;
  /** Header names for documentation and error messages, in the order `read` checks them. */
  readonly headerNames: { readonly event: string; readonly deliveryId: string; readonly credential: string };
  read(header: (name: string) => string | undefined): HeaderReading;
  /** On the exact bytes received; constant time; true when any configured secret matches. */
  verify(raw: Buffer, headers: DeliveryHeaders): boolean;
  /** Pure: an authentic delivery → Sluice events. */
  normalise(input: DeliveryInput): Normalised;
  /** The event names `normalise` turns into events (others are answered `ignored`). */
  readonly events: readonly string[];
}
