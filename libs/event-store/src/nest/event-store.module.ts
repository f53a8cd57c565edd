import {
  Inject,
  Module,
  Optional,
  type DynamicModule,
  type OnApplicationBootstrap,
  type OnApplicationShutdown,
} from '@nestjs/common';
import { isEventType, topicOf } from '@sluice/contracts';
import { MESSAGE_BUS, type MessageBus } from '@sluice/messaging';
import { ReadinessRegistry, createLogger } from '@sluice/platform';
import type { DataSource, MigrationInterface } from 'typeorm';
import { openServiceDataSource } from '../data-source';
import { EventStore } from '../event-store';
import { Checkpoints } from '../checkpoints';
import { Inbox } from '../inbox';
import { LogAppends } from '../log-appends';
import { LogListener } from '../log-listener';
import { OutboxRelay } from '../outbox-relay';
import type { StoredEvent } from '../stored-event';
import { isReceivedStream } from '../view-rebuild';
import { EVENT_STORE_OPTIONS, SERVICE_DATA_SOURCE } from './tokens';

export interface EventStoreModuleOptions {
  url: string;
  /**
   * A DataSource shared by several services in one process (the all-in-one app on the
   * embedded database, which has one connection). Its schemas must already be migrated
   * (`migrateServiceSchema`); this module neither migrates nor destroys it.
   */
  dataSource?: DataSource;
  /** The service's schema, e.g. `autodeploy`. */
  schema: string;
  migrations?: Array<new () => MigrationInterface>;
  /** 1 for the embedded database (no LISTEN connection, no relay lock connection). */
  poolSize?: number;
  relay?: {
    /** Default: the topic of the event's type in @sluice/contracts; unknown types are not published. */
    topicFor?: (event: StoredEvent) => string | null;
    /** Off disables the relay (a service that publishes nothing). Default on. */
    enabled?: boolean;
    pollIntervalMs?: number;
    /**
     * Republish the whole log at start (consumers' inboxes skip what they applied). For a
     * bus that keeps nothing across a restart (in-process): events published but not yet
     * consumed when the process died are otherwise lost. Known shortcut: O(log) per start.
     */
    republishOnStart?: boolean;
  };
}

const defaultTopicFor = (event: StoredEvent): string | null => (isEventType(event.type) ? topicOf(event.type) : null);

/**
 * What the relay publishes an event to: the service's `topicFor` (or its type's topic) — never
 * an event of another service it keeps for its views (a `received-…` stream), whatever `topicFor` says.
 */
export function relayTopicFor(topicFor: (event: StoredEvent) => string | null = defaultTopicFor): (event: StoredEvent) => string | null {
  return (event) => (isReceivedStream(event.stream) ? null : topicFor(event));
}

/**
 * A service's event store: its DataSource on its own schema (migrated), the EventStore,
 * the Inbox, a 'database' readiness check, and the outbox relay that publishes what the
 * service appends to the MESSAGE_BUS once the application has started.
 */
@Module({})
export class EventStoreModule implements OnApplicationBootstrap, OnApplicationShutdown {
  private relay: OutboxRelay | null = null;
  private listener: LogListener | null = null;
  private readonly logger = createLogger('event-store');

  constructor(
    @Inject(EVENT_STORE_OPTIONS) private readonly options: EventStoreModuleOptions,
    @Inject(SERVICE_DATA_SOURCE) private readonly dataSource: DataSource,
    private readonly store: EventStore,
    private readonly appends: LogAppends,
    @Optional() @Inject(MESSAGE_BUS) private readonly bus?: MessageBus,
    @Optional() private readonly readiness?: ReadinessRegistry,
  ) {}

  static forRoot(options: EventStoreModuleOptions): DynamicModule {
    return {
      module: EventStoreModule,
      global: true,
      providers: [
        { provide: EVENT_STORE_OPTIONS, useValue: options },
        {
          provide: SERVICE_DATA_SOURCE,
          useFactory: () =>
            options.dataSource ??
            openServiceDataSource({ url: options.url, schema: options.schema, migrations: options.migrations, poolSize: options.poolSize }),
        },
        { provide: EventStore, inject: [SERVICE_DATA_SOURCE], useFactory: (ds: DataSource) => new EventStore(ds, options.schema) },
        { provide: Inbox, inject: [SERVICE_DATA_SOURCE], useFactory: (ds: DataSource) => new Inbox(ds, options.schema) },
        { provide: LogAppends, useValue: new LogAppends() },
      ],
      exports: [SERVICE_DATA_SOURCE, EventStore, Inbox, LogAppends],
    };
  }

  async onApplicationBootstrap(): Promise<void> {
    this.readiness?.register(`database:${this.options.schema}`, async () => {
      await this.dataSource.query('SELECT 1');
      return true;
    });
    const embedded = this.options.poolSize === 1;
    if (!embedded) {
      this.listener = new LogListener(this.options.url, this.store.channel, () => this.appends.announce());
      await this.listener.start().catch((err: unknown) => {
        this.logger.warn({ err }, 'LISTEN unavailable; the log readers poll');
        this.listener = null;
      });
      this.appends.listenWith(this.listener);
    }
    if (this.options.relay?.enabled === false) return;
    if (!this.bus) throw new Error('EventStoreModule: the outbox relay needs MESSAGE_BUS (import MessagingModule.forRoot)');
    this.relay = new OutboxRelay(this.store, this.bus, {
      name: 'outbox-relay',
      topicFor: relayTopicFor(this.options.relay?.topicFor),
      exclusive: !embedded,
      // Woken by each append's NOTIFY (and held back, it re-polls within milliseconds), the relay
      // only polls as a fallback: for a NOTIFY lost while the listener connects again.
      pollIntervalMs: this.options.relay?.pollIntervalMs ?? (embedded ? 50 : this.appends.pollInterval(200)),
      logger: this.logger,
    });
    const relay = this.relay;
    this.appends.subscribe(() => relay.wake());
    if (this.options.relay?.republishOnStart) {
      await this.dataSource.transaction((m) => new Checkpoints(this.options.schema).reset(m, 'outbox-relay'));
    }
    this.relay.start();
  }

  async onApplicationShutdown(): Promise<void> {
    await this.relay?.stop();
    await this.listener?.stop();
    if (!this.options.dataSource && this.dataSource.isInitialized) await this.dataSource.destroy();
  }
}
