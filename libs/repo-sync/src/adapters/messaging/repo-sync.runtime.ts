import { Controller, Inject, Injectable, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { Ctx, Payload } from '@nestjs/microservices';
import { Topics, type SluiceEvent } from '@sluice/contracts';
import { OnSluiceEvent, SERVICE_DATA_SOURCE, SluiceEventContext, unitOfWorkOf } from '@sluice/event-store';
import { MESSAGE_BUS, type MessageBus } from '@sluice/messaging';
import { createLogger, PeriodicTask } from '@sluice/platform';
import type { DataSource } from 'typeorm';
import { ApplyScmEvent, SCM_EVENT_TYPES, type PreparedScmEvent } from '../../application/apply-scm-event';
import { GlobalSync } from '../../application/global-sync';
import { RepoPoller } from '../../application/repo-poller';

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

/** Creates the topics, resumes interrupted global syncs and polls repositories (Git polling); stops both on shutdown. */
@Injectable()
export class RepoSyncRuntime implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly polling: PeriodicTask | null;

  constructor(
    @Inject(MESSAGE_BUS) private readonly bus: MessageBus,
    private readonly sync: GlobalSync,
    @Inject(SERVICE_DATA_SOURCE) dataSource: DataSource,
    @Inject(RepoPoller) private readonly poller: RepoPoller | null,
  ) {
    const log = createLogger('repo-sync.poll');
    // One replica polls at a time (a PostgreSQL advisory lock); the others skip the pass.
    const db = unitOfWorkOf(dataSource);
    this.polling = poller ? new PeriodicTask(async () => void (await db.exclusive('repo-sync:poll', async () => void (await poller.pass()))), (err) => log.warn({ err }, 'poll pass failed')) : null;
  }

  async onApplicationBootstrap(): Promise<void> {
    await this.bus.ensureTopics([Topics.scm, Topics.repo]);
    await this.sync.resumeRunning();
    // Each pass polls the repositories that are due: a tick at most every 10 s.
    this.polling?.start(Math.min(10_000, this.poller!.intervalMs));
  }

  async onApplicationShutdown(): Promise<void> {
    await this.polling?.stop();
    await this.sync.stop();
  }
}
