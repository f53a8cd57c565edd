import type { HeaderReading } from './provider';

const DELIVERY_ID = /^[A-Za-z0-9-]{1,128}$/;

/**
 * The checks every provider's `read` makes: each header present, the event a name, the delivery
 * id a UUID-like token (Bitbucket's `{…}` braces removed). What is refused here is a 400 before
 * the body is read.
 */
export function readDeliveryHeaders(
  names: { readonly event: string; readonly deliveryId: string; readonly credential: string },
  values: { event: string | undefined; deliveryId: string | undefined; credential: string | undefined; eventPattern: RegExp },
): HeaderReading {
  const missing: string[] = [];
  if (!values.event) missing.push(names.event);
  if (!values.deliveryId) missing.push(names.deliveryId);
  if (!values.credential) missing.push(names.credential);
  if (missing.length > 0) return { ok: false, missing };
  if (!values.eventPattern.test(values.event!)) return { ok: false, bad: `${names.event} is not an event name` };
  const deliveryId = values.deliveryId!.replace(/^\{(.*)\}$/, '$1');
  if (!DELIVERY_ID.test(deliveryId)) return { ok: false, bad: `${names.deliveryId} is not a delivery id` };
  return { ok: true, headers: { event: values.event!, deliveryId, credential: values.credential! } };
}
