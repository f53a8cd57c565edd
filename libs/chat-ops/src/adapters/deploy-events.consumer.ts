import { Controller, Inject } from '@nestjs/common';
import { Ctx, Payload } from '@nestjs/microservices';
import { Topics, type EventType, type SluiceEvent } from '@sluice/contracts';
import { OnSluiceEvent, SluiceEventContext } from '@sluice/event-store';
import type { DeployMessageSync } from '../application/deploy-message-sync';
import type { DeployDetail, DeployMessages } from '../application/ports';

export const DEPLOY_MESSAGES = Symbol('DEPLOY_MESSAGES');
export const DEPLOY_MESSAGE_SYNC = Symbol('DEPLOY_MESSAGE_SYNC');

const PHASE_OF: Partial<Record<EventType, string>> = {
  'deploy.queued': 'queued',
  'deploy.started': 'applying',
  'deploy.applied': 'applied',
  'deploy.succeeded': 'succeeded',
  'deploy.failed': 'failed',
  'deploy.superseded': 'superseded',
};

export const CHAT_DEPLOY_EVENT_TYPES = ['deploy.requested', ...Object.keys(PHASE_OF)] as EventType[];

/** A `slack:<workspace>/<user>` actor: the deploy was asked for from Slack. */
const fromSlack = (requestedBy: string) => requestedBy.startsWith('slack:');

/**
 * A chat deploy's events (`sluice.deploy.v1`, consumer `chat`) → its message's state, in the inbox
 * transaction; once committed, the message on Slack follows (`DeployMessageSync`). Events of one
 * config arrive in order (one key per config), so the last one read is the deploy's phase.
 */
@Controller()
export class ChatDeployEventsConsumer {
  constructor(
    @Inject(DEPLOY_MESSAGES) private readonly messages: DeployMessages,
    @Inject(DEPLOY_MESSAGE_SYNC) private readonly sync: DeployMessageSync,
  ) {}

  @OnSluiceEvent('chat', { topics: [Topics.deploy], types: CHAT_DEPLOY_EVENT_TYPES })
  async deployEvent(@Payload() event: SluiceEvent, @Ctx() ctx: SluiceEventContext): Promise<void> {
    if (event.type === 'deploy.requested') {
      const d = event.data;
      if (!fromSlack(d.requestedBy)) return;
      const detail: DeployDetail = { imageTag: d.imageTag, artifactSha: d.artifactSha, configSha: d.configSha, requestedBy: d.requestedBy, reason: d.reason, failure: null };
      return this.messages.requested(ctx.manager, d.deployId, d.config, detail);
    }
    const phase = PHASE_OF[event.type];
    if (!phase) return;
    const data = event.data as { deployId: string; message?: string };
    await this.messages.record(ctx.manager, data.deployId, phase, event.type === 'deploy.failed' ? { failure: data.message ?? null } : {});
  }

  @OnSluiceEvent('chat', { phase: 'afterCommit' })
  committed(@Payload() event: SluiceEvent): void {
    const deployId = (event.data as { deployId?: string }).deployId;
    if (deployId) void this.sync.flush(deployId);
  }
}
