import { Topics, type SluiceEvent } from '@sluice/contracts';
import { consumeEvents, type Inbox } from '@sluice/event-store';
import type { MessageBus, Subscription } from '@sluice/messaging';
import type { PgTeamRepos } from '../postgres/team-repos';

const CONFIG_EVENT_TYPES = ['repo.config.discovered', 'repo.config.changed', 'repo.config.removed'] as const;

/** Config events of `sluice.repo.v1` → which repositories each team's configs use (`PgTeamRepos`). */
export function consumeConfigEvents(bus: MessageBus, inbox: Inbox, teamRepos: PgTeamRepos, consumer: string): Promise<Subscription> {
  return consumeEvents(bus, inbox, {
    consumer,
    topics: [Topics.repo],
    types: CONFIG_EVENT_TYPES,
    handle: async (event: SluiceEvent, manager) => {
      if (event.type === 'repo.config.discovered' || event.type === 'repo.config.changed') await teamRepos.upsert(event.data.config, manager);
      else if (event.type === 'repo.config.removed') await teamRepos.remove(event.data.name, event.data.configRepo, manager);
    },
  });
}
