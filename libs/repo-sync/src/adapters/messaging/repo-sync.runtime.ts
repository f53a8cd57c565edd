import { Inject, Injectable, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { Topics } from '@sluice/contracts';
import { consumeEvents, Inbox } from '@sluice/event-store';
import { MESSAGE_BUS, type MessageBus, type Subscription } from '@sluice/messaging';
import { ApplyScmEvent, SCM_EVENT_TYPES, type PreparedScmEvent } from '../../application/apply-scm-event';
import { GlobalSync } from '../../application/global-sync';

export const REPO_SYNC_CONSUMER = 'repo-sync';

/** Starts the `sluice.scm.v1` consumer and resumes interrupted global syncs; stops both on shutdown. */
@Injectable()
export class RepoSyncRuntime implements OnApplicationBootstrap, OnApplicationShutdown {
  private subscription: Subscription | null = null;

  constructor(
    @Inject(MESSAGE_BUS) private readonly bus: MessageBus,
    private readonly inbox: Inbox,
    private readonly apply: ApplyScmEvent,
    private readonly sync: GlobalSync,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    await this.bus.ensureTopics([Topics.scm, Topics.repo]);
    this.subscription = await consumeEvents<PreparedScmEvent>(this.bus, this.inbox, {
      consumer: REPO_SYNC_CONSUMER,
      topics: [Topics.scm],
      types: SCM_EVENT_TYPES,
      prepare: (event) => this.apply.prepare(event),
      handle: (event, manager, scan) => this.apply.apply(event, manager, scan),
    });
    await this.sync.resumeRunning();
  }

  async onApplicationShutdown(): Promise<void> {
    await this.sync.stop();
    await this.subscription?.stop();
  }
}
