import { Controller } from '@nestjs/common';
import { Ctx, Payload } from '@nestjs/microservices';
import { Topics, type EventType, type SluiceEvent } from '@sluice/contracts';
import { EventStore, OnSluiceEvent, SluiceEventContext } from '@sluice/event-store';
import { OutcomesHandler } from '../../application/outcomes';
import { REPO_EVENT_TYPES, RepoEventsHandler } from '../../application/repo-events';
import { APPLIER_REPORT_TYPES, isApplierReportType } from '../../domain/config-events';
import { receiveRepoEvent } from '../persistence/repo-knowledge-replay';

/**
 * autodeploy's one consumer (group `autodeploy`): `sluice.repo.v1` (catalogue, pushes, tags,
 * builds → autodeploy rules) and kube-applier's outcomes and build reports on `sluice.deploy.v1`.
 * Idempotent through the inbox; what a handler appends is published by the outbox relay.
 */
@Controller()
export class AutodeployEventsConsumer {
  constructor(
    private readonly repo: RepoEventsHandler,
    private readonly outcomes: OutcomesHandler,
    private readonly store: EventStore,
  ) {}

  // A lost race with an API request on the same config stream rolls the transaction back;
  // redelivery decides again on the reloaded stream.
  @OnSluiceEvent('', { topics: [Topics.repo, Topics.deploy], types: [...REPO_EVENT_TYPES, ...APPLIER_REPORT_TYPES] as EventType[], maxAttempts: 10 })
  async handle(@Payload() event: SluiceEvent, @Ctx() ctx: SluiceEventContext): Promise<void> {
    if (isApplierReportType(event.type)) return this.outcomes.handle(event, ctx.manager);
    // Kept in autodeploy's log first (and the repository knowledge's writers' lock taken): a rebuild projects it as this does.
    await receiveRepoEvent(ctx.manager, this.store, event);
    return this.repo.handle(event, ctx.manager);
  }
}
