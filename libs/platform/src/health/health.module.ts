import { Global, MiddlewareConsumer, Module, NestModule, OnModuleInit } from '@nestjs/common';
import { ALL_ROUTES } from '../logging/logging.module';
import { HealthController } from './health.controller';
import { enableDefaultMetrics, httpMetricsMiddleware } from './metrics';
import { ReadinessRegistry } from './readiness';

/**
 * `GET /healthz`, `/readyz`, `/metrics` and the `ReadinessRegistry`. Global, so any
 * module can inject the registry; importing it from several modules is harmless.
 */
@Global()
@Module({
  controllers: [HealthController],
  providers: [ReadinessRegistry],
  exports: [ReadinessRegistry],
})
export class HealthModule implements NestModule, OnModuleInit {
  onModuleInit(): void {
    enableDefaultMetrics();
  }

  configure(consumer: MiddlewareConsumer): void {
    consumer.apply(httpMetricsMiddleware).forRoutes(ALL_ROUTES);
  }
}
