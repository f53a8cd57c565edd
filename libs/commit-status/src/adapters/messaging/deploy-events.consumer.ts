import { Controller } from '@nestjs/common';
import { Ctx, Payload } from '@nestjs/microservices';
import { Topics, type SluiceEvent } from '@sluice/contracts';
import { EventStore, OnSluiceEvent, SluiceEventContext } from '@sluice/event-store';
import { createLogger } from '@sluice/platform';
import { DEPLOY_STATUS_EVENT_TYPES, type DeployStatusEvent } from '../../domain/deploy-status';
import { DeployStatusProjector } from '../../application/deploy-status-projector';
import { applyConfigEvent, CONFIG_EVENT_TYPES, receiveViewEvent } from '../postgres/views';

export const COMMIT_STATUS_CONSUMER = 'commit-status';

/**
 * commit-status's consumers.
 *
 * Deploy decisions and outcomes (`sluice.deploy.v1`, group `commit-status`) → the configs'
 * CommitStatuses: the state in the inbox transaction, the CommitStatus resource (an API server
 * call) after the commit, in the background: the committed state is marked pending until written,
 * the projector writes one config at a time (a burst of events of one config ends in one write of
 * its latest state), and a failed or interrupted write stays pending for the projector's sweep (a
 * retry of the message would find it in the inbox and do nothing). So the consumer moves on
 * without waiting for the API server.
 *
 * Config events and renames of `sluice.repo.v1` (group `commit-status.configs`) → which
 * repositories each team's configs use (`PgTeamRepos`); the repositories the catalogue knows
 * (`repo.upserted`) and renames → which provider each lives on (`PgRepoProviders`), where a
 * deploy's status on its artifact commit goes.
 *
 * Both keep each event they apply in commit-status's own log (`receiveViewEvent`), which rebuilds
 * these views (`CommitStatusViewsReplay`).
 */
@Controller()
export class CommitStatusEventsConsumer {
  private readonly log = createLogger('commit-status');

  constructor(
    private readonly projector: DeployStatusProjector,
    private readonly store: EventStore,
  ) {}

  @OnSluiceEvent('', { topics: [Topics.deploy], types: DEPLOY_STATUS_EVENT_TYPES })
  async deployEvent(@Payload() event: SluiceEvent & DeployStatusEvent, @Ctx() ctx: SluiceEventContext): Promise<void> {
    await receiveViewEvent(ctx.manager, this.store, event);
    await this.projector.apply(event, ctx.manager);
  }

  @OnSluiceEvent('', { phase: 'afterCommit' })
  deployEventCommitted(@Payload() event: SluiceEvent): void {
    const config = (event as DeployStatusEvent).data.config;
    void this.projector.writeOwned(config).catch((err: unknown) =>
      this.log.warn({ config, eventId: event.id, err: err instanceof Error ? err.message : String(err) }, 'CommitStatus write failed; the sweep retries it'),
    );
  }

  @OnSluiceEvent('configs', { topics: [Topics.repo], types: CONFIG_EVENT_TYPES })
  async configEvent(@Payload() event: SluiceEvent & { type: (typeof CONFIG_EVENT_TYPES)[number] }, @Ctx() ctx: SluiceEventContext): Promise<void> {
    await receiveViewEvent(ctx.manager, this.store, event);
    await applyConfigEvent(event, ctx.manager, this.store.schema);
  }
}
