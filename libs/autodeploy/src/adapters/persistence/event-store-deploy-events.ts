import { configStream } from '@sluice/contracts';
import type { EventStore } from '@sluice/event-store';
import type { DataSource } from 'typeorm';
import { toConfigEvent } from '../../application/config-commands';
import type { DeployEvents, RecordedConfigEvent } from '../../application/deploy-log';

/** A deploy's events read from the event store; where the deploy starts in its stream, from the history read model. */
export class EventStoreDeployEvents implements DeployEvents {
  constructor(
    private readonly dataSource: DataSource,
    private readonly store: EventStore,
  ) {}

  async firstVersionOf(deployId: string): Promise<number | null> {
    const [row]: Array<{ first: number | null }> = await this.dataSource.query(`SELECT min(stream_version) AS first FROM autodeploy.config_history WHERE deploy_id = $1`, [deployId]);
    return row?.first ?? null;
  }

  async read(config: string, fromVersion: number, limit: number): Promise<{ events: RecordedConfigEvent[]; next: number }> {
    const stored = (await this.store.readStream(configStream(config), { fromVersion })).slice(0, limit);
    const events: RecordedConfigEvent[] = [];
    for (const s of stored) {
      const event = toConfigEvent(s);
      if (event) events.push({ version: s.streamVersion, at: s.occurredAt, event });
    }
    return { events, next: stored.length > 0 ? stored[stored.length - 1]!.streamVersion + 1 : fromVersion };
  }
}
