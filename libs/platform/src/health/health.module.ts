import { Global, Module, OnModuleInit } from '@nestjs/common';
import { HealthController } from './health.controller';
import { enableDefaultMetrics } from './metrics';
import { ReadinessRegistry } from './readiness';

/**
 * `GET /healthz`, `/readyz`, `/metrics` and the `ReadinessRegistry` (`configureApp` installs
 * the request metrics middleware). Global, so any module can inject the registry;
 * importing it from several modules is harmless.
 */
@Global()
@Module({
  controllers: [HealthController],
  providers: [ReadinessRegistry],
  exports: [ReadinessRegistry],
})
export class HealthModule implements OnModuleInit {
  onModuleInit(): void {
    enableDefaultMetrics();
  }
}
