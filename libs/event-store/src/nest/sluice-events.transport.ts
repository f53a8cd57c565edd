import { Catch, type INestApplication, type RpcExceptionFilter } from '@nestjs/common';
import { BaseRpcContext, EventPattern, NestMicroservice, Server, type CustomTransportStrategy, type MessageHandler } from '@nestjs/microservices';
import type { EventType, SluiceEvent } from '@sluice/contracts';
import { MESSAGE_BUS, type MessageBus, type Subscription } from '@sluice/messaging';
import { isObservable, lastValueFrom, throwError, type Observable } from 'rxjs';
import type { EntityManager } from 'typeorm';
import { consumeEvents, type ConsumeEventsOptions } from '../consume-events';
import { Inbox } from '../inbox';

/**
 * The phases of one delivery (docs/architecture.md §3, `consumeEvents`): `prepare` reads before
 * any transaction, `external` writes outside the database, `handle` runs in the inbox
 * transaction, `afterCommit` once it committed. Only `handle` is required.
 */
export type ConsumerPhase = 'prepare' | 'external' | 'handle' | 'afterCommit';

export interface SluiceConsumerOptions {
  readonly topics: readonly string[];
  /** Only these types reach the handlers; others are acknowledged. Default: all. */
  readonly types?: readonly EventType[];
  readonly maxAttempts?: number;
}

/** The pattern of a handler: its consumer (a role of the service, '' = the service's own) and phase. */
interface ConsumerPattern {
  readonly consumer: string;
  readonly phase: ConsumerPhase;
}

const EXTRAS_KEY = 'sluiceConsumer';

/**
 * Marks a controller method as a phase of a Sluice event consumer, served by
 * `SluiceEventsTransport` (a custom transport strategy of `@nestjs/microservices`):
 *
 * ```ts
 * @Controller()
 * export class RepoEventsConsumer {
 *   @OnSluiceEvent('', { topics: [Topics.repo], types: ['repo.branch.updated'] })
 *   handle(@Payload() event: SluiceEvent, @Ctx() ctx: SluiceEventContext) { … ctx.manager … }
 * }
 * ```
 *
 * `consumer` names the consumer group relative to the service's (`SERVICE_CONSUMER_GROUP`): ''
 * is the service's own group (`autodeploy`), `'tokens'` is `autodeploy.tokens`. The topics and
 * types are given on the `handle` phase; another phase's method gives only `{ phase }`.
 */
export function OnSluiceEvent(consumer: string, options: SluiceConsumerOptions | { readonly phase: Exclude<ConsumerPhase, 'handle'> }): MethodDecorator {
  const phase: ConsumerPhase = 'phase' in options ? options.phase : 'handle';
  const pattern: ConsumerPattern = { consumer, phase };
  return EventPattern(pattern, phase === 'handle' ? { [EXTRAS_KEY]: options } : {});
}

/** What a handler gets besides the event: the inbox transaction (`handle`) and what `prepare`/`external` returned. */
export class SluiceEventContext<P = unknown> extends BaseRpcContext<[SluiceEvent, EntityManager | null, P]> {
  get event(): SluiceEvent {
    return this.args[0];
  }

  /** The inbox transaction: write effects and append events through it. Only in the `handle` phase. */
  get manager(): EntityManager {
    const manager = this.args[1];
    if (!manager) throw new Error('no transaction in this phase: only the handle phase runs in the inbox transaction');
    return manager;
  }

  get prepared(): P {
    return this.args[2];
  }
}

/** The consumer group of the service's own consumer ('' in `OnSluiceEvent`); each service module provides it. */
export const SERVICE_CONSUMER_GROUP = Symbol('SERVICE_CONSUMER_GROUP');

export interface SluiceEventsTransportOptions {
  readonly bus: MessageBus;
  readonly inbox: Inbox;
  /** The service's own consumer group; asked for only when there are handlers. */
  readonly group: () => string;
}

/**
 * Serves `@OnSluiceEvent` handlers over Sluice's message bus (Kafka, or the in-process bus of the
 * all-in-one) — a custom transport strategy rather than Nest's Kafka transport, which cannot keep
 * the guarantees every consumer relies on: the inbox row in the handler's transaction, the offset
 * committed only after it, per-key ordering with parallel keys, retries by failure class and the
 * dead-letter topic (`consumeEvents`, `@sluice/messaging`). One subscription per consumer.
 */
export class SluiceEventsTransport extends Server implements CustomTransportStrategy {
  private readonly subscriptions: Subscription[] = [];

  constructor(private readonly opts: SluiceEventsTransportOptions) {
    super();
  }

  /** The consumers, as `consumeEvents` runs them; read when listening starts. */
  consumers(): Array<ConsumeEventsOptions<unknown>> {
    const byConsumer = new Map<string, Partial<Record<ConsumerPhase, MessageHandler>>>();
    for (const [key, handler] of this.getHandlers()) {
      const pattern = JSON.parse(key) as ConsumerPattern;
      const phases = byConsumer.get(pattern.consumer) ?? {};
      if (phases[pattern.phase]) throw new Error(`two handlers for the ${pattern.phase} phase of consumer "${pattern.consumer || '(service)'}"`);
      phases[pattern.phase] = handler;
      byConsumer.set(pattern.consumer, phases);
    }
    return [...byConsumer].map(([consumer, phases]) => {
      const group = this.opts.group();
      const name = consumer ? `${group}.${consumer}` : group;
      const handle = phases.handle;
      const options = handle?.extras?.[EXTRAS_KEY] as SluiceConsumerOptions | undefined;
      if (!handle || !options) throw new Error(`consumer "${name}" has no handle phase with its topics (@OnSluiceEvent without phase)`);
      const call = (phase: MessageHandler, event: SluiceEvent, manager: EntityManager | null, prepared: unknown) => settle(phase(event, new SluiceEventContext([event, manager, prepared])));
      const { prepare, external, afterCommit } = phases;
      return {
        consumer: name,
        topics: options.topics,
        types: options.types,
        maxAttempts: options.maxAttempts,
        handle: async (event, manager, prepared) => void (await call(handle, event, manager, prepared)),
        ...(prepare ? { prepare: (event: SluiceEvent) => call(prepare, event, null, undefined) } : {}),
        ...(external ? { external: (event: SluiceEvent, prepared: unknown) => call(external, event, null, prepared) } : {}),
        ...(afterCommit ? { afterCommit: async (event: SluiceEvent, prepared: unknown) => void (await call(afterCommit, event, null, prepared)) } : {}),
      } satisfies ConsumeEventsOptions<unknown>;
    });
  }

  async listen(callback: (error?: unknown) => void): Promise<void> {
    try {
      for (const consumer of this.consumers()) this.subscriptions.push(await consumeEvents(this.opts.bus, this.opts.inbox, consumer));
      callback();
    } catch (error) {
      callback(error);
    }
  }

  async close(): Promise<void> {
    const stopping = this.subscriptions.splice(0);
    await Promise.all(stopping.map((s) => s.stop()));
  }

  on(): void {
    throw new Error('SluiceEventsTransport has no server events');
  }

  unwrap<T>(): T {
    return this.opts.bus as T;
  }
}

/** A handler's result: Nest hands back a promise, an observable or a value. */
async function settle(result: unknown): Promise<unknown> {
  const value = await result;
  return isObservable(value) ? lastValueFrom(value as Observable<unknown>, { defaultValue: undefined }) : value;
}

/**
 * Nest's default RPC filter turns an unknown error into `{ status: 'error' }`; the bus decides
 * retry or dead letter by the error itself (its class, status, code), so it must get it as thrown.
 */
@Catch()
export class RethrowToTransport implements RpcExceptionFilter<unknown> {
  catch(exception: unknown): Observable<never> {
    return throwError(() => exception);
  }
}

/**
 * Connects the service's `@OnSluiceEvent` handlers to its bus and starts them: call once the
 * application is initialised (its providers ready), before it serves traffic.
 */
export async function startSluiceConsumers(app: INestApplication): Promise<SluiceEventsTransport> {
  const transport = new SluiceEventsTransport({
    bus: app.get<MessageBus>(MESSAGE_BUS, { strict: false }),
    inbox: app.get(Inbox, { strict: false }),
    // A service without consumers (webhook-ingest) provides no group.
    group: () => app.get<string>(SERVICE_CONSUMER_GROUP, { strict: false }),
  });
  // Deferred, so that the filter is in place before the handlers are wrapped; then registered
  // by hand, as Nest does for a hybrid app, without running the modules' init hooks again.
  const microservice = app.connectMicroservice({ strategy: transport }, { inheritAppConfig: false, deferInitialization: true }) as unknown as NestMicroservice;
  microservice.useGlobalFilters(new RethrowToTransport());
  microservice.registerListeners();
  microservice.setIsInitialized(true);
  microservice.setIsInitHookCalled(true);
  await app.startAllMicroservices();
  // Nest closes connected transports after the modules' destroy hooks; the consumers stop first,
  // as a consumer must, while everything their handlers use is still there.
  const close = app.close.bind(app);
  app.close = async (...args: Parameters<INestApplication['close']>) => {
    await transport.close();
    return close(...args);
  };
  return transport;
}

