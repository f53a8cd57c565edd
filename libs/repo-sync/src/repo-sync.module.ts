import { DynamicModule, Module } from '@nestjs/common';
import { HealthModule } from '@sluice/platform';
import type { RepoSyncConfig } from './repo-sync.config';

/**
 * The root module of repo-sync: `apps/repo-sync` bootstraps it alone, the all-in-one app
 * composes it with the others. For now it wires health only (config and logging come
 * from `bootstrapService`); the service's controllers, consumers and adapters go here.
 */
@Module({})
export class RepoSyncModule {
  static forRoot(_config: RepoSyncConfig): DynamicModule {
    return { module: RepoSyncModule, imports: [HealthModule] };
  }
}
