import { Inject, Injectable, type OnApplicationBootstrap } from '@nestjs/common';
import { Topics } from '@sluice/contracts';
import { MESSAGE_BUS, type MessageBus } from '@sluice/messaging';

/** Makes sure `sluice.scm.v1` (and its dead-letter topic) exist before the relay publishes to it. */
@Injectable()
export class ScmTopicBootstrap implements OnApplicationBootstrap {
  constructor(@Inject(MESSAGE_BUS) private readonly bus: MessageBus) {}

  async onApplicationBootstrap(): Promise<void> {
    await this.bus.ensureTopics([Topics.scm]);
  }
}
