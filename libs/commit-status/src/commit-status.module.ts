import { DynamicModule, Module } from '@nestjs/common';
import { HealthModule } from '@sluice/platform';
import type { CommitStatusConfig } from './commit-status.config';

/**
 * The root module of commit-status: `apps/commit-status` bootstraps it alone, the all-in-one app
 * composes it with the others. For now it wires health only (config and logging come
 * from `bootstrapService`); the service's controllers, consumers and adapters go here.
 */
@Module({})
export class CommitStatusModule {
  static forRoot(_config: CommitStatusConfig): DynamicModule {
    return { module: CommitStatusModule, imports: [HealthModule] };
  }
}
