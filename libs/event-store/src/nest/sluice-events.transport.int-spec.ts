// SluiceEventsTransport on real PostgreSQL (the inbox) and the in-process bus: an @OnSluiceEvent
// controller is a consumer with no plumbing — phases in order, the inbox transaction in the
// handler, a redelivery skipped, and an error reaching the bus as thrown (so its class decides
// retry or dead letter, which Nest's default RPC filter would hide).
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Controller, Module, type INestApplication } from '@nestjs/common';
import { Ctx, Payload } from '@nestjs/microservices';
import { Test } from '@nestjs/testing';
import { latestVersion, Topics, type EventEnvelope, type SluiceEvent } from '@sluice/contracts';
import { MESSAGE_BUS, MessagingModule, PermanentDeliveryError, type InProcessMessageBus } from '@sluice/messaging';
import { createTestDatabase, waitUntil, type TestDatabase } from '@sluice/testing';
import { v7 as uuidv7 } from 'uuid';
import { EventStoreModule } from './event-store.module';
import { OnSluiceEvent, SERVICE_CONSUMER_GROUP, SluiceEventContext, startSluiceConsumers } from './sluice-events.transport';

const seen: string[] = [];

@Controller()
class PolicyEventsConsumer {
  @OnSluiceEvent('', { phase: 'prepare' })
  prepare(@Payload() event: SluiceEvent): string {
    seen.push(`prepare ${event.data['team' as never]}`);
    return 'read before the transaction';
  }

  @OnSluiceEvent('', { topics: [Topics.auth], types: ['team.policy.removed'] })
  async handle(@Payload() event: SluiceEvent, @Ctx() ctx: SluiceEventContext<string>): Promise<void> {
    seen.push(`handle ${event.data['team' as never]} in a transaction=${ctx.manager.queryRunner?.isTransactionActive === true} prepared=${ctx.prepared}`);
    if (event.data['team' as never] === 'poison') throw new PermanentDeliveryError('a bad policy');
  }

  @OnSluiceEvent('', { phase: 'afterCommit' })
  committed(@Payload() event: SluiceEvent): void {
    seen.push(`committed ${event.data['team' as never]}`);
  }
}

@Module({ controllers: [PolicyEventsConsumer], providers: [{ provide: SERVICE_CONSUMER_GROUP, useValue: 'transport-test' }] })
class ConsumerModule {}

const removed = (team: string): EventEnvelope => {
  const id = uuidv7();
  return {
    id,
    type: 'team.policy.removed',
    version: latestVersion('team.policy.removed'),
    stream: `team-policy-${team}`,
    streamVersion: 1,
    occurredAt: new Date().toISOString(),
    correlationId: id,
    causationId: null,
    data: { team, source: 'api', removedBy: 'admin' },
  } as EventEnvelope;
};

describe('SluiceEventsTransport: @OnSluiceEvent handlers served over the bus', () => {
  let database: TestDatabase;
  let app: INestApplication;
  let bus: InProcessMessageBus;

  before(async () => {
    database = await createTestDatabase('transport');
    const ref = await Test.createTestingModule({
      imports: [MessagingModule.forRoot({ retry: { baseDelayMs: 10, maxDelayMs: 50 } }), EventStoreModule.forRoot({ url: database.url, schema: 'transport_test', migrations: [] }), ConsumerModule],
    }).compile();
    app = ref.createNestApplication({ logger: false });
    await app.init();
    await startSluiceConsumers(app);
    bus = app.get<InProcessMessageBus>(MESSAGE_BUS);
  });

  after(async () => {
    await app?.close();
    await database?.drop();
  });

  it('runs prepare, handle (in the inbox transaction, with what prepare returned) and afterCommit; a redelivery runs nothing', async () => {
    const event = removed('payments');
    await bus.publish(Topics.auth, [event]);
    await waitUntil(() => seen.includes('committed payments'), { timeoutMs: 10_000, message: 'the event handled' });
    assert.deepEqual(seen, ['prepare payments', 'handle payments in a transaction=true prepared=read before the transaction', 'committed payments']);
    await bus.publish(Topics.auth, [event]);
    await bus.publish(Topics.auth, [removed('checkout')]);
    await waitUntil(() => seen.includes('committed checkout'), { timeoutMs: 10_000, message: 'the next event handled' });
    assert.equal(seen.filter((s) => s.startsWith('handle payments')).length, 1, 'the redelivered event is skipped by the inbox');
  });

  it('hands the handler’s error to the bus as thrown: a PermanentDeliveryError is dead-lettered at once', async () => {
    await bus.publish(Topics.auth, [removed('poison')]);
    const poison = (d: { value: unknown }) => (d.value as { data: { team?: string } }).data.team === 'poison';
    await waitUntil(() => bus.deadLetters.some(poison), { timeoutMs: 10_000, message: 'the poison message dead-lettered' });
    const letter = bus.deadLetters.find(poison)!;
    assert.equal(letter.info.attempts, 1);
    assert.match(letter.info.error, /a bad policy/);
    assert.equal(seen.filter((s) => s.startsWith('handle poison')).length, 1);
  });

  it('stops the consumers when the application closes', async () => {
    await app.close();
    const before = seen.length;
    await bus.publish(Topics.auth, [removed('late')]).catch(() => undefined);
    await new Promise((resolve) => setTimeout(resolve, 200));
    assert.equal(seen.length, before);
  });
});
