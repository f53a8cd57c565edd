import { DynamicModule, Module } from '@nestjs/common';
import { HealthModule } from '@sluice/platform';
import type { AutodeployConfig } from './autodeploy.config';

/**
 * The root module of autodeploy: `apps/autodeploy` bootstraps it alone, the all-in-one app
 * composes it with the others. For now it wires health only (config and logging come
 * from `bootstrapService`); the service's controllers, consumers and adapters go here.
 */
@Module({})
export class AutodeployModule {
  static forRoot(_config: AutodeployConfig): DynamicModule {
    return { module: AutodeployModule, imports: [HealthModule] };
  }
}
