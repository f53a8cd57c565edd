import { Controller, Inject, Optional } from '@nestjs/common';
import { Ctx, Payload } from '@nestjs/microservices';
import { Topics, type SluiceEvent } from '@sluice/contracts';
import { OnSluiceEvent, SluiceEventContext } from '@sluice/event-store';
import { PREVIEW_EVENT_TYPES, type PreviewEvent } from '../../domain/preview';
import { PreviewPullRequests } from '../previews/preview-pull-requests';

/**
 * Previews on the pull request (group `commit-status.previews`): `preview.deployed` /
 * `preview.released` (autodeploy) and `preview.applied` (kube-applier) of `sluice.deploy.v1`
 * → each (config, pull request)'s state, its GitHub deployment and its comment, recorded in the
 * inbox transaction and written to GitHub by the loops. Off (`COMMIT_STATUS_PREVIEWS=false`):
 * the events are taken and nothing is recorded.
 */
@Controller()
export class PreviewEventsConsumer {
  constructor(@Optional() @Inject(PreviewPullRequests) private readonly previews?: PreviewPullRequests | null) {}

  @OnSluiceEvent('previews', { topics: [Topics.deploy], types: PREVIEW_EVENT_TYPES })
  async previewEvent(@Payload() event: SluiceEvent, @Ctx() ctx: SluiceEventContext): Promise<void> {
    await this.previews?.apply(event as PreviewEvent, ctx.manager);
  }
}
