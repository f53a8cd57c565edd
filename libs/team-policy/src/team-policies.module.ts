import { Controller, Module, type DynamicModule } from '@nestjs/common';
import { Ctx, Payload } from '@nestjs/microservices';
import { Topics } from '@sluice/contracts';
import { EventStore, OnSluiceEvent, SERVICE_DATA_SOURCE, SluiceEventContext } from '@sluice/event-store';
import type { DataSource } from 'typeorm';
import { PgTeamPolicies, receiveTeamPolicyEvent, type TeamPolicyEvent } from './adapters/pg-team-policies';
import { TeamPoliciesReplay } from './adapters/team-policies-replay';
import { POLICY_GATE, PolicyGate } from './application/policy-gate';
import { TEAM_POLICY_READER } from './application/ports';
import { TEAM_POLICY_EVENT_TYPES } from './domain/events';

export interface TeamPoliciesModuleOptions {
  /** The namespace Sluice runs in (`SLUICE_NAMESPACE`): never a deploy target. */
  readonly sluiceNamespace: string;
}


/**
 * Team policies for a service that enforces them but does not set them (repo-sync,
 * kube-applier): keeps the `team_policies` projection of `sluice.auth.v1` in the service's
 * own schema (inbox-idempotent; add `teamPolicyMigrations` to its migrations), its rebuild from
 * the service's log (`TeamPoliciesReplay`; the service serves it with `teamPoliciesReplayController`,
 * behind its own bearer auth), and provides `POLICY_GATE`. Needs `EventStoreModule.forRoot` and `MessagingModule` in the application.
 */
/** The `sluice.auth.v1` policy events → `team_policies`; consumer `<service>.policies` (e.g. `repo-sync.policies`). */
@Controller()
export class TeamPolicyEventsConsumer {
  constructor(private readonly store: EventStore) {}

  @OnSluiceEvent('policies', { topics: [Topics.auth], types: TEAM_POLICY_EVENT_TYPES })
  handle(@Payload() event: TeamPolicyEvent, @Ctx() ctx: SluiceEventContext): Promise<void> {
    return receiveTeamPolicyEvent(ctx.manager, this.store, event);
  }
}

@Module({})
export class TeamPoliciesModule {
  static forRoot(options: TeamPoliciesModuleOptions): DynamicModule {
    return {
      module: TeamPoliciesModule,
      controllers: [TeamPolicyEventsConsumer],
      providers: [
        { provide: TeamPoliciesReplay, inject: [SERVICE_DATA_SOURCE, EventStore], useFactory: (ds: DataSource, store: EventStore) => new TeamPoliciesReplay(ds, store.schema) },
        { provide: TEAM_POLICY_READER, inject: [SERVICE_DATA_SOURCE, EventStore], useFactory: (ds: DataSource, store: EventStore) => new PgTeamPolicies(ds, store.schema) },
        { provide: POLICY_GATE, inject: [TEAM_POLICY_READER], useFactory: (reader: PgTeamPolicies) => new PolicyGate(reader, options.sluiceNamespace) },
      ],
      exports: [TEAM_POLICY_READER, POLICY_GATE, TeamPoliciesReplay],
    };
  }
}
