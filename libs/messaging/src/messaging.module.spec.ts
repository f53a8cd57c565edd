import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { InProcessMessageBus } from './in-process-bus';
import { MessagingModule } from './messaging.module';
import { MESSAGE_BUS, type MessageBus } from './port';

describe('MessagingModule', () => {
  it('provides MESSAGE_BUS globally and closes it when the application shuts down', async () => {
    @Module({ imports: [MessagingModule.forRoot({})] })
    class AppModule {}
    const app = await NestFactory.createApplicationContext(AppModule, { logger: false });
    const bus = app.get<MessageBus>(MESSAGE_BUS);
    assert.ok(bus instanceof InProcessMessageBus);
    assert.equal(bus.isReady(), true);
    await app.close();
    assert.equal(bus.isReady(), false);
  });

  it('builds the bus from injected configuration with forRootAsync', async () => {
    const CONFIG = Symbol('CONFIG');
    @Module({ providers: [{ provide: CONFIG, useValue: { retry: { maxAttempts: 2 } } }], exports: [CONFIG] })
    class ConfigModule {}
    @Module({ imports: [MessagingModule.forRootAsync({ imports: [ConfigModule], inject: [CONFIG], useFactory: (config: object) => config })] })
    class AppModule {}
    const app = await NestFactory.createApplicationContext(AppModule, { logger: false });
    assert.ok(app.get(MESSAGE_BUS) instanceof InProcessMessageBus);
    await app.close();
  });
});
