import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { SluiceConfigModule } from '@sluice/platform';
import { InProcessMessageBus } from './in-process-bus';
import { KafkaSecurityFileError } from './kafka-security';
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

  it('takes Kafka TLS/SASL from the loaded configuration (SLUICE_CONFIG) unless given: a service cannot forget them', async () => {
    // A CA file that is gone by the time the bus is built shows that the configured TLS reached the Kafka client.
    const config = { KAFKA_SSL: true, KAFKA_SSL_CA_FILE: '/nonexistent/sluice-ca.pem', KAFKA_SSL_REJECT_UNAUTHORIZED: true };
    @Module({ imports: [SluiceConfigModule.forRoot(config), MessagingModule.forRoot({ brokers: ['127.0.0.1:9'] })] })
    class AppModule {}
    await assert.rejects(NestFactory.createApplicationContext(AppModule, { logger: false, abortOnError: false }), (err: unknown) => err instanceof KafkaSecurityFileError && /sluice-ca\.pem/.test(err.message));

    @Module({ imports: [SluiceConfigModule.forRoot(config), MessagingModule.forRoot({ brokers: ['127.0.0.1:9'], security: {} })] })
    class ExplicitModule {}
    const app = await NestFactory.createApplicationContext(ExplicitModule, { logger: false, abortOnError: false });
    assert.equal(app.get<MessageBus>(MESSAGE_BUS).isReady(), false);
    await app.close();
  });
});
