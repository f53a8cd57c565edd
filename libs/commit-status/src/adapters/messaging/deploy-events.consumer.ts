import { Topics, type SluiceEvent } from '@sluice/contracts';
import { consumeEvents, type Inbox } from '@sluice/event-store';
import type { MessageBus, Subscription } from '@sluice/messaging';
import type { EntityManager } from 'typeorm';
import { DEPLOY_STATUS_EVENT_TYPES, type DeployStatusEvent } from '../../domain/deploy-status';
import type { DeployStatusProjector } from '../../application/deploy-status-projector';

export const COMMIT_STATUS_CONSUMER = 'commit-status';

/** Deploy decisions and outcomes (sluice.deploy.v1) → the configs' CommitStatuses. */
export function consumeDeployEvents(bus: MessageBus, inbox: Inbox, projector: DeployStatusProjector, consumer = COMMIT_STATUS_CONSUMER): Promise<Subscription> {
  return consumeEvents(bus, inbox, {
    consumer,
    topics: [Topics.deploy],
    types: DEPLOY_STATUS_EVENT_TYPES,
    handle: async (event: SluiceEvent, manager: EntityManager) => {
      await projector.apply(event as DeployStatusEvent, manager);
    },
  });
}
