import { Inject, Module, Optional, type DynamicModule, type FactoryProvider, type OnModuleDestroy, type OnModuleInit } from '@nestjs/common';
import { kafkaSecurityOf, ReadinessRegistry, SLUICE_CONFIG } from '@sluice/platform';
import { consumerReadiness } from './consumer-status';
import { createMessageBus, type MessageBusOptions } from './create-message-bus';
import { MESSAGE_BUS, type MessageBus } from './port';

function withConfiguredSecurity(options: MessageBusOptions, config: object | undefined): MessageBusOptions {
  if (options.security !== undefined || config === undefined) return options;
  return { ...options, security: kafkaSecurityOf(config) };
}

/** False when the bus is shared and closed by its owner (`forInstance`). */
const BUS_OWNED = Symbol('MESSAGE_BUS_OWNED');

export interface MessagingModuleAsyncOptions {
  readonly imports?: DynamicModule['imports'];
  readonly inject?: FactoryProvider['inject'];
  readonly useFactory: (...args: never[]) => MessageBusOptions | Promise<MessageBusOptions>;
}

/**
 * Provides one `MESSAGE_BUS` for the whole application (global, so service modules just
 * inject it) and closes it on shutdown: subscriptions stop, in-flight handlers get their
 * grace period, the producer disconnects.
 */
/**
 * A consumer group failing (retrying through an outage) for this long makes `/readyz` say
 * so: long enough that a blip does not pull the instance out of its Service, short enough
 * that an outage shows before anyone asks why nothing deploys.
 */
export const CONSUMER_STALLED_AFTER_MS = 60_000;

@Module({})
export class MessagingModule implements OnModuleInit, OnModuleDestroy {
  constructor(
    @Inject(MESSAGE_BUS) private readonly bus: MessageBus,
    @Optional() @Inject(BUS_OWNED) private readonly owned: boolean = true,
    @Optional() private readonly readiness?: ReadinessRegistry,
  ) {}

  onModuleInit(): void {
    this.readiness?.register('consumers', () => consumerReadiness(this.bus.retrying(), CONSUMER_STALLED_AFTER_MS));
  }

  /**
   * Provides a bus created elsewhere, e.g. one in-process bus shared by every service of
   * the all-in-one app; whoever created it closes it.
   */
  static forInstance(bus: MessageBus): DynamicModule {
    return {
      module: MessagingModule,
      global: true,
      providers: [
        { provide: MESSAGE_BUS, useValue: bus },
        { provide: BUS_OWNED, useValue: false },
      ],
      exports: [MESSAGE_BUS],
    };
  }

  /**
   * Kafka TLS and SASL come from the loaded configuration (KAFKA_SSL*, KAFKA_SASL_*, provided
   * by `bootstrapService`) unless `options.security` is given, so no service can forget them.
   */
  static forRoot(options: MessageBusOptions = {}): DynamicModule {
    return MessagingModule.withProvider({
      provide: MESSAGE_BUS,
      inject: [{ token: SLUICE_CONFIG, optional: true }],
      useFactory: (config?: object) => createMessageBus(withConfiguredSecurity(options, config)),
    });
  }

  /** For options that come from configuration (e.g. `@sluice/platform`'s config service). */
  static forRootAsync(options: MessagingModuleAsyncOptions): DynamicModule {
    return {
      ...MessagingModule.withProvider({
        provide: MESSAGE_BUS,
        inject: [...(options.inject ?? []), { token: SLUICE_CONFIG, optional: true }],
        // Nest passes the resolved `inject` tokens in order; their types are the caller's business.
        useFactory: async (...args: unknown[]) => {
          const config = args.pop() as object | undefined;
          const made = await (options.useFactory as (...injected: unknown[]) => MessageBusOptions | Promise<MessageBusOptions>)(...args);
          return createMessageBus(withConfiguredSecurity(made, config));
        },
      }),
      imports: options.imports ?? [],
    };
  }

  private static withProvider(provider: FactoryProvider<MessageBus>): DynamicModule {
    return { module: MessagingModule, global: true, providers: [provider], exports: [MESSAGE_BUS] };
  }

  async onModuleDestroy(): Promise<void> {
    if (this.owned !== false) await this.bus.close();
  }
}
