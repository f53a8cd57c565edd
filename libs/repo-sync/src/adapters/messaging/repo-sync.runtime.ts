import { Controller, Inject, Injectable, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { Ctx, Payload } from '@nestjs/microservices';
import { Topics, type SluiceEvent } from '@sluice/contracts';
import { OnSluiceEvent, SluiceEventContext } from '@sluice/event-store';
import { MESSAGE_BUS, type MessageBus } from '@sluice/messaging';
import { ApplyScmEvent, SCM_EVENT_TYPES, type PreparedScmEvent } from '../../application/apply-scm-event';
import { GlobalSync } from '../../application/global-sync';

export const REPO_SYNC_CONSUMER = 'repo-sync';

/** `sluice.scm.v1` → the catalogue: the SCM reads before the inbox transaction, the writes in it. */
@Controller()
export class ScmEventsConsumer {
  constructor(private readonly apply: ApplyScmEvent) {}

  @OnSluiceEvent('', { phase: 'prepare' })
  prepare(@Payload() event: SluiceEvent): Promise<PreparedScmEvent> {
    return this.apply.prepare(event);
  }

  @OnSluiceEvent('', { topics: [Topics.scm], types: SCM_EVENT_TYPES })
  handle(@Payload() event: SluiceEvent, @Ctx() ctx: SluiceEventContext<PreparedScmEvent>): Promise<void> {
    return this.apply.apply(event, ctx.manager, ctx.prepared);
  }
}

/** Creates the topics and resumes interrupted global syncs; stops them on shutdown. */
@Injectable()
export class RepoSyncRuntime implements OnApplicationBootstrap, OnApplicationShutdown {
  constructor(
    @Inject(MESSAGE_BUS) private readonly bus: MessageBus,
    private readonly sync: GlobalSync,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    await this.bus.ensureTopics([Topics.scm, Topics.repo]);
    await this.sync.resumeRunning();
  }

  async onApplicationShutdown(): Promise<void> {
    await this.sync.stop();
  }
}
