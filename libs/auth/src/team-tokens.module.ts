import { Inject, Module, type DynamicModule, type OnApplicationBootstrap, type OnModuleDestroy } from '@nestjs/common';
import { Topics } from '@sluice/contracts';
import { consumeEvents, EventStore, Inbox, SERVICE_DATA_SOURCE } from '@sluice/event-store';
import { MESSAGE_BUS, type MessageBus, type Subscription } from '@sluice/messaging';
import type { DataSource } from 'typeorm';
import { AdminOnlyGuard, BearerAuthGuard } from './bearer-auth.guard';
import { applyTokenEvent, ProjectedTokenAuthenticator, TOKEN_EVENT_TYPES, type TokenEvent } from './team-token-projection';
import { TOKEN_AUTHENTICATOR } from './token-authenticator';
import { OIDC_VERIFIER, OidcVerifier, type OidcSettings } from './oidc';

export interface TeamTokensModuleOptions {
  /** The admin bearer token (SLUICE_ADMIN_TOKEN); unset: only team tokens are accepted. */
  readonly adminToken?: string;
  /** Consumer group and inbox name of the `sluice.auth.v1` consumer, e.g. `repo-sync.tokens`. */
  readonly consumer: string;
  /** Sign-in with OpenID Connect (`oidcSettingsOf(config)`); null: Sluice tokens only. */
  readonly oidc?: OidcSettings | null;
}

const OPTIONS = Symbol('TEAM_TOKENS_OPTIONS');

/**
 * Bearer auth for a service that does not issue tokens: keeps the `team_tokens`
 * projection of `sluice.auth.v1` in the service's own schema (inbox-idempotent) and
 * provides `TOKEN_AUTHENTICATOR`, `BearerAuthGuard` and `AdminOnlyGuard` on it. Needs
 * `EventStoreModule.forRoot` (with `teamTokenMigrations` among the service's migrations)
 * and `MessagingModule` in the application.
 */
@Module({})
export class TeamTokensModule implements OnApplicationBootstrap, OnModuleDestroy {
  private subscription: Subscription | null = null;

  constructor(
    @Inject(OPTIONS) private readonly options: TeamTokensModuleOptions,
    @Inject(MESSAGE_BUS) private readonly bus: MessageBus,
    private readonly inbox: Inbox,
    private readonly store: EventStore,
  ) {}

  static forRoot(options: TeamTokensModuleOptions): DynamicModule {
    return {
      module: TeamTokensModule,
      providers: [
        { provide: OPTIONS, useValue: options },
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

  async onApplicationBootstrap(): Promise<void> {
    const schema = this.store.schema;
    this.subscription = await consumeEvents(this.bus, this.inbox, {
      consumer: this.options.consumer,
      topics: [Topics.auth],
      types: TOKEN_EVENT_TYPES,
      handle: (event, manager) => applyTokenEvent(manager, schema, event as TokenEvent),
    });
  }

  async onModuleDestroy(): Promise<void> {
    await this.subscription?.stop();
    this.subscription = null;
  }
}
