import { isEventType, topicOf } from '@sluice/contracts';
import type { StoredEvent } from '@sluice/event-store';
import { isApplierReportType } from '../../domain/config-events';

/**
 * What the outbox relay publishes: autodeploy's decisions go to `sluice.deploy.v1`; the
 * outcomes, build reports and drift reports it recorded from kube-applier are already on that topic and are not published again.
 * (The relay never publishes the other services' events kept for views: `relayTopicFor`.)
 */
export function autodeployTopicFor(event: StoredEvent): string | null {
  if (isApplierReportType(event.type) || !isEventType(event.type)) return null;
  return topicOf(event.type);
}
