import { Controller, Inject } from '@nestjs/common';
import { Ctx, Payload } from '@nestjs/microservices';
import { Topics, type EventType, type SluiceEvent } from '@sluice/contracts';
import { EventStore, OnSluiceEvent, SluiceEventContext } from '@sluice/event-store';
import { PREVIEW_INPUT_TYPES, type PreviewDecisions } from '../application/preview-decisions';
import { PREVIEWS_CONSUMER, receivePreviewInput } from './preview-facts-replay';

export const PREVIEW_DECISIONS = Symbol('PREVIEW_DECISIONS');

/**
 * Pull requests (`sluice.scm.v1`), green builds and configs (`sluice.repo.v1`) → the previews'
 * decisions, in the inbox transaction of consumer group `previews` of the hosting service, each
 * input kept first in the host's log for the previews' rebuild (`PreviewFactsReplay`).
 */
@Controller()
export class PreviewInputsConsumer {
  constructor(
    @Inject(PREVIEW_DECISIONS) private readonly decisions: PreviewDecisions,
    private readonly store: EventStore,
  ) {}

  @OnSluiceEvent(PREVIEWS_CONSUMER, { topics: [Topics.scm, Topics.repo], types: PREVIEW_INPUT_TYPES as unknown as EventType[], maxAttempts: 10 })
  async input(@Payload() event: SluiceEvent, @Ctx() ctx: SluiceEventContext): Promise<void> {
    await receivePreviewInput(ctx.manager, this.store, event);
    return this.decisions.handle(event, ctx.manager);
  }
}
