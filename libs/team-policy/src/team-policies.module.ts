import { Inject, Module, type DynamicModule, type OnApplicationBootstrap, type OnModuleDestroy } from '@nestjs/common';
import { Topics } from '@sluice/contracts';
import { consumeEvents, EventStore, Inbox, SERVICE_DATA_SOURCE } from '@sluice/event-store';
import { MESSAGE_BUS, type MessageBus, type Subscription } from '@sluice/messaging';
import type { DataSource } from 'typeorm';
import { applyTeamPolicyEvent, PgTeamPolicies, type TeamPolicyEvent } from './adapters/pg-team-policies';
import { POLICY_GATE, PolicyGate } from './application/policy-gate';
import { TEAM_POLICY_READER } from './application/ports';
import { TEAM_POLICY_EVENT_TYPES } from './domain/events';

export interface TeamPoliciesModuleOptions {
  /** Consumer group and inbox name of the `sluice.auth.v1` consumer, e.g. `repo-sync.policies`. */
  readonly consumer: string;
  /** The namespace Sluice runs in (`SLUICE_NAMESPACE`): never a deploy target. */
  readonly sluiceNamespace: string;
}

const OPTIONS = Symbol('TEAM_POLICIES_OPTIONS');

/**
 * Team policies for a service that enforces them but does not set them (repo-sync,
 * kube-applier): keeps the `team_policies` projection of `sluice.auth.v1` in the service's
 * own schema (inbox-idempotent; add `teamPolicyMigrations` to its migrations) and provides
 * `POLICY_GATE`. Needs `EventStoreModule.forRoot` and `MessagingModule` in the application.
 */
@Module({})
export class TeamPoliciesModule implements OnApplicationBootstrap, OnModuleDestroy {
  private subscription: Subscription | null = null;

  constructor(
    @Inject(OPTIONS) private readonly options: TeamPoliciesModuleOptions,
    @Inject(MESSAGE_BUS) private readonly bus: MessageBus,
    private readonly inbox: Inbox,
    private readonly store: EventStore,
  ) {}

  static forRoot(options: TeamPoliciesModuleOptions): DynamicModule {
    return {
      module: TeamPoliciesModule,
      providers: [
        { provide: OPTIONS, useValue: options },
        { provide: TEAM_POLICY_READER, inject: [SERVICE_DATA_SOURCE, EventStore], useFactory: (ds: DataSource, store: EventStore) => new PgTeamPolicies(ds, store.schema) },
        { provide: POLICY_GATE, inject: [TEAM_POLICY_READER], useFactory: (reader: PgTeamPolicies) => new PolicyGate(reader, options.sluiceNamespace) },
      ],
      exports: [TEAM_POLICY_READER, POLICY_GATE],
    };
  }

  async onApplicationBootstrap(): Promise<void> {
    const schema = this.store.schema;
    this.subscription = await consumeEvents(this.bus, this.inbox, {
      consumer: this.options.consumer,
      topics: [Topics.auth],
      types: TEAM_POLICY_EVENT_TYPES,
      handle: (event, manager) => applyTeamPolicyEvent(manager, schema, event as TeamPolicyEvent),
    });
  }

  async onModuleDestroy(): Promise<void> {
    await this.subscription?.stop();
    this.subscription = null;
  }
}
