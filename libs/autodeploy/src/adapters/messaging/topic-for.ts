import { isEventType, topicOf } from '@sluice/contracts';
import { isReceivedStream, type StoredEvent } from '@sluice/event-store';
import { isApplierReportType } from '../../domain/config-events';

/**
 * What the outbox relay publishes: autodeploy's decisions go to `sluice.deploy.v1`; the
 * outcomes, build reports and drift reports it recorded from kube-applier are already on that topic and are not published again,
 * nor are the other services' events it keeps for its views (`received-…` streams).
 */
export function autodeployTopicFor(event: StoredEvent): string | null {
  if (isApplierReportType(event.type) || !isEventType(event.type) || isReceivedStream(event.stream)) return null;
  return topicOf(event.type);
}
