import { Topics, type EventType } from '@sluice/contracts';
import { consumeEvents, type Inbox } from '@sluice/event-store';
import type { MessageBus, Subscription } from '@sluice/messaging';
import type { OutcomesHandler } from '../../application/outcomes';
import { REPO_EVENT_TYPES, type RepoEventsHandler } from '../../application/repo-events';
import { BUILD_REPORT_TYPES, OUTCOME_TYPES, isBuildReportType, isOutcomeType } from '../../domain/config-events';

/**
 * autodeploy's one consumer group: `sluice.repo.v1` (catalogue, pushes, builds → autodeploy
 * rules) and kube-applier's outcomes on `sluice.deploy.v1`. Idempotent through the inbox;
 * what a handler appends is published by the outbox relay.
 */
export async function startAutodeployConsumer(
  bus: MessageBus,
  inbox: Inbox,
  handlers: { repo: RepoEventsHandler; outcomes: OutcomesHandler },
  group: string,
): Promise<Subscription> {
  // sluice.auth.v1 is only published to (token events), but auto-creation is off on the broker.
  await bus.ensureTopics([Topics.repo, Topics.deploy, Topics.auth]);
  return consumeEvents(bus, inbox, {
    consumer: group,
    topics: [Topics.repo, Topics.deploy],
    types: [...REPO_EVENT_TYPES, ...OUTCOME_TYPES, ...BUILD_REPORT_TYPES] as EventType[],
    // A lost race with an API request on the same config stream rolls the transaction
    // back; redelivery decides again on the reloaded stream.
    maxAttempts: 10,
    handle: (event, manager) =>
      isOutcomeType(event.type) || isBuildReportType(event.type) ? handlers.outcomes.handle(event, manager) : handlers.repo.handle(event, manager),
  });
}
