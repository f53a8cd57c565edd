/** Test-only helpers (`@sluice/auth/testing`): never import from product code. */
import { randomUUID } from 'node:crypto';
import { Topics, type EventEnvelope } from '@sluice/contracts';
import type { MessagePublisher } from '@sluice/messaging';
import { tokenIssuedEvent, tokenRevokedEvent, tokenStream } from '../token-events';
import { newTeamToken } from '../token-hash';

/** A token event as autodeploy's relay publishes it. */
export function tokenEnvelope(event: { type: string; version: number; data: unknown }, stream: string, streamVersion: number): EventEnvelope {
  const id = randomUUID();
  return { id, type: event.type, version: event.version, stream, streamVersion, occurredAt: new Date().toISOString(), correlationId: id, causationId: null, data: event.data };
}

/**
 * Announces a new team token on `sluice.auth.v1` as autodeploy's relay would, for a
 * service tested without autodeploy. Returns the token and the envelope (to redeliver it).
 */
export async function announceTeamToken(bus: MessagePublisher, team: string): Promise<{ id: string; token: string; issued: EventEnvelope }> {
  const { id, token } = newTeamToken();
  const issued = tokenEnvelope(tokenIssuedEvent({ id, team, token, createdBy: 'admin' }), tokenStream(id), 1);
  await bus.publish(Topics.auth, [issued]);
  return { id, token, issued };
}

/** Announces the revocation of a token announced by `announceTeamToken`. */
export async function announceRevocation(bus: MessagePublisher, id: string): Promise<EventEnvelope> {
  const revoked = tokenEnvelope(tokenRevokedEvent(id, 'admin'), tokenStream(id), 2);
  await bus.publish(Topics.auth, [revoked]);
  return revoked;
}
