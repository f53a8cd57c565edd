import { Topics, type SluiceEvent } from '@sluice/contracts';
import { consumeEvents, type Inbox } from '@sluice/event-store';
import type { MessageBus, Subscription } from '@sluice/messaging';
import type { Logger } from '@sluice/platform';
import type { EntityManager } from 'typeorm';
import { DEPLOY_STATUS_EVENT_TYPES, type DeployStatusEvent } from '../../domain/deploy-status';
import type { DeployStatusProjector } from '../../application/deploy-status-projector';

export const COMMIT_STATUS_CONSUMER = 'commit-status';

/**
 * Deploy decisions and outcomes (sluice.deploy.v1) → the configs' CommitStatuses: the state in
 * the inbox transaction, the CommitStatus resource (an API server call) after the commit, in the
 * background: the committed state is marked pending until written, the projector writes one
 * config at a time (a burst of events of one config ends in one write of its latest state), and a
 * failed or interrupted write stays pending for the projector's sweep (a retry of the message
 * would find it in the inbox and do nothing). So the consumer moves on without waiting for the
 * API server.
 */
export function consumeDeployEvents(
  bus: MessageBus,
  inbox: Inbox,
  projector: DeployStatusProjector,
  logger: Logger,
  consumer = COMMIT_STATUS_CONSUMER,
): Promise<Subscription> {
  return consumeEvents(bus, inbox, {
    consumer,
    topics: [Topics.deploy],
    types: DEPLOY_STATUS_EVENT_TYPES,
    handle: async (event: SluiceEvent, manager: EntityManager) => {
      await projector.apply(event as DeployStatusEvent, manager);
    },
    afterCommit: async (event: SluiceEvent) => {
      const config = (event as DeployStatusEvent).data.config;
      void projector.writeOwned(config).catch((err: unknown) =>
        logger.warn({ config, eventId: event.id, err: err instanceof Error ? err.message : String(err) }, 'CommitStatus write failed; the sweep retries it'),
      );
    },
  });
}
