import { Controller, Module, type DynamicModule } from '@nestjs/common';
import { Ctx, Payload } from '@nestjs/microservices';
import { Topics } from '@sluice/contracts';
import { EventStore, OnSluiceEvent, SERVICE_DATA_SOURCE, SluiceEventContext } from '@sluice/event-store';
import type { DataSource } from 'typeorm';
import { AdminOnlyGuard, BearerAuthGuard } from './bearer-auth.guard';
import { ProjectedTokenAuthenticator, receiveTokenEvent, TOKEN_EVENT_TYPES, type TokenEvent } from './team-token-projection';
import { TOKEN_AUTHENTICATOR } from './token-authenticator';
import { teamTokensReplayController, TeamTokensReplay } from './team-tokens-replay';
import { OIDC_VERIFIER, OidcVerifier, type OidcSettings } from './oidc';

export interface TeamTokensModuleOptions {
  /** The service (`repo-sync`, …): its rebuild of `team_tokens` is `/api/admin/replay/<service>/team-tokens`. */
  readonly service: string;
  /** The admin bearer token (SLUICE_ADMIN_TOKEN); unset: only team tokens are accepted. */
  readonly adminToken?: string;
  /** Sign-in with OpenID Connect (`oidcSettingsOf(config)`); null: Sluice tokens only. */
  readonly oidc?: OidcSettings | null;
}


/**
 * Bearer auth for a service that does not issue tokens: keeps the `team_tokens`
 * projection of `sluice.auth.v1` in the service's own schema (inbox-idempotent, served by
 * `startSluiceConsumers`) and
 * provides `TOKEN_AUTHENTICATOR`, `BearerAuthGuard` and `AdminOnlyGuard` on it. Needs
 * `EventStoreModule.forRoot` (with `teamTokenMigrations` among the service's migrations)
 * and `MessagingModule` in the application.
 */
/** The `sluice.auth.v1` token events → `team_tokens`; consumer `<service>.tokens` (e.g. `repo-sync.tokens`). */
@Controller()
export class TeamTokenEventsConsumer {
  constructor(private readonly store: EventStore) {}

  @OnSluiceEvent('tokens', { topics: [Topics.auth], types: TOKEN_EVENT_TYPES })
  handle(@Payload() event: TokenEvent, @Ctx() ctx: SluiceEventContext): Promise<void> {
    return receiveTokenEvent(ctx.manager, this.store, event);
  }
}

@Module({})
export class TeamTokensModule {
  static forRoot(options: TeamTokensModuleOptions): DynamicModule {
    return {
      module: TeamTokensModule,
      controllers: [TeamTokenEventsConsumer, teamTokensReplayController(options.service)],
      providers: [
        { provide: TeamTokensReplay, inject: [SERVICE_DATA_SOURCE, EventStore], useFactory: (ds: DataSource, store: EventStore) => new TeamTokensReplay(ds, store.schema) },
        {
          provide: TOKEN_AUTHENTICATOR,
          inject: [SERVICE_DATA_SOURCE, EventStore],
          useFactory: (ds: DataSource, store: EventStore) => new ProjectedTokenAuthenticator(ds, store.schema, options.adminToken),
        },
        { provide: OIDC_VERIFIER, useValue: options.oidc ? new OidcVerifier(options.oidc) : null },
        BearerAuthGuard,
        AdminOnlyGuard,
      ],
      exports: [TOKEN_AUTHENTICATOR, OIDC_VERIFIER, BearerAuthGuard, AdminOnlyGuard],
    };
  }
}
