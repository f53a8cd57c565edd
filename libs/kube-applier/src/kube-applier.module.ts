import { DynamicModule, Module } from '@nestjs/common';
import { HealthModule } from '@sluice/platform';
import type { KubeApplierConfig } from './kube-applier.config';

/**
 * The root module of kube-applier: `apps/kube-applier` bootstraps it alone, the all-in-one app
 * composes it with the others. For now it wires health only (config and logging come
 * from `bootstrapService`); the service's controllers, consumers and adapters go here.
 */
@Module({})
export class KubeApplierModule {
  static forRoot(_config: KubeApplierConfig): DynamicModule {
    return { module: KubeApplierModule, imports: [HealthModule] };
  }
}
